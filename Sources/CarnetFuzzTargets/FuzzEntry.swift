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
    /// CARNET_FUZZ_STRICT=1 traps on known product issues too (to collect their crashers).
    private static let strict = getenv("CARNET_FUZZ_STRICT").map { String(cString: $0) == "1" } ?? false

    public static func testOneInput(_ target: FuzzTarget, _ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let input = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
        do {
            try (target == .store ? runner : FuzzRunner.fileFree).run(target, input)
        } catch where error.known == nil || strict {
            fatalError("fuzz property violated: \(error)")
        } catch {
            // A known product issue: reported already, its crasher kept; look for others.
        }
        return 0
    }
}
