import CarnetNode

/// The bytes the latest session with a peer used, as `peers list` shows them
/// (protocol/SPEC.md 8.3.9): what a farm on a metered link watches.
struct PeerTraffic {
    var sent: Int
    var received: Int
    /// The budget that session ran under; nil without one.
    var budget: Int?

    init?(_ record: PeerRecord?) {
        guard let record, let sent = record.lastBytesSent, let received = record.lastBytesReceived else { return nil }
        self.sent = sent
        self.received = received
        budget = record.lastBudget
    }

    /// "1,203 out, 40,112 in (budget 200,000)"; "-" before any session.
    static func cell(_ traffic: PeerTraffic?) -> String {
        guard let traffic else { return "-" }
        let budget = traffic.budget.map { " (budget \(ByteSize.grouped($0)))" } ?? ""
        return "\(ByteSize.grouped(traffic.sent)) out, \(ByteSize.grouped(traffic.received)) in" + budget
    }

    static func json(_ traffic: PeerTraffic?) -> [String: JSON] {
        ["lastBytesSent": traffic.map { .int($0.sent) } ?? .null,
         "lastBytesReceived": traffic.map { .int($0.received) } ?? .null,
         "lastBudget": traffic?.budget.map { .int($0) } ?? .null]
    }
}
