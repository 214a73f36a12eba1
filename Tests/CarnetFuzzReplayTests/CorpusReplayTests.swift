import CarnetFuzzTargets
import Testing

/// T4 in `swift test`: every corpus and crasher file of Tests/Fixtures/fuzz/** through the
/// same one-input functions libFuzzer runs (without sanitizers). A crasher that still
/// fails is a bug found by fuzzing; one whose bug is known and not fixed yet belongs in
/// `KnownCrashers` instead, where it is expected to fail until the fix lands.
struct CorpusReplayTests {
    @Test(arguments: FuzzTarget.allCases)
    func everyCorpusAndCrasherFileReplays(_ target: FuzzTarget) throws {
        let runner = try #require(FuzzRunner())
        let files = FuzzCorpus.files(target, "corpus") + FuzzCorpus.files(target, "crashers")
        #expect(!FuzzCorpus.files(target, "corpus").isEmpty, "no corpus for \(target) in \(FuzzCorpus.root.path)")
        for file in files where !KnownCrashers.contains(file.name) {
            do {
                try runner.run(target, file.bytes)
            } catch where error.known != nil {
                // Shown by a crasher in `KnownCrashers`; a corpus file may reach it too.
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
