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

    public init(replica: Replica) {
        replica.history.forEachEvent { event in
            guard case let .append(entry) = event.operation else { return }
            do throws(LedgerError) {
                records.append(LedgerRecord(event: event.id, clock: event.clock, entry: try LedgerEntry(entry)))
            } catch {
                unreadable.append((event.id, error.message))
            }
        }
        records.sort { ($0.clock, $0.event) < ($1.clock, $1.event) }
        unreadable.sort { $0.event < $1.event }
        for (index, record) in records.enumerated() {
            indexesByID[ExactString(record.entry.id), default: []].append(index)
            if record.entry.kind == .reversal, let target = record.entry.ref {
                reversalIndexes[ExactString(target), default: []].append(index)
            }
        }
        effectiveRecords = records.filter { $0.entry.kind != .reversal && !isVoided($0) }
    }

    public func records(withID id: String) -> [LedgerRecord] {
        (indexesByID[ExactString(id)] ?? []).map { records[$0] }
    }

    /// The reversals naming this entry, earliest first. Only the first one takes effect.
    public func reversals(of id: String) -> [LedgerRecord] {
        (reversalIndexes[ExactString(id)] ?? []).map { records[$0] }
    }

    /// True when the first reversal naming this entry is itself a valid reversal (it does
    /// not target a reversal). A voided entry counts for nothing in the views.
    public func isVoided(_ record: LedgerRecord) -> Bool {
        record.entry.kind != .reversal && reversalIndexes[ExactString(record.entry.id)] != nil
    }

    /// The entries that count: not reversals, not voided. Computed once: every view
    /// folds over it.
    public private(set) var effectiveRecords: [LedgerRecord] = []
}
