import CarnetCore

/// A ledger entry as held by a replica: the entry with the event that carried it.
public struct LedgerRecord: Hashable, Sendable {
    public var event: EventID
    public var clock: HLCTimestamp
    public var entry: LedgerEntry

    public var writer: NodeID { event.dot.node }
}

/// The ledger as the merged events say: every entry, which are reversed, and the indexes
/// that the derived views (stock, balances, availability, domain conflicts) fold over.
///
/// Built from a replica in one pass; deterministic (records are kept in clock, then event
/// id order, never in dictionary order).
public struct LedgerState: Sendable {
    /// Every readable entry, in (clock, event id) order.
    public private(set) var records: [LedgerRecord] = []
    /// Entries that could not be read (unknown kind from a newer version, wrong types).
    public private(set) var unreadable: [(event: EventID, reason: String)] = []
    /// Entry id → indexes in `records` (more than one only when ids collide, e.g. a fork).
    /// Keys compare as bytes (SPEC §10): two spellings of one word are two ids.
    private var indexesByID: [ExactString: [Int]] = [:]
    /// Target entry id → indexes of the reversals that name it, in record order.
    private var reversalIndexes: [ExactString: [Int]] = [:]

    /// Who may write what (SPEC §9.5): in a signed ledger with members, the entries that do
    /// not count are kept apart, in `setAside`, and nothing below sees them.
    public let membership: Membership
    /// Entries held that do not count, with why (unenrolled writer, past a revocation,
    /// outside the writer's roles), in (clock, event id) order.
    public private(set) var setAside: [(record: LedgerRecord, verdict: Membership.Verdict)] = []
    /// Assigns (catalog writes, genesis) and member records that do not count, with why.
    public private(set) var setAsideWrites: [SetAsideEvent] = []

    /// Both, as the conflicts show them.
    public var setAsideEvents: [SetAsideEvent] {
        setAside.map { SetAsideEvent(event: $0.record.event, clock: $0.record.clock, detail: $0.record.entry.oneLine, verdict: $0.verdict) }
            + setAsideWrites
    }

    public init(replica: Replica, membership: Membership? = nil) {
        let membership = membership ?? Membership(replica: replica)
        self.membership = membership
        replica.history.forEachEvent { event in
            switch event.operation {
            case let .append(entry):
                if entry.kind == Replica.memberEntryKind {
                    let verdict = membership.verdict(of: event, entry: nil)
                    if verdict != .counts { setAsideWrites.append(SetAsideEvent(event, verdict: verdict)) }
                    return
                }
                do throws(LedgerError) {
                    let record = LedgerRecord(event: event.id, clock: event.clock, entry: try LedgerEntry(entry))
                    let verdict = membership.verdict(of: event, entry: record.entry)
                    if verdict == .counts { records.append(record) } else { setAside.append((record, verdict)) }
                } catch {
                    unreadable.append((event.id, error.message))
                }
            case .assign:
                guard membership.enforced else { return }
                let verdict = membership.verdict(of: event, entry: nil)
                if verdict != .counts { setAsideWrites.append(SetAsideEvent(event, verdict: verdict)) }
            }
        }
        records.sort { ($0.clock, $0.event) < ($1.clock, $1.event) }
        setAside.sort { ($0.record.clock, $0.record.event) < ($1.record.clock, $1.record.event) }
        for (record, verdict) in setAside { setAsideVerdicts[record.event] = verdict }
        setAsideWrites.sort { ($0.clock, $0.event) < ($1.clock, $1.event) }
        unreadable.sort { $0.event < $1.event }
        for (index, record) in records.enumerated() {
            indexesByID[ExactString(record.entry.id), default: []].append(index)
            if record.entry.kind == .reversal, let target = record.entry.ref {
                reversalIndexes[ExactString(target), default: []].append(index)
            }
        }
        let counting = records.filter { $0.entry.kind != .reversal && !isVoided($0) }
        effectiveRecords = counting.filter { $0.entry.kind != .review }
        for record in counting where record.entry.kind == .review { reviews.add(record) }
        for record in effectiveRecords { orders.apply(record, sign: 1) }
    }

    /// Every readable entry held, those that do not count (`setAside`) included, in record
    /// order: what `log` lists, marking the others.
    public var everyRecord: [LedgerRecord] {
        guard !setAside.isEmpty else { return records }
        return (records + setAside.map(\.record)).sorted { ($0.clock, $0.event) < ($1.clock, $1.event) }
    }

    /// Whether an entry counts under the ledger's members, and if not, why.
    public func verdict(of record: LedgerRecord) -> Membership.Verdict {
        setAsideVerdicts[record.event] ?? .counts
    }

    /// `setAside`'s verdicts by event: `log` asks for each entry it prints.
    private var setAsideVerdicts: [EventID: Membership.Verdict] = [:]

    /// The entries carrying this id, those that count first, then those set aside.
    public func everyRecord(withID id: String) -> [LedgerRecord] {
        records(withID: id) + setAside.filter { ExactString($0.record.entry.id) == ExactString(id) }.map(\.record)
    }

    public func records(withID id: String) -> [LedgerRecord] {
        (indexesByID[ExactString(id)] ?? []).map { records[$0] }
    }

    /// The reversals naming this entry id, earliest first, whichever of the entries
    /// carrying the id they cancel.
    public func reversals(of id: String) -> [LedgerRecord] {
        (reversalIndexes[ExactString(id)] ?? []).map { records[$0] }
    }

    /// The reversals that cancel this record, earliest first: those naming its id, for the
    /// whole id or for its event (`ref_event`). A reversal is never cancelled (reversals
    /// are not reversed): none for one. Only the first counts; more is a double reversal.
    public func voidingReversals(of record: LedgerRecord) -> [LedgerRecord] {
        guard record.entry.kind != .reversal else { return [] }
        return reversals(of: record.entry.id).filter { $0.entry.cancels(record) }
    }

    /// The reversal that cancels this record, if any.
    public func voidingReversal(of record: LedgerRecord) -> LedgerRecord? {
        guard record.entry.kind != .reversal, let indexes = reversalIndexes[ExactString(record.entry.id)] else { return nil }
        for index in indexes where records[index].entry.cancels(record) { return records[index] }
        return nil
    }

    /// True when a reversal cancels this record. A voided entry counts for nothing in the views.
    public func isVoided(_ record: LedgerRecord) -> Bool {
        voidingReversal(of: record) != nil
    }

    /// The entries that count: not reversals, not voided, not reviews. Computed once: every
    /// view folds over it.
    public private(set) var effectiveRecords: [LedgerRecord] = []

    /// The reviews that count (not voided), by the conflict id they name.
    public private(set) var reviews = ConflictReviews()

    /// The orders, their fulfilments and what was not collected.
    public private(set) var orders = OrderBook()
}

extension LedgerEntry {
    /// Whether this entry, a reversal, cancels `record`: it names the record's id, it is of
    /// the record's producer (no one voids another producer's entry by naming its id), and
    /// it names either no event (every entry with the id) or the record's own event.
    public func cancels(_ record: LedgerRecord) -> Bool {
        kind == .reversal && record.entry.kind != .reversal && ref.map { ExactString($0) == ExactString(record.entry.id) } == true
            && ExactString(producer) == ExactString(record.entry.producer)
            && (refEvent == nil || refEvent == record.event.hash)
    }
}
