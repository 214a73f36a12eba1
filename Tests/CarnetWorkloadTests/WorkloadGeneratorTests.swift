import CarnetCore
import CarnetLedger
import CarnetWorkload
import CarnetWorkloadGenerator
import Testing

/// The built-in generator writes files the strict reader accepts, with the format's
/// counts and causality rules, deterministically from a seed.
struct WorkloadGeneratorTests {
    @Test func generatedFilesAreValidAndMatchTheirMetaLine() throws {
        var generator = WorkloadGenerator(entries: 3_000)
        generator.farms = 6
        generator.days = 20
        generator.seed = 7
        let bytes = generator.generate()
        let lines = try WorkloadReader.readAll(bytes)
        guard case let .meta(meta)? = lines.first else { Issue.record("no meta line"); return }
        let entries = lines.compactMap { if case let .entry(entry) = $0 { entry } else { nil } }
        let catalogWrites = lines.filter { if case .catalog = $0 { true } else { false } }
        #expect(meta.entries == 3_000 && entries.count == 3_000)
        #expect(meta.count(of: "cat") == catalogWrites.count)
        #expect(meta.count(of: "sync") == 20)
        #expect(meta.actors == ["HUB", "F00", "F01", "F02", "F03", "F04", "F05"])
        for (kind, count) in meta.kinds { #expect(entries.filter { $0.kind == kind }.count == count, "\(kind)") }
        // Ids unique and increasing per farm; refs name earlier entries of the same farm;
        // an entry is reversed at most once and reversals are never reversed.
        var seen: [String: WorkloadEntry] = [:]
        var reversed = Set<String>()
        for entry in entries {
            #expect(seen[entry.id] == nil)
            if let ref = entry.ref {
                let target = try #require(seen[ref], "\(entry.id) names \(ref) before it exists")
                #expect(target.farm == entry.farm)
                if entry.kind == "reversal" {
                    #expect(target.kind != "reversal")
                    #expect(reversed.insert(ref).inserted, "\(ref) reversed twice")
                }
            }
            seen[entry.id] = entry
        }
        // The replay builds a consistent ledger from it.
        let replay = try WorkloadReplay.replay(bytes)
        #expect(LedgerState(replica: replay.hub).records.count == 3_000)
    }

    @Test func theSameSeedGivesTheSameBytes() {
        var generator = WorkloadGenerator(entries: 500)
        generator.days = 5
        let first = generator.generate()
        #expect(generator.generate() == first)
        generator.seed = 43
        #expect(generator.generate() != first)
    }
}
