import CarnetCore

/// The entries the ledger's conflicts showed last time, kept by a `LedgerFold` from one
/// making of the views to the next.
///
/// The conflicts show some 80,000 entries at 1M events, scattered over the whole history.
/// In a store that keeps its chains cold (`carnet serve`), reading them back decodes every
/// checkpoint chunk again: at each save of the views, however little changed (some 60
/// chunks of 16,384 events at 1M). An event never changes under its id (the id holds its
/// hash), so an entry read once stays right: only the ones not shown before are read.
///
/// Only the entries shown now are kept: what this holds is the size of the conflicts in
/// the views, not of the history.
struct ConflictSideRecords: Sendable {
    private var records: [EventID: LedgerRecord] = [:]

    /// How many entries are kept: those the last reading showed.
    var count: Int { records.count }

    /// The entries of `wanted` (ids of folded entries), reading from `history` only those
    /// not kept already, then keeping exactly these. An id whose event is not an entry
    /// that parses is left out, as `LedgerFold` leaves out what it cannot read.
    mutating func read(_ wanted: some Sequence<EventID>, in history: History) -> [EventID: LedgerRecord] {
        var found: [EventID: LedgerRecord] = [:]
        var missing: [EventID] = []
        for id in wanted where found[id] == nil {
            if let record = records[id] { found[id] = record } else { missing.append(id) }
        }
        for (id, event) in history.events(withIDs: missing) {
            if let record = Self.record(of: event) { found[id] = record }
        }
        records = found
        return found
    }

    static func record(of event: Event) -> LedgerRecord? {
        guard case let .append(core) = event.operation, let entry = try? LedgerEntry(core) else { return nil }
        return LedgerRecord(event: event.id, clock: event.clock, entry: entry)
    }
}
