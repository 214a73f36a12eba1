import CarnetCore

/// How far a revocation or a change of roles reaches into one node's chain: the last
/// event the administrator had accepted from it (its seq and hash). Events up to the cut
/// keep the verdict they had; events past it (later seqs, or another branch of a fork)
/// get the new one, on every node, whichever order the events arrive in.
public struct MemberCut: Hashable, Sendable {
    public var node: NodeID
    public var seq: UInt64
    public var head: SHA256Digest

    public init(node: NodeID, seq: UInt64, head: SHA256Digest) {
        self.node = node
        self.seq = seq
        self.head = head
    }

    /// `NODE:SEQ:HASH` (32 and 64 lowercase hex digits).
    public var text: String { "\(node.hex):\(seq):\(head.hex)" }

    public init?(text: Substring) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let node = NodeID(hex: String(parts[0])), let seq = UInt64(parts[1]), seq >= 1,
              let head = SHA256Digest(lowercaseHex: String(parts[2])) else { return nil }
        self.init(node: node, seq: seq, head: head)
    }
}

/// A `member` record: an administrator enrols a device, changes its roles, or revokes it.
///
/// It names the device by one of its node ids (the device is the key that node declares,
/// SPEC §9.1: its other incarnations share the roles). A change of roles and a revocation
/// carry the cuts of every node of the device the writer held, so what it had already
/// accepted keeps counting. An enrolment carries none: a device writes before it is
/// enrolled, and all it wrote counts once the enrolment arrives.
public struct MemberRecord: Hashable, Sendable {
    public enum Action: String, Sendable, CaseIterable {
        case enrol, roles, revoke
    }

    public var id: String
    public var action: Action
    public var device: NodeID
    public var roles: MemberRoles
    public var label: String?
    public var cuts: [MemberCut]
    public var reason: String?

    public init(id: String, action: Action, device: NodeID, roles: MemberRoles = .none, label: String? = nil,
                cuts: [MemberCut] = [], reason: String? = nil) {
        self.id = id
        self.action = action
        self.device = device
        self.roles = roles
        self.label = label
        self.cuts = cuts.sorted { $0.node < $1.node }
        self.reason = reason
    }

    /// The id a device gives its member record: unique per writer, as entry ids are.
    public static func makeID(node: NodeID, seq: UInt64) -> String { "member-\(node.short)-\(seq)" }

    enum Field {
        static let action = "action"
        static let device = "device"
        static let roles = "roles"
        static let label = "label"
        static let cut = "cut"
        static let reason = "reason"
    }

    /// The core entry that carries the record, fields in a fixed order.
    public var coreEntry: Entry {
        var fields = Fields()
        fields.append(Field.action, .text(action.rawValue))
        fields.append(Field.device, .text(device.hex))
        if action != .revoke { fields.append(Field.roles, .text(roles.description)) }
        if let label { fields.append(Field.label, .text(label)) }
        if !cuts.isEmpty { fields.append(Field.cut, .text(cuts.map(\.text).joined(separator: ","))) }
        if let reason { fields.append(Field.reason, .text(reason)) }
        return Entry(id: id, kind: Replica.memberEntryKind, fields: fields)
    }

    /// Reads a record back; fails on anything malformed, which then counts for nothing.
    public init(_ entry: Entry) throws(LedgerError) {
        guard entry.kind == Replica.memberEntryKind else { throw LedgerError("entry \(entry.id) is not a member record") }
        func text(_ name: String) throws(LedgerError) -> String? {
            guard let value = entry.fields[name] else { return nil }
            guard case let .text(text) = value else { throw LedgerError("member record \(entry.id): field \(name) is not text") }
            return text
        }
        guard let actionText = try text(Field.action), let action = Action(rawValue: actionText) else {
            throw LedgerError("member record \(entry.id) has no action (enrol, roles or revoke)")
        }
        guard let deviceText = try text(Field.device), let device = NodeID(hex: deviceText) else {
            throw LedgerError("member record \(entry.id) names no device (a node id, 32 hex digits)")
        }
        var roles = MemberRoles.none
        if action != .revoke {
            guard let rolesText = try text(Field.roles) else { throw LedgerError("member record \(entry.id) gives no roles") }
            roles = try MemberRoles(text: rolesText)
        }
        var cuts: [MemberCut] = []
        if let list = try text(Field.cut) {
            let parsed = list.split(separator: ",").map(MemberCut.init(text:))
            guard !parsed.isEmpty, !parsed.contains(nil), Set(parsed.compactMap { $0?.node }).count == parsed.count else {
                throw LedgerError("member record \(entry.id): cut is not a list of NODE:SEQ:HASH, one per node")
            }
            cuts = parsed.compactMap { $0 }
        }
        self.init(id: entry.id, action: action, device: device, roles: roles, label: try text(Field.label),
                  cuts: cuts, reason: try text(Field.reason))
    }
}
