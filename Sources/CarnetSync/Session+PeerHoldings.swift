import CarnetWire

extension Session {
    /// What the peer is shown to hold now: its latest SUMMARY brought forward with every
    /// event it acknowledged or sent since (`CompactSummary.holding`); nil before its first
    /// SUMMARY. Read by the node while a live session runs, which may last weeks: what it
    /// remembers of the peer (`status`'s lacks, `bundle create --for`) must follow what the
    /// peer stored, not stay at what it held when the session first caught up.
    public var peerHoldings: CompactSummary? { summaries.peerHoldings }
}
