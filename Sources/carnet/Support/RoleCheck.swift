import CarnetCore
import CarnetLedger
import CarnetNode

/// A writer's check before it writes, in a signed ledger with members (SPEC §9.5): what
/// a device writes outside its roles counts on no node, so it is refused here, with the
/// roles it has. A device not enrolled yet writes freely (offline first): it is told that
/// what it writes counts once an administrator enrols it.
enum RoleCheck {
    enum Need {
        case producer(String)
        case catalog
        case admin

        var role: String {
            switch self {
            case let .producer(party): "producer:\(party)"
            case .catalog: "catalog"
            case .admin: "admin"
            }
        }
    }

    static func require(_ need: Need, store: borrowing LocalNode, context: Context) throws {
        let membership = Membership(replica: store.replica)
        guard membership.enforced else { return }
        let next = membership.nextWrite(of: store.node, history: store.replica.history)
        if let revocation = next.revokedBy {
            throw CLIError.data("this device was revoked (\(revocation.dot)): what it writes counts on no node")
        }
        guard let roles = next.roles else {
            context.output.warn("this device is not enrolled yet: what it writes counts once an administrator runs `carnet member add \(store.node.hex) --role \(need.role)`")
            return
        }
        let allowed = switch need {
        case let .producer(party): roles.mayWrite(for: party)
        case .catalog: roles.editsCatalog
        case .admin: roles.administers
        }
        guard allowed else {
            throw CLIError.data("this device may not write that: it needs the role \(need.role), and its roles are \(roles.isEmpty ? "none" : roles.description); an administrator can change them with `carnet member roles \(store.node.short) --role ROLE`")
        }
    }
}
