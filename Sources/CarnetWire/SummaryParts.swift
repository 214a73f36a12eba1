import CarnetCore

/// A SUMMARY too large for one frame, cut into parts and put back together (protocol/SPEC.md
/// 8.1, "Split summaries").
///
/// Any member can add nodes to a ledger (a bundle of 60,000 one-event nodes takes half a
/// second to apply), and a summary names every node: one such bundle made a hub's summary
/// larger than the 1 MiB frame, so no peer could sync with it again. The sender now cuts a
/// summary into parts of whole entries, each a SUMMARY with flag bit 3 (`continued`) set
/// but the last; the receiver reads none of it before the last part, and refuses a summary
/// whose parts together pass `maxEntries` or `maxHeads`, so that memory stays bounded
/// whatever a peer sends. Summaries that fit one frame (every real ledger's) are unchanged.
public enum SummaryParts {
    /// Most entries in one summary, all parts together: four times the most one frame can
    /// carry, and four times the 60,000 nodes that broke one-frame summaries. A node that
    /// holds more nodes than this says so and does not sync (SPEC 3.2 says what bounds it).
    public static let maxEntries = 262_144
    /// Most heads in one summary, all parts together: four per entry on average (one
    /// without a fork), so that a summary's memory is bounded by its entries.
    public static let maxHeads = 4 * maxEntries
    /// Room each part leaves in its frame for what a SEALED frame's plaintext may carry
    /// before the message (a device proof, 113 bytes, or a key, 48: SPEC 8.2.7).
    public static let prefixRoom = 256

    /// `message` as the SUMMARY messages that carry it, each at most `limit` bytes encoded
    /// (type and body) and of at most `CompactSummary.maxEntries` entries (a part is read as
    /// any SUMMARY): `message` itself when it fits, else parts of whole entries in order,
    /// every one but the last `continued`. An entry too large for any part alone cannot
    /// exist (64 heads take about 1,200 bytes).
    public static func split(_ message: SummaryMessage,
                             limit: Int = FrameLimits.maxMessageLength - prefixRoom) -> [SummaryMessage] {
        let whole = SessionMessage.summary(message).encoded.count
        guard whole > limit || message.summary.entries.count > CompactSummary.maxEntries, message.form != .same else { return [message] }
        var empty = message
        empty.summary = CompactSummary(entries: [])
        // The fixed part of every part: type, flags, node, ledger, label, and room for the
        // entry count's varint (at most 10 bytes).
        let room = limit - SessionMessage.summary(empty).encoded.count - 10
        var parts: [SummaryMessage] = []
        var run: [CompactSummary.Entry] = []
        var used = 0
        func close(continued: Bool) {
            var part = message
            part.summary = CompactSummary(entries: run)
            part.continued = continued
            parts.append(part)
            run = []
            used = 0
        }
        for entry in message.summary.entries {
            let size = encodedLength(of: entry)
            if used + size > room || run.count == CompactSummary.maxEntries, !run.isEmpty { close(continued: true) }
            run.append(entry)
            used += size
        }
        close(continued: false)
        return parts
    }

    /// Bytes one entry takes in a compact summary (SPEC 4.3).
    static func encodedLength(of entry: CompactSummary.Entry) -> Int {
        var writer = ByteWriter(capacity: 32)
        CompactSummary(entries: [entry]).encode(into: &writer)
        return writer.bytes.count - 1  // less the count's one byte
    }
}

/// The parts of one split SUMMARY received so far (`SummaryParts`). Holds nothing between
/// summaries; a receiver feeds it every SUMMARY it opens, and acts on a SUMMARY only when
/// `add` returns it whole.
public struct SummaryAssembly: Sendable {
    private var first: SummaryMessage?
    private var entries: [CompactSummary.Entry] = []
    private var heads = 0

    public init() {}

    /// True while parts have arrived and the last has not: any message other than the next
    /// part is out of place then.
    public var isOpen: Bool { first != nil }

    /// Why a part is refused: a sentence for the peer and the user.
    public struct Refusal: Error, Sendable, Equatable {
        public var reason: String
    }

    /// Takes one SUMMARY (a part or a whole one): the whole SUMMARY when this was its last
    /// part, nil while more are to come, or a refusal when the parts disagree on who sent
    /// them or their form, are out of order, or together pass the limits.
    public mutating func add(_ message: SummaryMessage) -> Result<SummaryMessage?, Refusal> {
        if first == nil && !message.continued { return .success(message) }
        if let first {
            guard first.node == message.node, first.ledger == message.ledger, first.label == message.label,
                  first.form == message.form, first.live == message.live else {
                return .failure(Refusal(reason: "a part of the peer's split summary names another sender or form than its first part"))
            }
        }
        if message.continued && message.summary.entries.isEmpty {
            return .failure(Refusal(reason: "a part of the peer's split summary is empty yet says more parts follow"))
        }
        if let last = entries.last, let next = message.summary.entries.first, next.node <= last.node {
            return .failure(Refusal(reason: "the parts of the peer's split summary are out of order"))
        }
        let addedHeads = message.summary.entries.reduce(0) { $0 + $1.heads.count }
        guard entries.count + message.summary.entries.count <= SummaryParts.maxEntries,
              heads + addedHeads <= SummaryParts.maxHeads else {
            // Worded for both ends: the refused side reads it as the peer's ERROR.
            return .failure(Refusal(reason: "the summary of node \((first ?? message).node.short) names more than "
                                    + "\(SummaryParts.maxEntries) nodes (or \(SummaryParts.maxHeads) heads), more than "
                                    + "a session takes in (protocol/SPEC.md 8.1)"))
        }
        if first == nil { first = message }
        entries += message.summary.entries
        heads += addedHeads
        guard !message.continued, var whole = first else { return .success(nil) }
        whole.continued = false
        whole.summary = CompactSummary(entries: entries)
        self = SummaryAssembly()
        return .success(whole)
    }
}
