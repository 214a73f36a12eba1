import Dispatch

/// Runs independent pieces of CPU work on every core and keeps their results in order:
/// the checkpoint's chunks are self-contained batches, so opening a million-event store can
/// decode them two (or more) at a time instead of one after another.
///
/// For CPU work only, called from a plain thread (a command, or the thread that opens a
/// store): `concurrentPerform` blocks its caller until every piece is done, which must not
/// happen on the cooperative pool.
public enum ParallelMap {
    /// `transform(0) … transform(count - 1)`, in that order; the first error thrown (by
    /// index) is rethrown once every piece has run.
    public static func map<T: Sendable, E: Error>(count: Int, _ transform: @Sendable (Int) throws(E) -> T) throws(E) -> [T] {
        guard count > 1 else { return try (0..<count).map { index throws(E) in try transform(index) } }
        let results = Slots<Result<T, E>>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            let result: Result<T, E>
            do throws(E) {
                result = .success(try transform(index))
            } catch {
                result = .failure(error)
            }
            results.set(index, result)
        }
        var out: [T] = []
        out.reserveCapacity(count)
        for result in results.values() { out.append(try result!.get()) }
        return out
    }
}

/// The results of `ParallelMap`, one slot per piece, written under a lock.
///
/// `@unchecked Sendable` is sound: `slots` is read and written only under `lock`.
private final class Slots<T>: @unchecked Sendable {
    private let lock = Lock()
    private var slots: [T?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: T) { lock.withLock { slots[index] = value } }
    func values() -> [T?] { lock.withLock { slots } }
}
