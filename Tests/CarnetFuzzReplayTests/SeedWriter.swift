import CarnetFuzzTargets
import Foundation
import Testing

/// Writes the seeds into the corpus folders when CARNET_WRITE_FUZZ_SEEDS=1 (then run
/// `tools/fuzz.sh merge` to keep only what adds coverage). Does nothing otherwise.
struct SeedWriter {
    @Test func writeSeedsWhenAsked() throws {
        guard ProcessInfo.processInfo.environment["CARNET_WRITE_FUZZ_SEEDS"] == "1" else { return }
        for target in FuzzTarget.allCases {
            let folder = FuzzCorpus.folder(target, "corpus")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for seed in SeedCorpus.seeds(for: target) + VectorSeeds.seeds(for: target) {
                try Data(seed.bytes).write(to: folder.appendingPathComponent("seed-" + seed.name))
            }
        }
    }
}
