import CarnetCore

/// Who may write what in a signed ledger, as its events say: the genesis names the first
/// administrator, `member` records enrol devices, change their roles and revoke them.
///
/// Every verdict is a function of the set of events held, never of the order they came
/// in: two nodes that hold the same events judge every event alike. The rules (SPEC §9.5):
///
/// - A device is the key its nodes declare; roles follow it across its incarnations.
/// - Member records are taken in the ledger's order (clock, then event id). One counts
///   when its author is an administrator at that event and not revoked there.
/// - An event's roles are those of the latest counting enrolment or change of roles whose
///   cut it is past (an enrolment has no cut: it reaches everything the device wrote).
/// - An event past the cut of a counting revocation counts nowhere, whatever its clock.
///   That reaches back: a member record that counted because it came first in the order,
///   but lies past a revocation of its author, is set aside and the records judged again.
/// - When two administrators revoke each other, both revocations count: a revocation is
///   judged without the revocations its own target wrote, so a stolen administrator's
///   device cannot save itself by revoking first (or by setting its clock back).
public struct Membership: Sendable {
    /// A device: the public key its nodes declare, or a node id whose key is not held yet.
    public enum Device: Hashable, Sendable {
        case key([UInt8])
        case node(NodeID)
    }

    /// Why an event does not count.
    public enum Verdict: Hashable, Sendable, CustomStringConvertible {
        case counts
        /// Its device is not enrolled (yet): held aside, counted once an enrolment arrives.
        case unenrolled
        /// Past the cut of this revocation: kept as evidence, counted nowhere.
        case revoked(by: EventID)
        /// Outside its writer's roles (the role it lacked): kept as evidence, counted nowhere.
        case outOfRole(String)

        /// The name `--json` gives it.
        public var name: String {
            switch self {
            case .counts: "counts"
            case .unenrolled: "unenrolled"
            case .revoked: "revoked"
            case .outOfRole: "out-of-role"
            }
        }

        /// For people: why it does not count.
        public var description: String {
            switch self {
            case .counts: "counts"
            case .unenrolled: "not counted yet: its device is not enrolled"
            case let .revoked(by): "counts nowhere: written past its device's revocation (\(by.dot))"
            case let .outOfRole(role): "counts nowhere: its writer lacks the role \(role)"
            }
        }
    }

    /// A member record held, and whether it counts.
    public struct Judged: Hashable, Sendable {
        public var record: MemberRecord
        public var event: EventID
        public var clock: HLCTimestamp
        public var verdict: Verdict
    }

    /// False in a format-1 ledger and in a signed ledger whose genesis is not held: there,
    /// every event counts.
    public let enforced: Bool
    /// The node that wrote the genesis.
    public private(set) var creator: NodeID?
    /// Every member record held, in the ledger's order, with its verdict.
    public private(set) var records: [Judged] = []

    private var history: History
    private var state = Grants()
    /// Each node's device, read once (decoding a declared key costs a point decompression).
    private var devicesByNode: [NodeID: Device] = [:]
    /// The branch tips of format-1 history the creator adopted (SPEC 9.7), per node, from
    /// adoptions that count: what lies on a chain below one of them counts, with every role.
    public private(set) var adopted: [NodeID: [MemberCut]] = [:]

    /// Everything counts: a format-1 ledger, or one with no members.
    public static let open = Membership()

    /// The same judgement, reading `history` from now on: a later copy of the history it
    /// was read from (one that keeps its chains out of memory) with the same member events
    /// and cuts that read alike, as `LedgerFold.catchUp` requires to keep a reading.
    /// Keeping the copy it was read from would keep every event in memory for as long as
    /// the members are.
    func reading(_ history: History) -> Membership {
        var copy = self
        copy.history = history
        return copy
    }

    private init() {
        enforced = false
        history = History()
    }

    /// Reads the members of the replica's ledger (nothing to enforce without one).
    public init(replica: Replica) {
        history = replica.history
        guard let ledger = replica.ledger else { enforced = false; return }
        var genesis: (node: NodeID, key: [UInt8], id: EventID)?
        var memberEvents: [(event: Event, record: MemberRecord)] = []
        var adoptions: [(event: EventID, tips: [MemberCut])] = []
        for id in replica.membershipEvents.sorted() {
            guard let event = history.event(id) else { continue }
            switch event.operation {
            case let .assign(assignment):
                if assignment.key == LedgerGenesis.adoptedKey(ledger), case let .text(text) = assignment.value,
                   let tips = LedgerGenesis.adoptedTips(text) {
                    adoptions.append((id, tips))
                }
                if let key = LedgerGenesis.creatorKey(of: event, ledger: ledger, declaredKey: Self.declaredKey(event.dot.node, history)),
                   genesis.map({ id < $0.id }) ?? true {
                    genesis = (event.dot.node, key.bytes, id)
                }
            case let .append(entry):
                if let record = try? MemberRecord(entry) { memberEvents.append((event, record)) }
            }
        }
        guard let genesis else { enforced = false; return }
        enforced = true
        for node in history.nodeIDs {
            devicesByNode[node] = Self.declaredKey(node, history).map { .key($0.publicKey.bytes) } ?? .node(node)
        }
        creator = genesis.node
        memberEvents.sort { ($0.event.clock, $0.event.id) < ($1.event.clock, $1.event.id) }
        judge(memberEvents, creator: .key(genesis.key))
        // An adoption counts when the creator's device wrote it and not past a revocation
        // of that device: a stolen creator device adopts nothing once revoked.
        for adoption in adoptions where device(of: adoption.event.dot.node) == .key(genesis.key)
            && revocation(of: .key(genesis.key), at: adoption.event, in: state, ignoringAuthor: nil) == nil {
            for tip in adoption.tips { adopted[tip.node, default: []].append(tip) }
        }
    }

    /// Whether `event` is format-1 history the creator adopted: its node declares no key
    /// (a key derives its node id, so a format-1 node never has one) and it lies on a chain
    /// below an adopted tip.
    public func isAdopted(_ event: EventID) -> Bool {
        guard let tips = adopted[event.dot.node], device(of: event.dot.node) == .node(event.dot.node) else { return false }
        return tips.contains { !isPast(event, [event.dot.node: $0]) }
    }

    // MARK: - Judging member records

    /// Takes the records in order; sets aside, one at a time and earliest first, any that
    /// counted but lies past a revocation (or a change of roles) of its author that counts
    /// in the end, and judges again. Ends: each round sets one more aside.
    private mutating func judge(_ memberEvents: [(event: Event, record: MemberRecord)], creator: Device) {
        var setAside = Set<EventID>()
        while true {
            var grants = Grants()
            grants.add(Grant(order: -1, roles: .creator, cuts: [:], event: nil), to: creator)
            var counted: [Int] = []
            var verdicts = [Verdict](repeating: .unenrolled, count: memberEvents.count)
            for (order, item) in memberEvents.enumerated() {
                guard !setAside.contains(item.event.id) else { continue }
                let verdict = authority(of: item.event, record: item.record, under: grants)
                verdicts[order] = verdict
                guard verdict == .counts else { continue }
                counted.append(order)
                let target = device(of: item.record.device)
                let cuts = Dictionary(uniqueKeysWithValues: item.record.cuts.map { ($0.node, $0) })
                switch item.record.action {
                case .enrol:
                    grants.add(Grant(order: order, roles: item.record.roles, cuts: [:], event: item.event.id), to: target)
                case .roles:
                    grants.add(Grant(order: order, roles: item.record.roles, cuts: cuts, event: item.event.id), to: target)
                case .revoke:
                    grants.revoke(Revocation(author: device(of: item.event.dot.node), cuts: cuts, event: item.event.id), of: target)
                }
            }
            let late = counted.first { authority(of: memberEvents[$0].event, record: memberEvents[$0].record, under: grants) != .counts }
            guard let late else {
                state = grants
                records = zip(memberEvents, verdicts).map { item, verdict in
                    var verdict = verdict
                    if setAside.contains(item.event.id) {
                        // Past a revocation or a change of its author's roles that counts;
                        // in the rare chain where that one was set aside in turn, it stays aside.
                        let final = authority(of: item.event, record: item.record, under: grants)
                        verdict = final == .counts ? .outOfRole("admin") : final
                    }
                    return Judged(record: item.record, event: item.event.id, clock: item.event.clock, verdict: verdict)
                }
                return
            }
            setAside.insert(memberEvents[late].event.id)
        }
    }

    /// Whether the record's author may write it: an administrator at that event, not
    /// revoked there (a revocation is judged without those its target wrote).
    private func authority(of event: Event, record: MemberRecord, under grants: Grants) -> Verdict {
        let author = device(of: event.dot.node)
        let ignoring: Device? = record.action == .revoke ? device(of: record.device) : nil
        if let revocation = revocation(of: author, at: event.id, in: grants, ignoringAuthor: ignoring) {
            return .revoked(by: revocation)
        }
        guard let roles = roles(of: author, at: event.id, in: grants) else { return .unenrolled }
        return roles.administers ? .counts : .outOfRole("admin")
    }

    // MARK: - Verdicts on events

    /// The roles of the event's writer at that event; nil when its device is not enrolled.
    public func roles(at event: EventID) -> MemberRoles? {
        guard enforced, !isAdopted(event) else { return .creator }
        return roles(of: device(of: event.dot.node), at: event, in: state)
    }

    /// Whether `event` counts. `entry` is the ledger entry it carries (read by the caller),
    /// nil for an assign or an entry that is not a ledger entry.
    public func verdict(of event: Event, entry: LedgerEntry?) -> Verdict {
        guard enforced else { return .counts }
        let node = event.dot.node
        if case let .assign(assignment) = event.operation, assignment.key.record.type == Replica.incarnationRecordType,
           assignment.key.record.id == node.hex {
            return .counts // a node's own key declaration, label and `continues` link
        }
        if case let .append(core) = event.operation, core.kind == Replica.memberEntryKind {
            return records.first { $0.event == event.id }?.verdict ?? .outOfRole("admin")
        }
        if isAdopted(event.id) { return .counts }
        let device = device(of: node)
        if let revocation = revocation(of: device, at: event.id, in: state, ignoringAuthor: nil) { return .revoked(by: revocation) }
        guard let roles = roles(of: device, at: event.id, in: state) else { return .unenrolled }
        switch event.operation {
        case let .assign(assignment):
            if assignment.key.record.type == Replica.genesisRecordType {
                return node == creator || roles.administers ? .counts : .outOfRole("admin")
            }
            return roles.editsCatalog ? .counts : .outOfRole("catalog")
        case .append:
            guard let entry else { return .counts }
            switch entry.kind {
            case .review:
                return roles.administers ? .counts : .outOfRole("admin")
            case .order:
                return roles.mayWrite(for: entry.producer) || roles.mayWrite(for: entry.party ?? "")
                    ? .counts : .outOfRole("producer:\(entry.producer)")
            default:
                return roles.mayWrite(for: entry.producer) ? .counts : .outOfRole("producer:\(entry.producer)")
            }
        }
    }

    /// Every device's current standing, for `member list`: the latest counting grant's
    /// roles, label and author, and whether a revocation counts.
    public var devices: [(device: Device, record: Judged?)] {
        var latest: [Device: Judged] = [:]
        for judged in records where judged.verdict == .counts {
            latest[device(of: judged.record.device)] = judged
        }
        return latest.map { ($0.key, $0.value) }
    }

    // MARK: - Devices, positions and cuts

    /// The device that writes as `node`: its declared key when held.
    public func device(of node: NodeID) -> Device {
        devicesByNode[node] ?? Self.declaredKey(node, history).map { .key($0.publicKey.bytes) } ?? .node(node)
    }

    /// What the verdicts depend on besides the member records: which nodes are held (a
    /// node's first event tells its device). A fold judges again when either changes.
    public static func inputs(of replica: Replica) -> Inputs {
        Inputs(ledger: replica.ledger, membershipEvents: replica.membershipEvents, nodeCount: replica.history.nodeCount,
               branchedNodes: replica.history.branchedNodes)
    }

    public struct Inputs: Hashable, Sendable {
        var ledger: LedgerID?
        var membershipEvents: Set<EventID>
        var nodeCount: Int
        /// A fork decides which events lie past a cut (those off the cut's branch).
        var branchedNodes: Set<NodeID>
    }

    /// Whether this reading's cuts still place events where they did in `history`: where a
    /// node named in a cut forked, which branch an event is on decides whether it is past
    /// the cut, so a new branch, or the cut's own head arriving (a fold does not see it as
    /// a change of members), may move events judged before to the other side.
    public func cutsReadAlike(in other: History) -> Bool {
        let cuts = records.flatMap(\.record.cuts) + adopted.values.joined()
        for cut in cuts where history.heads(of: cut.node).count != other.heads(of: cut.node).count { return false }
        // Each history's cold events read back together, not one by one in cut order.
        let heads = cuts.map { EventID(dot: Dot(node: $0.node, seq: $0.seq), hash: $0.head) }
        return history.containing(heads) == other.containing(heads)
    }

    /// Whether two readings judge every event alike.
    /// (A node that joins changes no verdict on what was judged before, unless a member
    /// record names it or was written by it.)
    public func judgesLike(_ other: Membership) -> Bool {
        guard enforced == other.enforced, creator == other.creator, records == other.records,
              adopted == other.adopted, other.cutsReadAlike(in: history) else { return false }
        for judged in records {
            for node in [judged.event.dot.node, judged.record.device] where device(of: node) != other.device(of: node) {
                return false
            }
        }
        return true
    }

    static func declaredKey(_ node: NodeID, _ history: History) -> NodeKey? {
        history.events(of: node, at: 1).lazy.compactMap(NodeKey.declared(by:)).first
    }

    /// Whether the event lies past the cuts: a node not named, a later seq, or another
    /// branch than the cut's head where the node forked.
    func isPast(_ event: EventID, _ cuts: [NodeID: MemberCut]) -> Bool {
        guard let cut = cuts[event.dot.node] else { return true }
        if event.dot.seq > cut.seq { return true }
        guard history.heads(of: event.dot.node).count > 1 else { return false }
        var current = EventID(dot: Dot(node: cut.node, seq: cut.seq), hash: cut.head)
        guard history.contains(current) else { return false }
        while current.dot.seq > event.dot.seq {
            guard let previous = history.event(current)?.previous else { return false }
            current = EventID(dot: Dot(node: current.dot.node, seq: current.dot.seq - 1), hash: previous)
        }
        return current != event
    }

    private func roles(of device: Device, at event: EventID, in grants: Grants) -> MemberRoles? {
        grants.grants[device]?.last { isPast(event, $0.cuts) }?.roles
    }

    private func revocation(of device: Device, at event: EventID, in grants: Grants, ignoringAuthor: Device?) -> EventID? {
        grants.revocations[device]?.first { $0.author != ignoringAuthor && isPast(event, $0.cuts) }?.event
    }
}

/// Roles granted and revocations that count so far, per device, in the ledger's order.
private struct Grants: Sendable {
    var grants: [Membership.Device: [Grant]] = [:]
    var revocations: [Membership.Device: [Revocation]] = [:]

    mutating func add(_ grant: Grant, to device: Membership.Device) { grants[device, default: []].append(grant) }
    mutating func revoke(_ revocation: Revocation, of device: Membership.Device) {
        revocations[device, default: []].append(revocation)
    }
}

private struct Grant: Sendable {
    var order: Int
    var roles: MemberRoles
    var cuts: [NodeID: MemberCut]
    var event: EventID?
}

private struct Revocation: Sendable {
    var author: Membership.Device
    var cuts: [NodeID: MemberCut]
    var event: EventID
}

extension Membership {
    /// Registers whose live values include a write that does not count, with the values
    /// they should show instead: the counting writes that no counting write supersedes (a
    /// value an uncounted write hid comes back). Empty unless someone wrote outside their
    /// roles, which is when the whole history is read, once.
    public func correctedRegisters(of replica: Replica) -> [FieldKey: [RegisterValue]] {
        guard enforced else { return [:] }
        // The live values' events read together, in the order they lie: one by one, each read
        // of a cold event decoded its whole checkpoint chunk (seconds at a million events).
        let events: [EventID: Event]
        do {
            events = try replica.history.readEvents(replica.registers.values.lazy.flatMap { $0.values.map(\.id) })
        } catch {
            fatalError("\(error)")  // as `History.event(_:)` does: the store's files changed under it
        }
        var affected = Set<FieldKey>()
        for (key, register) in replica.registers where register.values.contains(where: { value in
            events[value.id].map { verdict(of: $0, entry: nil) != .counts } ?? false
        }) {
            affected.insert(key)
        }
        guard !affected.isEmpty else { return [:] }
        var writes: [FieldKey: [(event: Event, assignment: Assignment)]] = [:]
        replica.history.forEachEvent { event in
            guard case let .assign(assignment) = event.operation, affected.contains(assignment.key),
                  verdict(of: event, entry: nil) == .counts else { return }
            writes[assignment.key, default: []].append((event, assignment))
        }
        var corrected: [FieldKey: [RegisterValue]] = [:]
        for key in affected {
            let counting = writes[key] ?? []
            let superseded = Set(counting.flatMap(\.assignment.supersedes))
            corrected[key] = counting.filter { !superseded.contains($0.event.id) }
                .map { RegisterValue(id: $0.event.id, clock: $0.event.clock, value: $0.assignment.value) }
                .sorted { $0.id < $1.id }
        }
        return corrected
    }
}

extension Membership {
    /// The latest member record that counts for a device (its enrolment, roles or
    /// revocation; a revocation stands over any later grant).
    public func standing(of device: Device) -> Judged? {
        let counting = records.filter { $0.verdict == .counts && self.device(of: $0.record.device) == device }
        return counting.last { $0.record.action == .revoke } ?? counting.last
    }
}

extension Membership {
    /// How the node's next event will be judged: its roles (nil: not enrolled) and the
    /// revocation it would lie past. What a writer checks before it writes, and what
    /// `status` shows.
    public func nextWrite(of node: NodeID, history: History) -> (roles: MemberRoles?, revokedBy: EventID?) {
        guard enforced else { return (.creator, nil) }
        let seq = (history.chainHead(of: node)?.dot.seq ?? 0) + 1
        let next = EventID(dot: Dot(node: node, seq: seq), hash: .zero)
        let device = device(of: node)
        return (roles(of: device, at: next, in: state), revocation(of: device, at: next, in: state, ignoringAuthor: nil))
    }
}

extension Membership {
    /// The seqs every member record held (counted or not) names in a cut, and every
    /// adoption names as a tip, by node: what bounds the chain ends (`MemberChainEnd.limit`).
    /// A bound lower than needed only makes a writer fold sooner.
    var cutSeqsByNode: [NodeID: [UInt64]] {
        var seqs: [NodeID: [UInt64]] = [:]
        for cut in records.flatMap(\.record.cuts) + adopted.values.joined() { seqs[cut.node, default: []].append(cut.seq) }
        return seqs
    }

    /// How the chain of a node not held yet would be judged (`MemberNewNodes`); empty where
    /// members are not enforced.
    public func newNodes(history: History) -> MemberNewNodes {
        guard enforced else { return MemberNewNodes(named: [:], devices: [:]) }
        func standing(of device: Device, at event: EventID) -> MemberChainEnd.Standing {
            if revocation(of: device, at: event, in: state, ignoringAuthor: nil) != nil { return .revoked }
            return roles(of: device, at: event, in: state).map { .roles($0) } ?? .unenrolled
        }
        let cutSeqs = cutSeqsByNode
        let names = Set(records.map(\.record.device)).union(cutSeqs.keys)
        var named: [NodeID: MemberChainEnd] = [:]
        for node in names where history.chainHead(of: node) == nil {
            let first = EventID(dot: Dot(node: node, seq: 1), hash: .zero)
            named[node] = MemberChainEnd(standing: isAdopted(first) ? .adopted : standing(of: .node(node), at: first),
                                         limit: cutSeqs[node]?.min())
        }
        var devices: [[UInt8]: MemberChainEnd.Standing] = [:]
        for node in history.nodeIDs where history.chainHead(of: node) != nil {
            guard case let .key(key) = device(of: node), devices[key] == nil else { continue }
            // A node no record names lies past every cut: the latest grant, unless revoked.
            let grants = state.grants[.key(key)] ?? [], revocations = state.revocations[.key(key)] ?? []
            devices[key] = !revocations.isEmpty ? .revoked : grants.last.map { .roles($0.roles) } ?? .unenrolled
        }
        return MemberNewNodes(named: named, devices: devices)
    }
}

/// What the reading commands show of the members without opening the store: this node's
/// standing and how many events do not count, and why (kept in the views file).
public struct MembersView: Sendable, Equatable {
    /// False where every event counts (format 1, or no genesis held).
    public var enforced: Bool
    /// This device's roles for what it writes next; nil when it is not enrolled.
    public var ownRoles: MemberRoles?
    public var ownRevoked: Bool
    /// Events of devices not enrolled (waiting), past a revocation, outside their roles.
    public var heldAside: Int
    public var revoked: Int
    public var outOfRole: Int
    /// How each node's next events will be judged (`Membership.chainEnds`): what lets a
    /// writer take another device's entries from the views. Nil where members are not
    /// enforced, and in views read from a file of a build that did not keep them (its
    /// writers then fold for another device's entries).
    public var chainEnds: [NodeID: MemberChainEnd]?
    /// How nodes not held yet will be judged (`Membership.newNodes`), kept with the chain ends.
    public var newNodes: MemberNewNodes?

    public init(enforced: Bool, ownRoles: MemberRoles?, ownRevoked: Bool, heldAside: Int, revoked: Int, outOfRole: Int,
                chainEnds: [NodeID: MemberChainEnd]? = nil, newNodes: MemberNewNodes? = nil) {
        self.enforced = enforced
        self.ownRoles = ownRoles
        self.ownRevoked = ownRevoked
        self.heldAside = heldAside
        self.revoked = revoked
        self.outOfRole = outOfRole
        self.chainEnds = chainEnds
        self.newNodes = newNodes
    }

    /// Takes a member record that enrols a node not held (`deviceIsNew`: none of its events
    /// is held, and none arrived before this record was judged): the node joins the new
    /// nodes named, with the record's roles, as judging every member record again would
    /// name it. A co-op's enrolment of a new farm, which otherwise had every node that
    /// received it fold the whole ledger. False, with these views as they were, when they
    /// cannot tell: another action, cuts, a node already held or named, or a writer whose
    /// chain end does not make it an administrator at `dot`.
    ///
    /// Why that is exact: an enrolment carries no cuts, so it moves no chain end's `limit`;
    /// it grants to a device whose events nobody holds, so no verdict on a held event
    /// changes; and it counts when its writer administers at its seq, which the writer's
    /// chain end says for every seq below its limit.
    public mutating func takeEnrolment(_ record: MemberRecord, writtenAt dot: Dot, deviceIsNew: Bool) -> Bool {
        guard enforced, deviceIsNew, record.action == .enrol, record.cuts.isEmpty,
              let ends = chainEnds, var nodes = newNodes, ends[record.device] == nil, nodes.named[record.device] == nil,
              let author = ends[dot.node], author.covers(seq: dot.seq), case let .roles(roles) = author.standing,
              roles.administers else { return false }
        nodes.named[record.device] = MemberChainEnd(standing: .roles(record.roles), limit: nil)
        newNodes = nodes
        return true
    }

    /// Takes a new node's first event, declaring `key`: its chain end from `newNodes`
    /// (`MemberNewNodes.taking`). False, with these views as they were, when they cannot
    /// tell: no chain ends kept, the node already known, or a case a fold judges.
    public mutating func takeNewNode(_ node: NodeID, key: [UInt8]) -> Bool {
        guard enforced, var ends = chainEnds, ends[node] == nil, let taken = newNodes?.taking(node, key: key) else { return false }
        ends[node] = taken.end
        chainEnds = ends
        newNodes = taken.after
        return true
    }

    public static let open = MembersView(enforced: false, ownRoles: nil, ownRevoked: false, heldAside: 0, revoked: 0, outOfRole: 0)

    /// From a reading of the members and the verdicts of the events set aside.
    public init(membership: Membership, replica: Replica, setAside: some Sequence<Membership.Verdict>) {
        guard membership.enforced else { self = .open; return }
        let next = membership.nextWrite(of: replica.node, history: replica.history)
        var counts = (0, 0, 0)
        for verdict in setAside {
            switch verdict {
            case .counts: break
            case .unenrolled: counts.0 += 1
            case .revoked: counts.1 += 1
            case .outOfRole: counts.2 += 1
            }
        }
        self.init(enforced: true, ownRoles: next.revokedBy == nil ? next.roles : nil, ownRevoked: next.revokedBy != nil,
                  heldAside: counts.0, revoked: counts.1, outOfRole: counts.2,
                  chainEnds: membership.chainEnds(history: replica.history), newNodes: membership.newNodes(history: replica.history))
    }
}

extension Membership {
    /// Devices of the nodes held that no counting member record names (waiting for an
    /// enrolment), and how many node ids each device writes under: what bounds the nodes a
    /// ledger with members holds (`DeviceBound` in the node layer).
    public func deviceCensus(of nodes: [NodeID]) -> (waiting: Set<Device>, nodesPerDevice: [Device: Int]) {
        var named = Set<Device>()
        for judged in records where judged.verdict == .counts { named.insert(device(of: judged.record.device)) }
        if let creator { named.insert(device(of: creator)) }
        for node in adopted.keys { named.insert(device(of: node)) }
        var waiting = Set<Device>()
        var perDevice: [Device: Int] = [:]
        for node in nodes {
            let device = device(of: node)
            perDevice[device, default: 0] += 1
            if !named.contains(device) { waiting.insert(device) }
        }
        return (waiting, perDevice)
    }
}
