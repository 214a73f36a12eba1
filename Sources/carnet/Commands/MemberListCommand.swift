import CarnetCore
import CarnetLedger
import CarnetNode

/// `carnet member list [--json]`: every device the ledger knows, enrolled or waiting.
struct MemberListCommand: Command {
    static let spec = CommandSpec(
        path: ["member", "list"], summary: "every device: id, label, roles, enrolled by, revoked or not, last seen",
        options: [.json],
        discussion: """
        A device that wrote before it was enrolled is listed as waiting: its events are held
        aside on every node until an administrator enrols it. A node of a format-1 history
        the creator adopted (`carnet ledger upgrade`) is listed as adopted: what it wrote
        counts, and it can write no more. JSON: an array of {node,
        nodes, label, roles, enrolledBy, revoked, revokedBy, waiting, adopted, lastSeenMillis}.
        """,
        examples: ["carnet member list", "carnet member list --json"]
    )

    var json: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let store = try StoreAccess.open(context)
        let replica = store.replica
        let membership = Membership(replica: replica)
        guard membership.enforced else {
            throw CLIError.data(store.ledgerID == nil
                ? "this is a format-1 ledger: it has no members; every node holding its secret writes as any"
                : "this node does not hold the ledger's genesis yet: sync with the administrator who created it")
        }
        var nodesByDevice: [Membership.Device: [NodeID]] = [:]
        for node in replica.history.nodeIDs { nodesByDevice[membership.device(of: node), default: []].append(node) }
        for judged in membership.records where judged.verdict == .counts {
            let device = membership.device(of: judged.record.device)
            if nodesByDevice[device] == nil { nodesByDevice[device] = [judged.record.device] }
        }
        struct Row { var node: NodeID; var nodes: [NodeID]; var label: String?; var roles: MemberRoles?; var by: NodeID?
                     var revokedBy: NodeID?; var lastSeen: UInt64?; var adopted = false }
        var rows: [Row] = []
        for (device, nodes) in nodesByDevice {
            let grants = membership.records.filter { $0.verdict == .counts && membership.device(of: $0.record.device) == device }
            let enrolment = grants.first { $0.record.action == .enrol }
            let revocation = grants.first { $0.record.action == .revoke }
            let latestGrant = grants.last { $0.record.action != .revoke }
            var roles = latestGrant?.record.roles
            if nodes.contains(where: { $0 == membership.creator }) { roles = roles ?? .creator }
            let lastSeen = nodes.compactMap { replica.history.chainHead(of: $0)?.clock.physical }.max()
            let label = grants.compactMap(\.record.label).last ?? nodes.lazy.compactMap { replica.label(of: $0) }.first
            rows.append(Row(node: nodes.max { (replica.history.chainHead(of: $0)?.clock.physical ?? 0) < (replica.history.chainHead(of: $1)?.clock.physical ?? 0) } ?? nodes[0],
                            nodes: nodes, label: label, roles: roles, by: enrolment?.event.dot.node,
                            revokedBy: revocation?.event.dot.node, lastSeen: lastSeen,
                            adopted: grants.isEmpty && nodes.allSatisfy { membership.adopted[$0] != nil && membership.device(of: $0) == .node($0) }))
        }
        rows.sort { ($0.label ?? "", $0.node) < ($1.label ?? "", $1.node) }
        if json {
            var items: [JSON] = []
            for row in rows {
                let isCreator = row.nodes.contains { $0 == membership.creator }
                var fields: [String: JSON] = [:]
                fields["node"] = .string(row.node.hex)
                fields["nodes"] = .array(row.nodes.map { JSON.string($0.hex) })
                fields["label"] = .optional(row.label)
                fields["roles"] = .optional(row.roles?.description)
                fields["enrolledBy"] = .optional(row.by?.hex)
                fields["creator"] = .bool(isCreator)
                fields["revoked"] = .bool(row.revokedBy != nil)
                fields["revokedBy"] = .optional(row.revokedBy?.hex)
                fields["waiting"] = .bool(row.roles == nil && row.revokedBy == nil && !row.adopted)
                fields["adopted"] = .bool(row.adopted)
                fields["lastSeenMillis"] = .optional(row.lastSeen.map { Int64($0) })
                items.append(.object(fields))
            }
            context.output.json(.array(items))
            return
        }
        var table = Table([("node", .left), ("label", .left), ("roles", .left), ("enrolled by", .left), ("standing", .left)])
        for row in rows {
            let standing = row.revokedBy.map { "revoked by \($0.short)" }
                ?? (row.adopted ? "format-1 history adopted by the creator: counts, writes no more" : nil)
                ?? (row.roles == nil ? "waiting: not enrolled, its events held aside" : (row.nodes.contains { $0 == membership.creator } ? "created the ledger" : "enrolled"))
            table.add([row.node.short, row.label ?? "", row.roles?.description ?? "", row.by?.short ?? "", standing])
        }
        table.print(context.output)
    }
}
