import CarnetCore
import CarnetLedger

/// The member side of a random history (`RandomHistory(members: true)`): a ledger with a
/// genesis, devices with keys, and at random enrolments, changes of roles, revocations,
/// member records by devices that may not write them, entries for another producer.
enum MemberHistory {
    /// Makes every writer a device of a new ledger that writer 0 creates: each declares
    /// its key; writer 0 writes the genesis.
    /// `formatOne`: that writer declares no key: a node of a format-1 history, which counts
    /// only where the creator adopted it (SPEC 9.7).
    static func found<R: RandomNumberGenerator>(_ writers: inout [RandomHistory.Writer], wallMillis: UInt64,
                                                using rng: inout R, formatOne: Int? = nil) -> (ledger: LedgerID, events: [Event]) {
        let devices = writers.map { _ in DeviceSigner.generate(using: &rng) }
        let salt = DeviceSigner.randomSalt(using: &rng)
        let ledger = LedgerID.derived(creator: devices[0].nodeKey.publicKey, salt: salt)
        var events: [Event] = []
        for index in writers.indices {
            if index == formatOne, index != 0 {
                writers[index].replica = Replica(node: writers[index].replica.node, ledger: ledger)
                continue
            }
            var replica = Replica(node: devices[index].node, ledger: ledger)
            events.append(replica.assign(NodeKey.declarationKey(for: replica.node), .text(devices[index].nodeKey.declarationText),
                                         wallMillis: wallMillis))
            if index == 0 {
                events.append(replica.assign(LedgerGenesis.genesisKey(ledger),
                                             .text(LedgerGenesis.text(creator: devices[0].nodeKey.publicKey, salt: salt)),
                                             wallMillis: wallMillis))
            }
            writers[index].replica = replica
        }
        return (ledger, events)
    }

    /// One in eight steps: a member record by `index` (writer 0 most often, the creator),
    /// or an entry for another writer's producer.
    static func step<R: RandomNumberGenerator>(_ writers: inout [RandomHistory.Writer], index: Int, wallMillis: UInt64,
                                               using rng: inout R) -> Event? {
        guard Int.random(in: 0..<8, using: &rng) == 0 else { return nil }
        let writer = Int.random(in: 0..<3, using: &rng) == 0 ? index : 0
        let target = Int.random(in: 0..<writers.count, using: &rng)
        let targetNode = writers[target].replica.node
        let replica = writers[writer].replica
        let seq = (replica.history.chainHead(of: replica.node)?.dot.seq ?? 0) + 1
        let id = MemberRecord.makeID(node: replica.node, seq: seq)
        let roll = Int.random(in: 0..<10, using: &rng)
        if roll == 9 {
            // An entry for another writer's producer: out of role unless its roles say so.
            let other = writers[Int.random(in: 0..<writers.count, using: &rng)].label
            let entry = LedgerEntry(id: "\(writers[writer].label)-x\(seq)", kind: .harvest, producer: other,
                                    date: CalendarDay(epochMillis: wallMillis), product: "P0",
                                    quantity: Int64.random(in: 1...20, using: &rng) * 100, unit: .grams, lot: "L0")
            return writers[writer].replica.write(.append(entry.coreEntry), wallMillis: wallMillis)
        }
        var roles: [MemberRole] = [.producer(writers[target].label)]
        if Bool.random(using: &rng) { roles.append(.catalog) }
        if Int.random(in: 0..<6, using: &rng) == 0 { roles.append(.admin) }
        if Int.random(in: 0..<8, using: &rng) == 0 { roles.append(.producer(writers[Int.random(in: 0..<writers.count, using: &rng)].label)) }
        // The cut: what the writer holds of the target, sometimes less (an administrator who
        // has not synced lately).
        var cuts: [MemberCut] = []
        if let head = replica.history.chainHead(of: targetNode) {
            var seq = head.dot.seq
            if seq > 1, Int.random(in: 0..<3, using: &rng) == 0 { seq = UInt64.random(in: 1..<seq, using: &rng) }
            if let event = replica.history.events(of: targetNode, at: seq).first {
                cuts = [MemberCut(node: targetNode, seq: seq, head: event.hash)]
            }
        }
        let record: MemberRecord = switch roll {
        case 0..<6: MemberRecord(id: id, action: .enrol, device: targetNode, roles: MemberRoles(roles), label: writers[target].label)
        case 6..<8: MemberRecord(id: id, action: .roles, device: targetNode, roles: MemberRoles(roles), cuts: cuts)
        default: MemberRecord(id: id, action: .revoke, device: targetNode, cuts: cuts, reason: "random")
        }
        return writers[writer].replica.write(.append(record.coreEntry), wallMillis: wallMillis)
    }

    /// One in ten steps: the creator (one time in four another writer, whose adoption
    /// counts for nothing) adopts the heads it holds of the format-1 writer, sometimes a
    /// seq behind (an adoption made before the last sync).
    static func adopt<R: RandomNumberGenerator>(_ writers: inout [RandomHistory.Writer], formatOne: Int, ledger: LedgerID,
                                                wallMillis: UInt64, using rng: inout R) -> Event? {
        guard Int.random(in: 0..<10, using: &rng) == 0 else { return nil }
        let adopter = Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 0..<writers.count, using: &rng) : 0
        guard adopter != formatOne else { return nil }
        let node = writers[formatOne].replica.node
        let history = writers[adopter].replica.history
        var tips: [MemberCut] = []
        for head in history.heads(of: node) {
            var id = head
            if id.dot.seq > 1, Int.random(in: 0..<3, using: &rng) == 0, let event = history.event(id) {
                id = EventID(dot: Dot(node: node, seq: id.dot.seq - 1), hash: event.previous)
            }
            tips.append(MemberCut(node: node, seq: id.dot.seq, head: id.hash))
        }
        guard !tips.isEmpty else { return nil }
        return writers[adopter].replica.assign(LedgerGenesis.adoptedKey(ledger), .text(LedgerGenesis.adoptedText(tips)),
                                               wallMillis: wallMillis)
    }
}
