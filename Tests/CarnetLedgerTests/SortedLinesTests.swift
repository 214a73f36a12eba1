import CarnetCore
@testable import CarnetLedger
import CarnetTestKit
import Testing

/// The batch additions of `LedgerViews.addTaken`: lines updated where they are held, new
/// ones kept apart and merged once. Over random keys, the result must be what inserting
/// each line where it belongs gives.
struct SortedLinesTests {
    @Test func updatesAndMergesAsInsertingOneByOne() {
        let seed = testSeed(default: 0x5017_ED11)
        var rng = SplitMix64(seed: seed)
        for round in 0..<200 {
            let held = Array(Set((0..<Int(rng.next() % 60)).map { _ in Int(rng.next() % 100) })).sorted()
            var batched = held.map { (key: $0, sum: 1) }
            var oneByOne = batched
            var pending: [(key: Int, sum: Int)] = []
            let precedes: ((key: Int, sum: Int), (key: Int, sum: Int)) -> Bool = { $0.key < $1.key }
            for _ in 0..<Int(rng.next() % 40) {
                let key = Int(rng.next() % 110), amount = Int(rng.next() % 7) + 1
                batched.update(matching: (key, 0), pending: &pending, by: precedes) { $0.sum += amount }
                let at = oneByOne.firstIndex { $0.key >= key } ?? oneByOne.endIndex
                if at < oneByOne.count, oneByOne[at].key == key { oneByOne[at].sum += amount } else { oneByOne.insert((key, amount), at: at) }
            }
            #expect(pending.map(\.key) == pending.map(\.key).sorted(), "seed \(seed), round \(round): pending out of order")
            batched.merge(sorted: pending, by: precedes)
            #expect(batched.map(\.key) == oneByOne.map(\.key) && batched.map(\.sum) == oneByOne.map(\.sum),
                    "seed \(seed), round \(round)")
        }
    }
}
