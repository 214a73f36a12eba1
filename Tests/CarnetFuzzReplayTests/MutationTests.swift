import CarnetFuzzTargets
import CarnetTestKit
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// T4's seeded mutations: for each target, inputs made from its corpus by `Mutator`, in
/// plain Swift with no sanitizer. A failure prints the seed (replay with CARNET_SEED), the
/// iteration and the input.
///
/// RELIABILITY.md asks for 100,000 per decoder. In the debug build of `swift test` an input
/// costs about 30 µs of CPU for the frame reader, 45 µs for the codecs, 0.35 ms for a
/// bundle (SHA-256), 0.6 ms for the store (files), 3.7 ms for a session (HMACs) and about
/// 25 ms for a signed session (Ed25519 signatures and checks, unoptimized): 100,000 each
/// would take over an hour of CPU. The frame reader and the codecs get the full 100,000;
/// the others get what keeps the whole run near 30 s of CPU (about 20 s on two cores). CARNET_FUZZ_MUTATIONS sets the count for every target (`=100000` for the full
/// figure everywhere).
struct MutationTests {
    static let defaultCounts: [FuzzTarget: Int] = [
        .frame: 100_000, .codec: 100_000, .bundle: 10_000, .store: 10_000, .session: 2_000, .sessionSigned: 150,
    ]

    static func count(for target: FuzzTarget) -> Int {
        ProcessInfo.processInfo.environment["CARNET_FUZZ_MUTATIONS"].flatMap(Int.init) ?? defaultCounts[target]!
    }

    @Test(arguments: FuzzTarget.allCases)
    func seededMutationsBreakNoProperty(_ target: FuzzTarget) throws {
        let base = testSeed(default: 0x7A4F_0000)
        let seed = base ^ UInt64(FuzzTarget.allCases.firstIndex(of: target)!)
        let runner = try #require(FuzzRunner())
        let corpus = (FuzzCorpus.files(target, "corpus") + FuzzCorpus.files(target, "crashers")).map(\.bytes)
        try #require(!corpus.isEmpty, "no corpus for \(target)")
        let count = Self.count(for: target)
        let started = ContinuousClock.now
        let (failures, cpu) = LargeStack.run { () -> ([String], Double) in
            var mutator = Mutator(seed: seed, corpus: corpus)
            var failures: [String] = []
            let startedCPU = Self.threadCPUSeconds()
            for iteration in 0..<count {
                let input = mutator.next()
                do {
                    try runner.run(target, input)
                } catch {
                    failures.append("seed=\(base) (replay: CARNET_SEED=\(base)) target=\(target) iteration=\(iteration): \(error)\ninput \(FuzzCorpus.hex(input, limit: 4096))")
                    if failures.count >= 5 { break }
                }
            }
            return (failures, Self.threadCPUSeconds() - startedCPU)
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        let elapsed = ContinuousClock.now - started
        print("fuzz mutations: \(target) \(count) inputs in \(elapsed) (\(cpu) s of CPU) (seed=\(base))")
    }

    /// CPU time of this thread: the test's own cost, whatever else shares the machine.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
