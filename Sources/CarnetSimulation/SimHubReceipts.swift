import CarnetCore

/// How many times each event reached each hub (issue 19, item 5: "two hubs, no relay
/// storm"). With two hubs and live farms, a farm that relays what a hub already gets from
/// the other made one hub receive a farm's 37 events twelve times (seed 68479). The bound
/// checked (`SimChecks.hubReceipts`): each event reaches each hub at most once, plus once
/// for each earlier copy that was in flight when its session was cut (the hub received it
/// but its sender never saw the ACK, so the next session may send that batch again).
struct SimHubReceipts: Sendable {
    /// One copy of an event a hub persisted from a peer's batch.
    struct Receipt: Sendable {
        var batch: SentBatch
        /// The node that sent it.
        var sender: Int
        var time: SimTime
    }

    /// Per hub, per event, its copies in the order they arrived. A hub that lost an event
    /// (a crash before its fsync, a restore) starts its count again.
    private(set) var copies: [[EventID: [Receipt]]]
    /// Per sender end of a connection, how many of its batches the peer acknowledged or
    /// refused, as the sender saw when its session ended (ACKs come in batch order). A
    /// sender that crashed is not here: it saw none, as far as anyone can tell.
    private(set) var answeredThrough: [SessionEndKey: UInt64] = [:]

    struct SessionEndKey: Hashable, Sendable {
        var connection: ConnectionID
        var sender: ConnectionEnd
    }

    init(hubs: Int) {
        copies = Array(repeating: [:], count: hubs)
    }

    /// The hub persisted `events` of a peer's batch.
    mutating func received(_ events: [Event], hub: Int, sender: Int, batch: SentBatch, at time: SimTime) {
        guard hub < copies.count else { return }
        for event in events { copies[hub][event.id, default: []].append(Receipt(batch: batch, sender: sender, time: time)) }
    }

    /// A sender's session ended (or the run did) with `answered` of its batches answered.
    mutating func senderEnded(_ connection: ConnectionID, _ side: ConnectionEnd, answered: UInt64) {
        answeredThrough[SessionEndKey(connection: connection, sender: side)] = answered
    }

    /// The hub restarted holding only `holds`: copies of what it lost no longer count.
    mutating func restarted(hub: Int, holds: (EventID) -> Bool) {
        guard hub < copies.count else { return }
        copies[hub] = copies[hub].filter { holds($0.key) }
    }

    /// True when the sender of `receipt` never saw its batch answered.
    func unanswered(_ receipt: Receipt) -> Bool {
        let key = SessionEndKey(connection: receipt.batch.connection, sender: receipt.batch.sender)
        return answeredThrough[key].map { receipt.batch.batch > $0 } ?? true
    }

    /// Copies beyond the bound, per hub: for each event, its copies less one, less one for
    /// each copy before the last whose batch was in flight when its session ended.
    /// `excused`: events sent generously by design (a forked node's branches).
    func excess(excused: (Int, EventID) -> Bool) -> [(hub: Int, id: EventID, copies: Int, allowed: Int)] {
        var found: [(hub: Int, id: EventID, copies: Int, allowed: Int)] = []
        for (hub, events) in copies.enumerated() {
            for (id, receipts) in events where receipts.count > 1 && !excused(hub, id) {
                let allowed = 1 + receipts.dropLast().filter(unanswered).count
                if receipts.count > allowed { found.append((hub, id, receipts.count, allowed)) }
            }
        }
        return found.sorted { ($0.copies, $1.id) > ($1.copies, $0.id) }
    }

    /// Figures for reports: the most copies of one event at one hub, and all copies beyond
    /// the first.
    var worst: Int { copies.flatMap(\.values).map(\.count).max() ?? 0 }
    var duplicates: Int { copies.flatMap(\.values).reduce(0) { $0 + max(0, $1.count - 1) } }
}
