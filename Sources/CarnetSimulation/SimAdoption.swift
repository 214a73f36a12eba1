import CarnetCore
import CarnetLedger

/// The format-1 history a signed campaign may start from (issue 17, item 9, in T2): two
/// nodes with no key, one of them forked, that the first hub adopted by signing over their
/// heads (SPEC 9.7). Every node must end holding it, taken in through the sessions below
/// the creator's adoption heads, and count it alike (I1, I8).
enum SimAdoption {
    /// Nil for one seed in two; else the adoption batches (the creator's heads every
    /// 1,024 seqs and at each tip) and the tips its genesis commit names.
    static func history(seed: UInt64, creator: DeviceSigner, ledger: LedgerID) -> (batches: [SignedEvents], tips: [MemberCut])? {
        var rng = SplitMix64(seed: seed)
        guard rng.int(0...1) == 0 else { return nil }
        let day = CalendarDay(daysSinceEpoch: 20_500)
        var events: [Event] = []
        var history = History()
        func keep(_ event: Event) {
            events.append(event)
            _ = history.insert(event)
        }
        var long = Replica(node: NodeID(using: &rng))
        let length = rng.int(200...2_200)
        for index in 0..<length {
            let entry = LedgerEntry(id: "old-\(index)", kind: .harvest, producer: "farm-old", date: day, product: "miel",
                                    quantity: Int64(rng.int(1...9)) * 100, unit: .grams, lot: "L\(index % 7)")
            keep(long.write(.append(entry.coreEntry), wallMillis: 1_700_000_000_000 + UInt64(index)))
        }
        var forked = Replica(node: NodeID(using: &rng))
        for index in 0..<rng.int(3...12) {
            keep(forked.write(.append(LedgerEntry(id: "fork-\(index)", kind: .harvest, producer: "farm-fork", date: day,
                                                  product: "miel", quantity: 100, unit: .grams, lot: "F").coreEntry),
                              wallMillis: 1_700_000_100_000 + UInt64(index)))
        }
        // A copy restored from an early backup wrote on: a second branch.
        var copy = Replica(node: forked.node)
        copy.admit(contentsOf: Array(events.suffix(from: length).prefix(2)))
        for index in 0..<rng.int(1...5) {
            keep(copy.write(.append(LedgerEntry(id: "copy-\(index)", kind: .harvest, producer: "farm-fork", date: day,
                                                product: "miel", quantity: 50, unit: .grams, lot: "F").coreEntry),
                            wallMillis: 1_700_000_200_000 + UInt64(index)))
        }
        let nodes = history.nodeIDs
        let batches = FormatOneAdoption.batches(of: history, nodes: nodes, by: creator, ledger: ledger, groupEvents: 1_024)
        let tips = FormatOneAdoption.tips(of: history, nodes: nodes).map { MemberCut(node: $0.dot.node, seq: $0.dot.seq, head: $0.hash) }
        return (batches, tips)
    }
}
