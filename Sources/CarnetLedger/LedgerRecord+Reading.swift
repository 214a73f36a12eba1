import CarnetCore

extension LedgerRecord {
    /// A record read back from one event outside a replica (the entry index reads the few
    /// events `show` and `log` print from the log): nil when the event is no readable entry,
    /// as `LedgerState` leaves such an event out of its records.
    public init?(reading event: Event) {
        guard case let .append(core) = event.operation, let entry = try? LedgerEntry(core) else { return nil }
        self.init(event: event.id, clock: event.clock, entry: entry)
    }
}
