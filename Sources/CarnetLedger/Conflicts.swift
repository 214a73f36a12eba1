import CarnetCore

/// The kinds of conflict a person may have to look at.
public enum ConflictKind: String, Sendable, CaseIterable, Comparable {
    /// Concurrent writes left different values in one field.
    case field
    /// A node's history split (a device restored from backup reused sequence numbers).
    case fork
    /// A lot's stock is below zero on the merged ledger (sold or delivered twice).
    case stockBelowZero = "stock-below-zero"
    /// An entry is reversed more than once.
    case doubleReversal = "double-reversal"
    /// A reversal names a reversal (reversals are not reversed: record the entry again).
    case reversalOfReversal = "reversal-of-reversal"
    /// An entry names an entry this node does not hold.
    case unknownReference = "unknown-reference"
    /// Payments naming a sale add up to more than the sale.
    case overpayment
    /// Two different entries carry the same id.
    case duplicateEntry = "duplicate-entry"
    /// Two entries each fulfil the whole of one order line.
    case orderFulfilledTwice = "order-fulfilled-twice"
    /// More fulfilled than an order line asked (or a cancelled line fulfilled).
    case orderOverfilled = "order-overfilled"
    /// Open orders ask more of a product than the producers hold.
    case ordersBeyondAvailability = "orders-beyond-availability"
    /// Events a device wrote past the cut of its revocation: kept, counted nowhere.
    case pastRevocation = "past-revocation"
    /// Events outside their writer's roles (an entry for another producer, a catalog edit
    /// without the catalog role, a member record by a non-administrator).
    case outOfRole = "out-of-role"

    public static func < (lhs: ConflictKind, rhs: ConflictKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One side of a conflict: a value or an entry, with who wrote it and when.
public struct ConflictSide: Hashable, Sendable {
    public var event: EventID
    public var clock: HLCTimestamp
    /// The value written (field conflicts) or a one-line account of the entry.
    public var detail: String
    public var value: Value?

    public init(event: EventID, clock: HLCTimestamp, detail: String, value: Value?) {
        self.event = event
        self.clock = clock
        self.detail = detail
        self.value = value
    }

    public var writer: NodeID { event.dot.node }
}

/// A conflict as shown by `carnet conflicts`: stable id, kind, subject, all sides, and
/// what would settle it.
public struct ConflictReport: Hashable, Sendable {
    /// Derived from kind and subject, so it is the same on every node.
    public var id: String
    public var kind: ConflictKind
    /// What the conflict is about: `product/P0042.price`, `stock/F18/P0042/L18-00045`.
    public var subject: String
    public var summary: String
    public var sides: [ConflictSide]
    /// What a person can do about it.
    public var suggestion: String

    public init(kind: ConflictKind, subject: String, summary: String, sides: [ConflictSide], suggestion: String) {
        self.id = ConflictID.make(kind: kind.rawValue, subject: subject)
        self.kind = kind
        self.subject = subject
        self.summary = summary
        self.sides = sides
        self.suggestion = suggestion
    }
}

/// Every open conflict of a replica: field conflicts, forks and domain conflicts, less
/// those a review settles (`ConflictReviews`).
public enum Conflicts {
    public static func all(replica: Replica, ledger: LedgerState? = nil) -> [ConflictReport] {
        let state = ledger ?? LedgerState(replica: replica)
        return all(replica: replica, domain: state.domainConflicts(), reviews: state.reviews, membership: state.membership)
    }

    /// The same, with the ledger's own conflicts and reviews kept elsewhere (`LedgerFold`).
    /// Ordered by kind, subject, then summary, so that the order does not depend on which
    /// index made them.
    public static func all(replica: Replica, domain: [ConflictReport], reviews: ConflictReviews,
                           membership: Membership = .open) -> [ConflictReport] {
        reviews.open(every(replica: replica, domain: domain, membership: membership))
    }

    /// Every conflict, settled by a review or not: what `resolve` looks in, so that it can
    /// say a conflict was already reviewed. A field's values written outside their writer's
    /// roles are not among its sides (they are an out-of-role conflict of their own).
    public static func every(replica: Replica, domain: [ConflictReport], membership: Membership = .open) -> [ConflictReport] {
        var fieldConflicts = replica.fieldConflicts
        let corrected = membership.correctedRegisters(of: replica)
        if !corrected.isEmpty {
            fieldConflicts = fieldConflicts.filter { corrected[$0.key] == nil }
            for (key, values) in corrected where MultiValueRegister.isConflicted(values) {
                fieldConflicts.append(FieldConflict(key: key, values: values))
            }
            fieldConflicts.sort { $0.key < $1.key }
        }
        var reports = fieldConflicts.map(fieldReport)
        reports += replica.forks.map { forkReport($0, replica: replica) }
        reports += domain
        return sorted(reports)
    }

    /// By kind, subject, then summary, as the views keep them.
    static func sorted(_ reports: [ConflictReport]) -> [ConflictReport] {
        reports.sorted { lhs, rhs in
            if lhs.kind != rhs.kind { return lhs.kind < rhs.kind }
            if ExactString(lhs.subject) != ExactString(rhs.subject) { return ExactString.less(lhs.subject, rhs.subject) }
            return ExactString.less(lhs.summary, rhs.summary)
        }
    }

    static func fieldReport(_ conflict: FieldConflict) -> ConflictReport {
        ConflictReport(
            kind: .field, subject: conflict.key.description,
            summary: "\(conflict.values.count) concurrent values for \(conflict.key)",
            sides: conflict.values.map {
                ConflictSide(event: $0.id, clock: $0.clock, detail: $0.value.description, value: $0.value)
            },
            suggestion: "choose one with `carnet resolve \(ConflictID.make(kind: "field", subject: conflict.key.description)) --keep N` or write another with --value"
        )
    }

    static func forkReport(_ fork: Fork, replica: Replica) -> ConflictReport {
        let sides = fork.events.map { id -> ConflictSide in
            let event = replica.history.event(id)
            return ConflictSide(event: id, clock: event?.clock ?? .zero,
                                detail: "branch starting at seq \(fork.seq), event \(id.hash.short)", value: nil)
        }
        return ConflictReport(
            kind: .fork, subject: "node/\(fork.node.hex)@\(fork.seq)",
            summary: "node \(fork.node.short) wrote \(fork.events.count) different events at seq \(fork.seq) (restored from a backup?)",
            sides: sides,
            suggestion: "both branches are kept and counted; check the entries of each branch, void any recorded twice, "
                + "then \(DomainConflictReports.reviewCommand(.fork, "node/\(fork.node.hex)@\(fork.seq)"))"
        )
    }
}
