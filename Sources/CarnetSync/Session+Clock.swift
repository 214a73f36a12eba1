import CarnetCore

/// The peer's clock, as the session sees it (protocol/SPEC.md 8.2.10): its offset from
/// this side's, measured on the handshake, and the events it sends stamped ahead of this
/// side's clock. Counted in `statistics` for the node to report; nothing here changes
/// what the session does.
extension Session {
    /// This side's wall clock at `now`: the clock it started with, moved on by the
    /// monotonic time since (a wall clock stepped mid-session does not move it).
    func wallMillis(at now: Duration) -> UInt64 {
        let elapsed = UInt64(max(0, (now - startedAt).milliseconds))
        return handshake.wallMillis.addingReportingOverflow(elapsed).overflow ? .max : handshake.wallMillis + elapsed
    }

    /// A listener on message 1: the dialer's clock against this side's when it arrived.
    mutating func measurePeerClock(listenerReading peerMillis: UInt64, now: Duration) {
        statistics.peerClockOffsetMillis = ClockOffset.measuredByListener(ownMillisAtMessage1: wallMillis(at: now), peerMillis: peerMillis)
    }

    /// A dialer on message 2: the listener's clock against this side's, corrected by half
    /// the round trip since message 1 went out.
    mutating func measurePeerClock(dialerReading peerMillis: UInt64, now: Duration) {
        statistics.peerClockOffsetMillis = ClockOffset.measuredByDialer(ownMillisAtMessage1: handshake.wallMillis,
                                                                        roundTrip: now - startedAt, peerMillis: peerMillis)
    }

    /// Received events: those stamped more than the bound ahead of this side's clock.
    mutating func noteStamps(of events: [Event], now: Duration) {
        let own = wallMillis(at: now)
        for event in events where ClockOffset.isAhead(stamp: event.clock.physical, of: own) {
            statistics.eventsStampedAhead += 1
            statistics.farthestStampAheadMillis = max(statistics.farthestStampAheadMillis,
                                                      ClockOffset.difference(event.clock.physical, own))
        }
    }
}
