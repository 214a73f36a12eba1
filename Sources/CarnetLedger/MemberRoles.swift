import CarnetCore

/// One thing a device may do in a signed ledger. Roles are data in the replicated state
/// (written by administrators in `member` records), as Matrix keeps power levels: every
/// node reads the same roles from the same events.
public enum MemberRole: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Enrols devices, changes their roles, revokes them; reviews conflicts.
    case admin
    /// Edits products and parties.
    case catalog
    /// Writes entries whose actor is this party (`*`: any party, the hub's treasurer).
    case producer(String)

    public static let anyParty = "*"

    /// Parses `admin`, `catalog` or `producer:PARTY`; nil for anything else.
    public init?(text: String) {
        switch text {
        case "admin": self = .admin
        case "catalog": self = .catalog
        default:
            guard text.hasPrefix("producer:") else { return nil }
            let party = String(text.dropFirst("producer:".count))
            guard !party.isEmpty, !party.contains(where: { $0 == " " || $0 == "," || $0.isNewline }) else { return nil }
            self = .producer(party)
        }
    }

    public var description: String {
        switch self {
        case .admin: "admin"
        case .catalog: "catalog"
        case let .producer(party): "producer:\(party)"
        }
    }

    public static func < (lhs: MemberRole, rhs: MemberRole) -> Bool {
        ExactString.less(lhs.description, rhs.description)
    }
}

/// What one device may write: a set of roles.
public struct MemberRoles: Hashable, Sendable, CustomStringConvertible {
    public private(set) var roles: Set<MemberRole>

    public init<Roles: Sequence<MemberRole>>(_ roles: Roles) { self.roles = Set(roles) }

    /// The ledger's creator: every role, so that a new ledger can be run before anyone
    /// else is enrolled.
    public static let creator = MemberRoles([.admin, .catalog, .producer(MemberRole.anyParty)])
    public static let none = MemberRoles([MemberRole]())

    /// Parses the space-separated text a `member` record carries.
    public init(text: String) throws(LedgerError) {
        var roles: [MemberRole] = []
        for word in text.split(separator: " ") {
            guard let role = MemberRole(text: String(word)) else {
                throw LedgerError("unknown role \"\(word)\": roles are admin, catalog and producer:PARTY")
            }
            roles.append(role)
        }
        self.init(roles)
    }

    /// Sorted, space-separated: the same roles always have the same bytes.
    public var description: String { roles.sorted().map(\.description).joined(separator: " ") }
    public var isEmpty: Bool { roles.isEmpty }

    public var administers: Bool { roles.contains(.admin) }
    public var editsCatalog: Bool { roles.contains(.catalog) }

    /// Whether entries whose actor is `party` may be written with these roles.
    public func mayWrite(for party: String) -> Bool {
        roles.contains(.producer(MemberRole.anyParty)) || roles.contains { role in
            if case let .producer(name) = role { return ExactString(name) == ExactString(party) }
            return false
        }
    }
}
