import CarnetCore

/// Relays: other nodes' events that a live dialer passes on to its listener (issue 19,
/// item 5, "two hubs, no relay storm"; SPEC 8.3 rule 8). A hub gets a farm's events from
/// the farm itself and from the other hub, and pushes what it gets to its live farms at
/// once; when every live farm also pushed what it got from one hub to the other, that hub
/// received one farm's 37 events twelve times (simulation seed 68479, 11 farms, 2 hubs).
/// So a live dialer sends its own node's events at once, and holds back the rest, news and
/// the relayed part of a plan alike, for its relay delay (`PeerDriver`); then it plans them
/// again against what the listener has shown it holds by then (its pushes and
/// acknowledgements), and sends only what that leaves, as news: the listener usually got
/// them meanwhile and pushed them here. They still go when it did not (a hub cut from the
/// other, a farm that is its only path). The delay bounds nothing strictly; grants do
/// (`GrantGate`, `GrantTable`): with them in force a hold-back saves OFFERs.
extension Session {
    /// The relays held back, planned now against the listener's holdings (its latest
    /// SUMMARY brought forward with what it sent and acknowledged since): what it got
    /// meanwhile is not in `plan`. They go as news does: the dialer's DONE, which
    /// answered the listener's SUMMARY with its own events, did not wait for them.
    public mutating func relay(plan: MissingPlan, now: Duration) -> [SessionDirective] {
        guard case var .established(established) = state else { return outOfState(.offerPlan) }
        established.transfer.relayed(plan)
        state = .established(established)
        return pump(now: now)
    }

    /// True when this side holds back relays for its peer: a live dialer (both sides asked
    /// for a live session) with a relay delay.
    public var holdsBackRelays: Bool {
        role == .dialer && settings.relayDelay > .zero && isLiveWithPeer
    }
}
