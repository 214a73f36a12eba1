#if canImport(Glibc)
import Glibc
#endif

/// What each libFuzzer executable's `LLVMFuzzerTestOneInput` calls: one input through one
/// target, trapping on a violated property so that libFuzzer keeps the input as a crasher.
public enum FuzzEntry {
    /// Made on first use, in the fuzzing process: only the store target needs its
    /// scratch directory.
    private static let runner: FuzzRunner = {
        guard let runner = FuzzRunner() else { fatalError("cannot make a scratch directory for the store target") }
        return runner
    }()

    public static func testOneInput(_ target: FuzzTarget, _ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let input = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
        do {
            try (target == .store ? runner : FuzzRunner.fileFree).run(target, input)
        } catch {
            fatalError("fuzz property violated: \(error)")
        }
        return 0
    }
}
