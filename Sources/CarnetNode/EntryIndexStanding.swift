import CarnetCore
import CarnetLedger
import CarnetWire

/// What `show` and `log` print about an entry in a ledger with members (SPEC §9.5): whether
/// it counts and why not, whether it is adopted format-1 history, and its writer's roles at
/// that entry. The entry index keeps it (§6.7, `members`) so that a co-op's ledger is read
/// without judging its members again, which needs the whole history.
///
/// A ledger holds few distinct standings (a device's roles change rarely, entries set aside
/// are rare): the index keeps each once and gives every entry the position of its own.
public struct EntryIndexStanding: Hashable, Sendable {
    public var verdict: Membership.Verdict
    /// Format-1 history the ledger's creator adopted (§9.7): it counts, and its writer had
    /// no roles.
    public var adopted: Bool
    /// Nil when the writer is not enrolled at that entry, and for adopted history.
    public var writerRoles: MemberRoles?

    public init(verdict: Membership.Verdict, adopted: Bool, writerRoles: MemberRoles?) {
        self.verdict = verdict
        self.adopted = adopted
        self.writerRoles = writerRoles
    }

    /// The standing of the entry `event` carries, judged as `LedgerState` and `show` judge
    /// it: `verdict` is the ledger state's (nil: judged here, by `membership`).
    init(event: Event, entry: LedgerEntry, membership: Membership, verdict: Membership.Verdict? = nil) {
        let adopted = membership.isAdopted(event.id)
        self.init(verdict: verdict ?? membership.verdict(of: event, entry: entry), adopted: adopted,
                  writerRoles: adopted ? nil : membership.roles(at: event.id))
    }

    /// The standing of `record` in a ledger state: its verdict the state's own.
    init(record: LedgerRecord, membership: Membership, verdict: Membership.Verdict) {
        let adopted = membership.isAdopted(record.event)
        self.init(verdict: verdict, adopted: adopted, writerRoles: adopted ? nil : membership.roles(at: record.event))
    }

    /// The standing of each of `writers`' entries that the views took (they count, judged
    /// by `LedgerViews.countsAmongMembers`): adopted history, or its writer's roles there
    /// (its chain end's, or this node's own next write's where the views keep no chain end).
    /// Nil where the members are not enforced.
    static func counting(writers: some Sequence<NodeID>, members: MembersView, ownNode: NodeID?) -> [NodeID: EntryIndexStanding]? {
        guard members.enforced else { return nil }
        var standings: [NodeID: EntryIndexStanding] = [:]
        for writer in writers where standings[writer] == nil {
            if let end = members.chainEnds?[writer] {
                standings[writer] = EntryIndexStanding(verdict: .counts, adopted: end.standing == .adopted, writerRoles: end.writerRoles)
            } else if writer == ownNode {
                standings[writer] = EntryIndexStanding(verdict: .counts, adopted: false, writerRoles: members.ownRoles)
            }
        }
        return standings
    }

    /// `counting` for `writers` and for every node whose chain end the views keep: what a
    /// merge of the entry index needs when the log past the index holds, besides the events
    /// its writer added, a tail another writer left (SPEC §6.8), whose entries count under
    /// their writers' chain ends.
    static func counting(writers: some Sequence<NodeID>, andTailOf members: MembersView, ownNode: NodeID?)
        -> [NodeID: EntryIndexStanding]? {
        counting(writers: Array(writers) + (members.chainEnds?.keys.sorted() ?? []), members: members, ownNode: ownNode)
    }

    // MARK: - Bytes (SPEC §6.7, `standing`)

    func encode(_ writer: inout ByteWriter) {
        switch verdict {
        case .counts: writer.byte(0)
        case .unenrolled: writer.byte(1)
        case .revoked: writer.byte(2)
        case .outOfRole: writer.byte(3)
        }
        writer.byte(adopted ? 1 : 0)
        if let writerRoles {
            writer.byte(1)
            writer.string(writerRoles.description)
        } else {
            writer.byte(0)
        }
        switch verdict {
        case let .revoked(by):
            writer.nodeID(by.dot.node)
            writer.varint(by.dot.seq)
            writer.digest(by.hash)
        case let .outOfRole(role):
            writer.string(role)
        case .counts, .unenrolled:
            break
        }
    }

    static func decode(_ reader: inout ByteReader) throws(WireError) -> EntryIndexStanding {
        let code = try reader.byte()
        let adopted: Bool
        switch try reader.byte() {
        case 0: adopted = false
        case 1: adopted = true
        default: throw .malformed("a standing's adopted byte is neither 00 nor 01", at: reader.offset)
        }
        var roles: MemberRoles?
        switch try reader.byte() {
        case 0: roles = nil
        case 1:
            let text = try reader.string()
            guard let parsed = try? MemberRoles(text: text), parsed.description == text else {
                throw .malformed("a standing's roles do not read as roles", at: reader.offset)
            }
            roles = parsed
        default: throw .malformed("a standing's roles are neither 00 nor 01", at: reader.offset)
        }
        let verdict: Membership.Verdict
        switch code {
        case 0: verdict = .counts
        case 1: verdict = .unenrolled
        case 2:
            let node = try reader.nodeID()
            let seq = try reader.varint()
            verdict = .revoked(by: EventID(dot: Dot(node: node, seq: seq), hash: try reader.digest()))
        case 3: verdict = .outOfRole(try reader.string())
        default: throw .malformed("a standing's verdict is not 00 to 03", at: reader.offset)
        }
        return EntryIndexStanding(verdict: verdict, adopted: adopted, writerRoles: roles)
    }

    /// The `members` body: every standing once, in the order the entries first name them.
    static func encodeList(_ standings: [EntryIndexStanding]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 * standings.count + 8)
        writer.varint(UInt64(standings.count))
        for standing in standings { standing.encode(&writer) }
        return writer.bytes
    }

    /// Nil when the bytes do not read exactly as written.
    static func decodeList(_ bytes: [UInt8]) -> [EntryIndexStanding]? {
        var reader = ByteReader(bytes)
        do throws(WireError) {
            var standings: [EntryIndexStanding] = []
            for _ in 0..<(try reader.count(limit: bytes.count, "standings")) { standings.append(try decode(&reader)) }
            return reader.isAtEnd ? standings : nil
        } catch {
            return nil
        }
    }
}
