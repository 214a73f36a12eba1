import CarnetCore

/// How a node's next events will be judged among the members (SPEC §9.5), as far as the
/// member records held say: what lets a writer that holds only the views take another
/// device's entries (a farm's day at the hub) without judging every member record again.
///
/// An event's roles and revocation depend on which cuts it lies past. On a node that has
/// not forked, an event past its node's head lies past every cut at or below the head and
/// before every cut above it until its seq passes that cut: so every event from the head up
/// to `limit` (the lowest cut above the head) is judged alike, and taking events below
/// `limit` changes neither this standing nor `limit` (what a fold would find again).
public struct MemberChainEnd: Hashable, Sendable {
    public enum Standing: Hashable, Sendable {
        /// Enrolled, not revoked: these roles.
        case roles(MemberRoles)
        case unenrolled
        /// Past a revocation that counts: counts nowhere.
        case revoked
        /// Format-1 history the creator adopted (§9.7): counts, with every role, and no
        /// writer's roles shown.
        case adopted
    }

    public var standing: Standing
    /// The lowest seq above the node's head that a member record's cut or an adopted tip
    /// names for the node; nil when none does.
    public var limit: UInt64?

    public init(standing: Standing, limit: UInt64?) {
        self.standing = standing
        self.limit = limit
    }

    /// Whether the node's event at `seq` (past its head) is judged with `standing`, and
    /// taking it leaves this chain end as it is.
    public func covers(seq: UInt64) -> Bool { limit.map { seq < $0 } ?? true }

    /// Whether an entry of `kind` by `producer` (and `party`, for an order) counts under
    /// this standing: `Membership.verdict(of:entry:)` for an event this end covers.
    public func counts(_ entry: LedgerEntry) -> Bool {
        switch standing {
        case .adopted: return true
        case .unenrolled, .revoked: return false
        case let .roles(roles):
            switch entry.kind {
            case .review: return roles.administers
            case .order: return roles.mayWrite(for: entry.producer) || roles.mayWrite(for: entry.party ?? "")
            default: return roles.mayWrite(for: entry.producer)
            }
        }
    }

    /// The writer's roles an entry index keeps for an entry that counts under this
    /// standing (`EntryIndexStanding.writerRoles`): none for adopted history.
    public var writerRoles: MemberRoles? {
        if case let .roles(roles) = standing { return roles }
        return nil
    }
}

extension Membership {
    /// The chain end of every node with an accepted event that has not forked (a fork
    /// decides which events lie past a cut by branch, not by seq); empty where members are
    /// not enforced. A node without one is left out: its first event declares its device,
    /// which can change what member records naming it grant to other nodes.
    public func chainEnds(history: History) -> [NodeID: MemberChainEnd] {
        guard enforced else { return [:] }
        let cutSeqs = cutSeqsByNode
        var ends: [NodeID: MemberChainEnd] = [:]
        for node in history.nodeIDs where history.heads(of: node).count == 1 {
            guard let head = history.chainHead(of: node) else { continue }
            let seq = head.dot.seq + 1
            let next = EventID(dot: Dot(node: node, seq: seq), hash: .zero)
            let standing: MemberChainEnd.Standing
            if isAdopted(next) {
                standing = .adopted
            } else {
                let write = nextWrite(of: node, history: history)
                standing = write.revokedBy != nil ? .revoked : write.roles.map { .roles($0) } ?? .unenrolled
            }
            ends[node] = MemberChainEnd(standing: standing, limit: cutSeqs[node]?.filter { $0 >= seq }.min())
        }
        return ends
    }
}

/// How the chain of a node not held yet will be judged when it arrives, as far as the
/// member records held say: what lets a writer take a new device's first sync (its key
/// declaration, its label, its entries) from the views, at the hub that enrolled it.
///
/// Such a node declares its device's key in its first event. Two cases are told apart:
/// - a node no member record names (as its device or in a cut): its events lie past every
///   cut, so they are judged by its device's latest grant and any revocation of it
///   (`devices`, for the devices of the nodes held); a device not listed has no grant;
/// - a node records name, whose key no node held declares: the records' grants to it then
///   go to that key alone, so its chain is judged as the records judge it now (`named`).
/// A named node whose key a node held declares joins grants made to two names: a fold
/// judges it.
public struct MemberNewNodes: Hashable, Sendable {
    /// The nodes member records name that are not held, each with the chain end it would have.
    public var named: [NodeID: MemberChainEnd]
    /// For each device key that a node held declares: the standing of a new node of that device.
    public var devices: [[UInt8]: MemberChainEnd.Standing]

    public init(named: [NodeID: MemberChainEnd], devices: [[UInt8]: MemberChainEnd.Standing]) {
        self.named = named
        self.devices = devices
    }

    /// The chain end of `node`, arriving with `key` declared in its first event, and these
    /// new nodes with it held; nil when the views cannot tell (see the type).
    public func taking(_ node: NodeID, key: [UInt8]) -> (end: MemberChainEnd, after: MemberNewNodes)? {
        var after = self
        if let end = named[node] {
            // Adopted history declares no key; a cut above its head would move the device's standing.
            guard devices[key] == nil, end.standing != .adopted, end.limit == nil else { return nil }
            after.named[node] = nil
            after.devices[key] = end.standing
            return (end, after)
        }
        let standing = devices[key] ?? .unenrolled
        after.devices[key] = standing
        return (MemberChainEnd(standing: standing, limit: nil), after)
    }
}
