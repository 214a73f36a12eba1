import CarnetWire

/// The authenticated channel of a session once both HELLOs crossed (protocol/SPEC.md,
/// "Authentication"): this side's frames sealed under its MAC key, the peer's opened under
/// theirs, and SUMMARY bodies enciphered both ways. The counts inside the authenticators and
/// ciphers are the session's, so a channel is made once per session and never copied back
/// from a stale value.
struct SecureChannel: Sendable {
    /// MACs this side's frames; its count is the number of frames sent under MAC.
    private var outgoing: FrameAuthenticator
    /// Checks the peer's frames; its count is the number of the peer's frames accepted.
    private var incoming: FrameAuthenticator
    /// Enciphers this side's SUMMARY bodies.
    private var summariesOut: SummaryCipher
    /// Deciphers the peer's SUMMARY bodies.
    private var summariesIn: SummaryCipher

    init(_ handshake: HandshakeKeys) {
        (outgoing, incoming) = handshake.authenticators
        (summariesOut, summariesIn) = handshake.summaryCiphers
    }

    /// The frame of `message`, under MAC.
    mutating func seal(_ message: SessionMessage) -> Frame {
        outgoing.seal(message)
    }

    /// The frame of a SUMMARY: enciphered, then sealed.
    mutating func seal(_ summary: SummaryMessage) -> Frame {
        let plain = SessionMessage.summary(summary).body
        return outgoing.seal(type: .summary, body: summariesOut.apply(plain))
    }

    /// The frame of this side's last message (an ERROR before closing): sealed in turn, the
    /// channel left as it was since nothing follows it.
    func sealLast(_ message: SessionMessage) -> Frame {
        var outgoing = outgoing
        return outgoing.seal(message)
    }

    /// The plain body of the peer's frame once its MAC checks (a SUMMARY's deciphered);
    /// nil when it does not, and then the channel is unchanged.
    mutating func open(_ frame: Frame) -> [UInt8]? {
        guard let body = incoming.open(frame) else { return nil }
        return frame.type == .summary ? summariesIn.apply(body) : body
    }
}
