/// Failures that tests ask the syscall funnel to produce, so that every failure path (a
/// full disk, an I/O error, a short write, an interrupted call) runs without a broken disk.
///
/// Off unless a test installs a rule; a rule matches an operation on paths ending with a
/// suffix, skips its first `after` matches, then fires `times` times.
public enum FaultInjection {
    public enum Operation: String, Sendable {
        case write, fsync, open, rename, truncate
    }

    public enum Effect: Sendable, Equatable {
        /// The call fails with this errno.
        case fail(Int32)
        /// A write writes at most this many bytes (a short write, not an error).
        case shortWrite(Int)
    }

    public struct Rule: Sendable {
        public var operation: Operation
        public var pathSuffix: String
        public var after: Int
        public var times: Int
        public var effect: Effect

        public init(_ operation: Operation, pathSuffix: String = "", after: Int = 0, times: Int = 1, effect: Effect) {
            self.operation = operation
            self.pathSuffix = pathSuffix
            self.after = after
            self.times = times
            self.effect = effect
        }
    }

    private static let registry = Registry()

    /// Installs rules for the duration of `body` (tests run serially around this call).
    @discardableResult
    public static func with<T>(_ rules: [Rule], _ body: () throws -> T) rethrows -> T {
        registry.install(rules)
        defer { registry.install([]) }
        return try body()
    }

    static func effect(for operation: Operation, path: String) -> Effect? {
        registry.effect(for: operation, path: path)
    }

    /// `@unchecked Sendable` is sound: every access to `rules` happens under `lock`.
    private final class Registry: @unchecked Sendable {
        private let lock = Lock()
        private var rules: [Rule] = []
        private var active = false

        func install(_ newRules: [Rule]) {
            lock.withLock {
                rules = newRules
                active = !newRules.isEmpty
            }
        }

        func effect(for operation: Operation, path: String) -> Effect? {
            lock.withLock {
                guard active else { return nil }
                for index in rules.indices where rules[index].operation == operation && path.hasSuffix(rules[index].pathSuffix) {
                    if rules[index].after > 0 {
                        rules[index].after -= 1
                        continue
                    }
                    guard rules[index].times > 0 else { continue }
                    rules[index].times -= 1
                    return rules[index].effect
                }
                return nil
            }
        }
    }
}
