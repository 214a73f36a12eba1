import CarnetCore

/// What the entry index's merge (`EntryIndexMerge`) asks of the state it indexes: which
/// events are accepted, and the waiting ones. A replica answers from its history; a writer
/// that never loaded one (`EntryAppender`) answers from what it appended.
protocol AcceptedEvents {
    /// Whether `id` is accepted (held, not waiting).
    func accepts(_ id: EventID) -> Bool
    /// The accepted event `id`, when at hand (else the merge reads it from the log).
    func acceptedEvent(_ id: EventID) -> Event?
    /// Calls `body` with every accepted event; false when this state cannot walk them (the
    /// merge then reads the rows it needs from the previous index and the log, which is
    /// exact only while no event waits, as for `AppendedToAcceptedLog`).
    func forEachAccepted(_ body: (Event) -> Void) -> Bool
    /// The events held waiting for a predecessor.
    var pendingEvents: [Event] { get }
}

extension Replica: AcceptedEvents {
    func accepts(_ id: EventID) -> Bool { history.contains(id) }
    func acceptedEvent(_ id: EventID) -> Event? { history.event(id) }
    func forEachAccepted(_ body: (Event) -> Void) -> Bool {
        history.forEachEvent(body)
        return true
    }
    var pendingEvents: [Event] { history.pendingEvents }
}

/// The state of a log whose every event is accepted (nothing waits, the writer checked:
/// `StoreStatus.pendingCount` is 0) after a writer appended `appended` to it: every event
/// the log holds is accepted, so an index built up to it holds only accepted events, and
/// the appended ones are at hand. It cannot walk every event: a merge that would (an entry
/// added below the newest) reads the order above it from the previous index instead.
struct AppendedToAcceptedLog: AcceptedEvents {
    let appended: [EventID: Event]

    init(_ events: [Event]) {
        appended = Dictionary(events.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func accepts(_ id: EventID) -> Bool { true }
    func acceptedEvent(_ id: EventID) -> Event? { appended[id] }
    func forEachAccepted(_ body: (Event) -> Void) -> Bool { false }
    var pendingEvents: [Event] { [] }
}
