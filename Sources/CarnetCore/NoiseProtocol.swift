/// A full Noise protocol name, `Noise_<pattern>_25519_ChaChaPoly_SHA256`, parsed.
///
/// The name is more than a label: it is hashed into the handshake's first `h` (§5.2), so
/// peers that differ in any part of it fail at the first authenticated message. This
/// engine implements one suite (X25519, ChaCha20-Poly1305, SHA-256: the primitives the
/// core already holds and checks against RFC and Wycheproof vectors), and refuses any
/// other name here, before a handshake could start under a suite it does not run.
public struct NoiseProtocol: Equatable, Sendable {
    /// The only DH, cipher and hash functions supported, as they appear in the name.
    public static let suite = "25519_ChaChaPoly_SHA256"
    /// Every Noise message, handshake or transport, is at most 65,535 bytes (§3), so a
    /// 16-bit length prefix always frames it.
    public static let maximumMessageLength = 65_535

    public let name: String
    public let pattern: NoisePattern

    public init(name: String) throws(NoiseError) {
        let parts = name.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "Noise", !parts[1].isEmpty else { throw .malformedProtocolName(name) }
        guard parts[2...].joined(separator: "_") == Self.suite else { throw .unsupportedSuite(name) }
        self.name = name
        pattern = try NoisePattern(named: String(parts[1]))
    }
}
