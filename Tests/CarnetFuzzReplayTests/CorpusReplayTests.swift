import CarnetFuzzTargets
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
        for file in files {
            do {
                try runner.run(target, file.bytes)
            } catch {
                Issue.record("\(file.name): \(error)")
            }
        }
    }

    /// The seeds the code makes are valid inputs: no property fails on them.
    @Test(arguments: FuzzTarget.allCases)
    func seedsPass(_ target: FuzzTarget) throws {
        let runner = try #require(FuzzRunner())
        let seeds = SeedCorpus.seeds(for: target) + VectorSeeds.seeds(for: target)
        #expect(seeds.count >= 3)
        for seed in seeds {
            do {
                try runner.run(target, seed.bytes)
            } catch {
                Issue.record("seed \(seed.name): \(error)")
            }
        }
    }
}
