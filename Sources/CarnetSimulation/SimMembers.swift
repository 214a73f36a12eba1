import CarnetCore
import CarnetLedger
import CarnetTestKit

/// The member side of a signed campaign (issue 17, item 5, in T2): the first hub created
/// the ledger (its id derived from its key, its first write the genesis); it enrols farms,
/// now and then changes one's roles or revokes one, while farms write real ledger entries,
/// some for another farm (out of role), some before they are enrolled. At the end every
/// node must hold the same verdicts, conflicts and views (I8).
public struct SimMembers: Sendable {
    let ledger: LedgerID
    let genesis: String
    var genesisWritten = false
    /// Every node's id and label, by index.
    let nodes: [NodeID]
    let labels: [String]
    let hubs: Int
    /// The tips of the format-1 history the first hub adopted, named in its second write.
    var adoptedTips: [MemberCut]?

    /// A member record the hub writes; its cut is read from the hub's store when it writes.
    public enum Action: Sendable {
        case enrol(target: Int, roles: MemberRoles)
        case roles(target: Int, roles: MemberRoles)
        case revoke(target: Int)
    }

    /// The first hub's next write, or nil for an ordinary one.
    mutating func hubWrite(using rng: inout SplitMix64) -> SimOperation? {
        if !genesisWritten {
            genesisWritten = true
            return .assign(LedgerGenesis.genesisKey(ledger), .text(genesis))
        }
        if let tips = adoptedTips {
            adoptedTips = nil
            return .assign(LedgerGenesis.adoptedKey(ledger), .text(LedgerGenesis.adoptedText(tips)))
        }
        guard nodes.count > hubs, rng.int(0...99) < 30 else { return nil }
        let target = rng.int(hubs...(nodes.count - 1))
        var roles: [MemberRole] = [.producer(labels[target])]
        if rng.int(0...1) == 0 { roles.append(.catalog) }
        switch rng.int(0...9) {
        case 0..<7: return .member(.enrol(target: target, roles: MemberRoles(roles)))
        case 7, 8: return .member(.roles(target: target, roles: MemberRoles(roles)))
        default: return .member(.revoke(target: target))
        }
    }

    /// The record for `action`, with the cut of what `replica` holds of the target.
    func record(_ action: Action, writer: Dot, replica: Replica) -> MemberRecord {
        let id = MemberRecord.makeID(node: writer.node, seq: writer.seq)
        func cuts(_ target: Int) -> [MemberCut] {
            replica.history.chainHead(of: nodes[target]).map { [MemberCut(node: nodes[target], seq: $0.dot.seq, head: $0.hash)] } ?? []
        }
        switch action {
        case let .enrol(target, roles):
            return MemberRecord(id: id, action: .enrol, device: nodes[target], roles: roles, label: labels[target])
        case let .roles(target, roles):
            return MemberRecord(id: id, action: .roles, device: nodes[target], roles: roles, cuts: cuts(target))
        case let .revoke(target):
            return MemberRecord(id: id, action: .revoke, device: nodes[target], cuts: cuts(target), reason: "simulated")
        }
    }

    /// A farm's entry: a harvest, a sale or a delivery of its own, one in ten for another
    /// farm (out of its roles).
    func entry(node: Int, number: Int, wallMillis: UInt64, using rng: inout SplitMix64) -> SimOperation {
        let farms = hubs..<nodes.count
        let producer = rng.int(0...9) == 0 && farms.count > 1 ? labels[rng.int(farms.lowerBound...(farms.upperBound - 1))] : labels[node]
        let kinds: [EntryKind] = [.harvest, .sale, .delivery]
        let kind = kinds[rng.int(0...2)]
        let entry = LedgerEntry(
            id: "\(labels[node])-\(number)", kind: kind, producer: producer, date: CalendarDay(epochMillis: wallMillis),
            product: "P\(rng.int(0...3))", quantity: Int64(rng.int(1...60)) * 100, unit: .grams, lot: "L\(rng.int(1...6))",
            party: kind == .harvest ? nil : "cantine", amount: kind == .sale ? Int64(rng.int(100...9_000)) : nil
        )
        return .append(entry.coreEntry)
    }
}
