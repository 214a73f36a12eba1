import CarnetCore

/// The reviews that count, by the conflict they name: what decides whether a conflict no
/// entry can undo (a fork, a reversal of a reversal, ...) is still open.
///
/// A review settles a conflict when it saw every side the conflict has now: a side that
/// arrives later (a third branch, another reversal) opens it again, on every node alike,
/// whatever order the events came in. Only the kinds `ConflictKind.settledByReview` are
/// settled this way; a field conflict is settled by a value, a lot below zero or an
/// overpayment by an entry that makes the figure right.
public struct ConflictReviews: Sendable, Equatable {
    /// Conflict id → each counting review (its event) → the sides it saw.
    private var seen: [String: [EventID: Set<SHA256Digest>]] = [:]

    public init() {}

    public var isEmpty: Bool { seen.isEmpty }

    /// Takes a review into account (a record of kind `review` that counts).
    public mutating func add(_ record: LedgerRecord) {
        guard record.entry.kind == .review, let conflict = record.entry.ref, let sides = record.entry.sides else { return }
        seen[conflict, default: [:]][record.event] = Set(sides)
    }

    /// Forgets a review (voided after it was taken into account).
    public mutating func remove(_ record: LedgerRecord) {
        guard record.entry.kind == .review, let conflict = record.entry.ref else { return }
        seen[conflict]?[record.event] = nil
        if seen[conflict]?.isEmpty == true { seen[conflict] = nil }
    }

    /// The review that settles `report`, if one does.
    public func settlement(of report: ConflictReport) -> EventID? {
        guard report.kind.settledByReview, let reviews = seen[report.id] else { return nil }
        let sides = Set(report.sides.map(\.event.hash))
        return reviews.filter { sides.isSubset(of: $0.value) }.keys.min()
    }

    /// The reports still open: those no review settles.
    public func open(_ reports: [ConflictReport]) -> [ConflictReport] {
        isEmpty ? reports : reports.filter { settlement(of: $0) == nil }
    }
}

extension ConflictKind {
    /// Conflicts that no entry can undo, which a person settles by saying they saw them:
    /// both branches of a fork count; a second reversal, a reversal of a reversal and a
    /// reversal of an unknown entry count for nothing; two entries with one id may both
    /// be meant; orders beyond the stock held may be meant to be filled by a harvest to
    /// come. The others have an entry or a value that makes the figures right.
    public var settledByReview: Bool {
        switch self {
        case .fork, .doubleReversal, .reversalOfReversal, .unknownReference, .duplicateEntry, .ordersBeyondAvailability,
             .pastRevocation, .outOfRole: true
        case .field, .stockBelowZero, .overpayment, .orderFulfilledTwice, .orderOverfilled: false
        }
    }
}
