import CarnetCore

extension StoreAudit {
    /// Takes the log's records into `replica` in order, checking in each that every event
    /// lies below a valid signed head of its author (the record's heads, or heads taken in
    /// before). A signature that does not verify, or events no signature covers, are
    /// problems: a store of a signed ledger never writes either.
    mutating func checkSignatures(of records: [LogReader.Record], ledger: LedgerID, adopter: Ed25519.PublicKey?,
                                  into replica: inout Replica) {
        var signatures = 0
        var firstProblem: String?
        var headNodes: [NodeID] = []
        for record in records {
            signatures += record.heads.count
            headNodes += record.heads.map(\.node)
            if let rejection = SignedChains.rejection(of: record.events, heads: record.heads, ledger: ledger,
                                                      held: replica.heldChains(adopter: adopter)) {
                unsignedEvents += record.events.count
                if firstProblem == nil { firstProblem = "the record at byte \(record.offset): \(rejection)" }
            }
            replica.admit(SignedEvents(events: record.events, heads: record.heads))
        }
        self.signatures = signatures
        // A head over a chain with no key of its own can only be the creator's adoption.
        let held = replica.heldChains
        adoptionHeads = headNodes.filter { held.key($0) == nil }.count
        if let firstProblem {
            problems.append("\(unsignedEvents) events in records whose signatures do not vouch for them; first: \(firstProblem)")
        }
    }
}
