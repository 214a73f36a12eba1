import CarnetCore
import CarnetLedger
import CarnetNode

/// `carnet member add|roles|revoke`: an administrator writes who may write what, as a
/// signed `member` record every node judges alike (SPEC §9.5).
struct MemberAddCommand: Command {
    static let spec = CommandSpec(
        path: ["member", "add"], summary: "enrol a device: what it wrote, and will write, counts within its roles",
        arguments: [ArgumentSpec(name: "NODE", help: "the node id the device printed at `carnet init` (32 hex digits)")],
        options: [
            OptionSpec(name: "--role", value: "ROLE", help: MemberWrite.roleHelp, required: true, repeatable: true),
            .value("--label", "L", "a name for people, e.g. \"Ferme du Col (laptop)\""),
        ],
        discussion: """
        Run on an administrator's device. The new device may have written already: what it
        wrote is held aside on every node and counts once this enrolment reaches it. Its
        other node ids (a restored copy continues under a new one) share the roles: roles
        belong to the device's key.
        """,
        examples: ["carnet member add 3f2a9c0e5b7d41e08c6a2f1b9d0e7c44 --role producer:col --label \"Ferme du Col\"",
                   "carnet member add 3f2a9c0e5b7d41e08c6a2f1b9d0e7c44 --role producer:* --role catalog --role admin"]
    )

    var node: String
    var roles: MemberRoles
    var label: String?

    init(_ invocation: Invocation) throws {
        node = invocation.arguments[0]
        roles = try MemberWrite.roles(invocation)
        label = try invocation.nonEmpty("--label")
    }

    func run(in context: Context) throws {
        // Opened cold, the views read from the file: an enrolment of a device that has not
        // synced yet (the usual case) is added to them (`MembersView.takeEnrolment`) instead
        // of folding every event again; any other, the node folds.
        var store = try StoreAccess.openAddingToViewsFile(context, takingEntriesOf: [])
        let membership = try MemberWrite.administering(store)
        let device = try NodeNames.resolve(node, replica: store.replica)
        if let current = membership.standing(of: membership.device(of: device)), current.record.action != MemberRecord.Action.revoke {
            throw CLIError.data("device \(device.short) is already enrolled (\(current.record.roles)); change its roles with `carnet member roles \(device.short) --role ROLE`")
        }
        try MemberWrite.write(&store, context: context) { id in
            MemberRecord(id: id, action: .enrol, device: device, roles: roles, label: label)
        }
        context.output.line("enrolled \(device.short)\(label.map { " (\($0))" } ?? ""): \(roles)")
    }
}

struct MemberRolesCommand: Command {
    static let spec = CommandSpec(
        path: ["member", "roles"], summary: "replace a device's roles, for what it writes from now on",
        arguments: [ArgumentSpec(name: "NODE", help: "the device: a node id, its first 8 digits, or its label")],
        options: [OptionSpec(name: "--role", value: "ROLE", help: MemberWrite.roleHelp, required: true, repeatable: true)],
        discussion: """
        What the device wrote up to what this node holds of it (the cut) keeps the roles it
        was written under; what it writes past the cut is judged by the new roles, on every
        node, whatever order the records arrive in.
        """,
        examples: ["carnet member roles col-laptop --role producer:col --role catalog"]
    )

    var node: String
    var roles: MemberRoles

    init(_ invocation: Invocation) throws {
        node = invocation.arguments[0]
        roles = try MemberWrite.roles(invocation)
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.open(context)
        let membership = try MemberWrite.administering(store)
        let device = try NodeNames.resolve(node, replica: store.replica)
        guard let current = membership.standing(of: membership.device(of: device)), current.record.action != MemberRecord.Action.revoke else {
            throw CLIError.data("device \(device.short) is not enrolled; enrol it with `carnet member add \(device.hex) --role ROLE`")
        }
        let cuts = MemberWrite.cuts(of: device, membership: membership, replica: store.replica)
        try MemberWrite.write(&store, context: context) { id in
            MemberRecord(id: id, action: .roles, device: device, roles: roles, cuts: cuts)
        }
        context.output.line("roles of \(device.short) are now: \(roles) (past \(MemberWrite.describe(cuts)))")
    }
}

struct MemberRevokeCommand: Command {
    static let spec = CommandSpec(
        path: ["member", "revoke"], summary: "revoke a device: what it writes past what this node holds of it counts nowhere",
        arguments: [ArgumentSpec(name: "NODE", help: "the device: a node id, its first 8 digits, or its label")],
        options: [.value("--reason", "TEXT", "why, for the record (\"laptop stolen on 2026-11-30\")")],
        discussion: """
        The revocation names a cut: the last event of each of the device's nodes that this
        node holds. What the device wrote up to the cut keeps counting; what it wrote past
        it, before or after the revocation, whichever clock it shows, is kept as evidence
        and counted on no node (a `past-revocation` conflict shows it). Sync before
        revoking, so that the cut includes what the device wrote honestly. Revocation is
        final for the device's key: a device found again is set up anew (`carnet init`)
        and enrolled under its new key.
        """,
        examples: ["carnet member revoke col-laptop --reason \"stolen on 2026-11-30\""]
    )

    var node: String
    var reason: String?

    init(_ invocation: Invocation) throws {
        node = invocation.arguments[0]
        reason = try invocation.nonEmpty("--reason")
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.open(context)
        let membership = try MemberWrite.administering(store)
        let device = try NodeNames.resolve(node, replica: store.replica)
        guard membership.device(of: device) != membership.device(of: store.node) else {
            throw CLIError.usage("a device cannot revoke itself; ask another administrator")
        }
        let cuts = MemberWrite.cuts(of: device, membership: membership, replica: store.replica)
        try MemberWrite.write(&store, context: context) { id in
            MemberRecord(id: id, action: .revoke, device: device, cuts: cuts, reason: reason)
        }
        context.output.line("revoked \(device.short): what it wrote past \(MemberWrite.describe(cuts)) counts nowhere")
    }
}

/// What the member commands share: the roles given, the checks, the cut, the write.
enum MemberWrite {
    static let roleHelp = "admin, catalog or producer:PARTY (producer:* for any party); once per role"

    static func roles(_ invocation: Invocation) throws -> MemberRoles {
        do throws(LedgerError) {
            let roles = try MemberRoles(text: invocation.all("--role").joined(separator: " "))
            guard !roles.isEmpty else { throw LedgerError("give at least one --role") }
            return roles
        } catch {
            throw CLIError.usage(error.message)
        }
    }

    /// The ledger's members, when this device may change them.
    static func administering(_ store: borrowing LocalNode) throws -> Membership {
        let membership = Membership(replica: store.replica)
        guard store.ledgerID != nil, membership.enforced else {
            throw CLIError.data(store.ledgerID == nil
                ? "this is a format-1 ledger: it has no members (every node holding its secret writes as any); start a signed ledger with `carnet ledger create`"
                : "this node does not hold the ledger's genesis: sync with the administrator who created it first (or this ledger predates members)")
        }
        let next = membership.nextWrite(of: store.node, history: store.replica.history)
        let roles = next.revokedBy == nil ? next.roles : nil
        guard roles?.administers == true else {
            throw CLIError.data("this device is not an administrator of the ledger (its roles: \(roles.map(\.description) ?? "not enrolled")); ask one to run the command")
        }
        return membership
    }

    /// The last event this node holds of each node of the device.
    static func cuts(of node: NodeID, membership: Membership, replica: Replica) -> [MemberCut] {
        let device = membership.device(of: node)
        return replica.history.nodeIDs.filter { membership.device(of: $0) == device }.compactMap { held in
            replica.history.chainHead(of: held).map { MemberCut(node: held, seq: $0.dot.seq, head: $0.hash) }
        }
    }

    static func describe(_ cuts: [MemberCut]) -> String {
        cuts.isEmpty ? "nothing held of it" : cuts.map { "\($0.node.short) seq \($0.seq)" }.joined(separator: ", ")
    }

    static func write(_ store: inout LocalNode, context: Context, _ make: (String) -> MemberRecord) throws {
        try store.write(wallMillis: context.wallMillis()) { first, _ in
            [.append(make(MemberRecord.makeID(node: first.node, seq: first.seq)).coreEntry)]
        }
        StoreAccess.afterAppend(&store, context: context)
    }
}
