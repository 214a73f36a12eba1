import CarnetWire

/// Why this side ends a session: what the parts of a session (`HandshakeSteps`,
/// `SummaryExchange`, `Transfer`) hand back instead of closing it themselves. `Session`
/// turns it into an ERROR to the peer and a `close` directive.
struct SessionFailure: Error, Sendable {
    var code: SessionErrorCode
    /// This side's report.
    var message: String
    /// What the peer reads instead, when it should read other words than this side's report.
    var toPeer: String?

    init(_ code: SessionErrorCode, _ message: String, toPeer: String? = nil) {
        self.code = code
        self.message = message
        self.toPeer = toPeer
    }
}
