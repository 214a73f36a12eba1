import CarnetFuzzTargets
import CarnetTestKit
import Testing

/// T4 in `swift test`: every corpus and crasher file of Tests/Fixtures/fuzz/** through the
/// same one-input functions libFuzzer runs (without sanitizers). A crasher that still
/// fails is a bug found by fuzzing and not fixed.
struct CorpusReplayTests {
    @Test(arguments: FuzzTarget.allCases)
    func everyCorpusAndCrasherFileReplays(_ target: FuzzTarget) throws {
        let runner = try #require(FuzzRunner())
        let files = FuzzCorpus.files(target, "corpus") + FuzzCorpus.files(target, "crashers")
        #expect(!FuzzCorpus.files(target, "corpus").isEmpty, "no corpus for \(target) in \(FuzzCorpus.root.path)")
        let inputs = files.map { ($0.name, $0.bytes) }
        let failures = LargeStack.run { Self.failures(runner, target, inputs) }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }

    /// The seeds the code makes are valid inputs: no property fails on them.
    @Test(arguments: FuzzTarget.allCases)
    func seedsPass(_ target: FuzzTarget) throws {
        let runner = try #require(FuzzRunner())
        let seeds = SeedCorpus.seeds(for: target) + VectorSeeds.seeds(for: target)
        #expect(seeds.count >= 3)
        let inputs = seeds.map { ("seed \($0.name)", $0.bytes) }
        let failures = LargeStack.run { Self.failures(runner, target, inputs) }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
    }

    /// Each input through the target, on the caller's thread: what failed, named.
    static func failures(_ runner: FuzzRunner, _ target: FuzzTarget, _ inputs: [(String, [UInt8])]) -> [String] {
        var failures: [String] = []
        for (name, bytes) in inputs {
            do {
                try runner.run(target, bytes)
            } catch {
                failures.append("\(name): \(error)")
            }
        }
        return failures
    }
}
