import CarnetCore
import CarnetLedger
@testable import CarnetNode
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// The entry index of a cold store's first save (a farm that joined) takes the places of
/// the events the store appended from what it noted as it appended them, not from reading
/// the log again: the file written is still the one made from scratch, byte for byte, and
/// where every event was appended on its chain the noted places alone make it.
@Suite("Entry index from the places appended")
struct EntryIndexAppendedTests {
    @Test("a cold store's first save writes the index made from scratch, from the places it noted")
    func firstSaveFromNotedPlaces() throws {
        let base = testSeed(default: 0xA99E_0DED)
        for offset in 0..<16 as Range<UInt64> {
            let seed = base &+ offset
            let history = RandomHistory(seed: seed, nodes: 2 + Int(offset % 3), steps: 40 + Int(offset % 60))
            var rng = SplitMix64(seed: seed ^ 0x0DED)
            // Half delivered as written (each chain in order), half shuffled and partly
            // twice: events then wait for their predecessors, and some never join a chain.
            var pending = history.events
            if offset % 2 == 1 {
                pending.shuffle(using: &rng)
                pending += pending.filter { _ in Int.random(in: 0..<6, using: &rng) == 0 }
            }
            let directory = EntryIndexTests.directory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try LocalNode.create(directory: directory, ledger: "coop", label: "farm", node: NodeID.derived(from: "farm \(seed)"))
            var store = try NodeStore(directory: directory, wallMillis: 1_790_000_000_000, keepingChainsCold: true) {
                NodeID.derived(from: "x")
            }
            while !pending.isEmpty {
                let chunk = Array(pending.prefix(Int.random(in: 1...12, using: &rng)))
                pending.removeFirst(chunk.count)
                _ = try store.persist(chunk)
            }
            let context = "seed \(seed)"
            let appended = store.appendedLocations()
            #expect(!appended.isEmpty, "\(context): the cold store noted no place")
            if store.replica.forks.isEmpty, store.replica.history.pendingCount == 0 {
                // Every event on its chain: the noted places (and the few of the file `init`
                // wrote) are every place the index needs.
                let previous = EntryIndexBuilder.previousFile(upTo: store.stamp, directory: directory, storage: store.fileStorage)
                let known = EntryIndexBuilder.previousLocations(previous)
                let made = EntryIndexBuilder.contents(replica: store.replica, ledger: nil, names: EntryIndexMergeTests.noNames) {
                    known[$0] ?? appended[$0]
                }
                let scratch = EntryIndexBuilder.fromScratch(replica: store.replica, names: EntryIndexMergeTests.noNames,
                                                            stamp: store.stamp, directory: directory, storage: store.fileStorage)
                #expect(made != nil && made == scratch, "\(context): the index from the noted places differs from the one made from scratch")
            }
            var fold = LedgerFold()
            #expect(store.saveDerivedState(fold: &fold).isEmpty, "\(context)")
            try EntryIndexMergeTests.expectFileFromScratch(directory, context)
        }
    }
}
