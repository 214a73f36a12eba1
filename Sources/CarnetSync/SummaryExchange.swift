import CarnetCore
import CarnetWire

/// The summary exchange (protocol/SPEC.md, "Summaries"): what each side says it holds.
/// This side's first SUMMARY (a listener's on the dialer's handshake message, full or "same"; a
/// dialer's in answer to the listener's, "same" or a delta), its re-summaries when its
/// history changed in a way the peer cannot infer (`historyChanged`, a fork a batch
/// revealed), and the peer's SUMMARY in any form, resolved to what the peer holds in full:
/// its holdings, brought forward with every event it proves it holds since.
///
/// It lives for the whole session: this side's summary is named by the dialer's state tag
/// (in its handshake message) before any channel exists. Every field states its invariant.
struct SummaryExchange: Sendable {
    /// What this side says about itself: identity and full compact summary (`form` is
    /// always `.full` here; the form goes on each message as sent).
    private(set) var local: SummaryMessage
    /// A dialer's summary that changed after its handshake message named `local` by its state tag and
    /// before its first SUMMARY went out: that SUMMARY carries it.
    private var changedBeforeFirstSummary: CompactSummary?
    /// This side's latest summary as sent, in full (the peer's "same" and deltas refer to
    /// it); nil until the first SUMMARY goes out.
    private(set) var lastSent: CompactSummary?
    /// SUMMARY messages sent, and the peer's arrived (its DONE counts the ones it answers).
    private(set) var sent: UInt64 = 0
    private(set) var arrived: UInt64 = 0
    /// The peer's latest SUMMARY message; nil until it arrives. No event is accepted before it.
    private(set) var peer: SummaryMessage?
    /// The peer's holdings: what it holds per its latest SUMMARY, in full, brought forward
    /// with every event it acknowledged or sent since (`CompactSummary.holding`); nil until
    /// its first SUMMARY arrives.
    private(set) var peerHoldings: CompactSummary?

    init(local: SummaryMessage) {
        self.local = local
        self.local.form = .full
    }

    /// True until this side's first SUMMARY has been sent: a listener sends it on the
    /// dialer's handshake message, a dialer on the listener's first SUMMARY.
    var firstSummaryUnsent: Bool { lastSent == nil }

    /// True when both sides' first SUMMARY crossed: a re-summary can be read against them.
    var bothFirstSummariesCrossed: Bool { lastSent != nil && peer != nil }

    /// True once the peer asked for a live session.
    var peerIsLive: Bool { peer?.live == true }

    /// The frames of `message` (one, or its parts); `full` is the summary it states (for the "same" and delta
    /// forms), remembered as this side's latest.
    private mutating func seal(_ message: SummaryMessage, stating full: CompactSummary? = nil,
                               on channel: inout SecureChannel) -> [Frame] {
        let frames = channel.seal(message)
        lastSent = full ?? message.summary
        sent += 1
        return frames
    }

    /// The listener's first SUMMARY, on the dialer's message 1: "same" when the dialer's
    /// state tag named this side's state (`dialerHoldsTheSame`), else its whole compact
    /// summary. Counted as sent here: it travels in the listener's handshake message (or,
    /// when too long for it, as its first SEALED frame), made before the channel exists.
    mutating func listenersFirstSummary(dialerHoldsTheSame: Bool) -> SummaryMessage {
        var summary = local
        if dialerHoldsTheSame {
            summary.form = .same
            summary.summary = CompactSummary(entries: [])
        }
        lastSent = local.summary
        sent += 1
        return summary
    }

    /// This side's history changed before its first SUMMARY went out: that SUMMARY says so,
    /// so the peer never plans from a summary this side knows is stale. `namedByHello`: this
    /// side's handshake message named `local` by a state tag (a dialer's, once sent), so the first
    /// SUMMARY must still answer to it and the change follows as a re-summary.
    mutating func changedBeforeFirstSummary(_ summary: CompactSummary, namedByHello: Bool) {
        if namedByHello {
            changedBeforeFirstSummary = summary
        } else {
            local.summary = summary
        }
    }

    /// A re-summary: this side's summary as it is now, in full.
    mutating func restate(_ changed: CompactSummary, on channel: inout SecureChannel) -> [Frame] {
        local.summary = changed
        return seal(local, on: &channel)
    }

    /// The peer proved it holds these events (it acknowledged them, or sent them).
    mutating func peerHolds(_ events: [Event]) {
        peerHoldings = peerHoldings?.holding(events)
    }

    /// What the peer's SUMMARY changed.
    struct Receipt {
        /// What the peer holds, in full (its holdings as of this SUMMARY).
        var holdings: CompactSummary
        /// The peer's first SUMMARY, resolved in full: the driver hears who the peer is.
        var identified: SummaryMessage?
        /// The dialer's first SUMMARY, answering this one (and a re-summary after it, when
        /// this side changed since its handshake message): frames to send in order.
        var answer: [Frame] = []
        /// The answer carries a re-summary: the peer's DONE is to be awaited again.
        var restated = false
    }

    /// Takes in the peer's SUMMARY: checks it is of this ledger and another node, resolves
    /// it against this side's latest summary ("same" and delta are relative to it; to its
    /// own state, for a dialer that has sent none yet), and for a dialer makes the answer.
    mutating func summaryArrived(_ message: SummaryMessage, role: SessionRole,
                          on channel: inout SecureChannel) -> Result<Receipt, SessionFailure> {
        guard message.ledger == local.ledger else {
            return .failure(SessionFailure(.ledgerMismatch, "the peer belongs to ledger \"\(message.ledger)\", this node to \"\(local.ledger)\""))
        }
        guard message.node != local.node else {
            return .failure(SessionFailure(.sameNode, "the peer is this same node (\(message.node.short)); a node does not sync with itself"))
        }
        let reference = lastSent ?? local.summary
        let holdings: CompactSummary
        switch message.form {
        case .full: holdings = message.summary
        case .same: holdings = reference
        case .delta: holdings = reference.applying(message.summary)
        }
        var receipt = Receipt(holdings: holdings)
        if peer == nil {
            var identified = message
            identified.form = .full
            identified.summary = holdings
            receipt.identified = identified
        }
        peer = message
        peerHoldings = holdings
        arrived += 1
        if lastSent == nil {
            // The dialer's answer to the listener's summary.
            var answer = local
            if message.form == .same {
                // `same` answers `same`: it names the state the handshake's tag named.
                answer.form = .same
                answer.summary = CompactSummary(entries: [])
                receipt.answer.append(contentsOf: seal(answer, stating: local.summary, on: &channel))
                if let changed = changedBeforeFirstSummary {
                    // Changed since: told at once, as `historyChanged` would.
                    changedBeforeFirstSummary = nil
                    receipt.answer.append(contentsOf: restate(changed, on: &channel))
                    receipt.restated = true
                }
            } else {
                if let changed = changedBeforeFirstSummary {
                    local.summary = changed
                    changedBeforeFirstSummary = nil
                }
                answer.form = .delta
                answer.summary = local.summary.delta(against: holdings)
                receipt.answer.append(contentsOf: seal(answer, stating: local.summary, on: &channel))
            }
        }
        return .success(receipt)
    }
}
