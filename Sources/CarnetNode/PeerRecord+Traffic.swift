import CarnetSync

/// The bytes the latest session with a peer used on the socket, and the budget it ran
/// under (protocol/SPEC.md 8.3.9): what a farm on a prepaid plan checks. Kept in
/// `peer-state` as named fields `bytesSent`, `bytesReceived` and `budget` (0: none).
extension PeerRecord {
    static let bytesSentField = "bytesSent"
    static let bytesReceivedField = "bytesReceived"
    static let budgetField = "budget"

    public var lastBytesSent: Int? { extra[Self.bytesSentField].flatMap { Int($0) } }
    public var lastBytesReceived: Int? { extra[Self.bytesReceivedField].flatMap { Int($0) } }
    /// The byte budget the latest session ran under; nil when it had none.
    public var lastBudget: Int? { extra[Self.budgetField].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } }

    /// Keeps what a session used, unless it never reached the socket (no connection).
    mutating func noteTraffic(of statistics: SessionStatistics) {
        guard statistics.bytesSent + statistics.bytesReceived > 0 else { return }
        extra[Self.bytesSentField] = String(statistics.bytesSent)
        extra[Self.bytesReceivedField] = String(statistics.bytesReceived)
        extra[Self.budgetField] = String(statistics.budgetBytes)
    }
}
