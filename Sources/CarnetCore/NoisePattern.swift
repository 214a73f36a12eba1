/// A Noise handshake pattern (revision 34 §7): the pre-messages and the token lists of
/// each message, with any `pskN` modifiers (§9) already applied.
///
/// Patterns are data, not code, so that one `NoiseHandshakeState` runs every pattern and
/// the published vectors for all of them check the same engine Carnet uses for NNpsk0.
public struct NoisePattern: Equatable, Sendable {
    /// One step of a message pattern.
    public enum Token: String, Equatable, Sendable {
        case e, s, ee, es, se, ss, psk
    }

    /// The full name, modifiers included (`XXpsk3`, `NNpsk0+psk2`).
    public let name: String
    /// Keys the initiator's peer knows before the handshake (`-> s` of K patterns).
    public let initiatorPreMessage: [Token]
    /// Keys the responder's peer knows before the handshake (`<- s` of *K and N, K, X).
    public let responderPreMessage: [Token]
    /// The handshake messages in order; even indices are the initiator's.
    public let messages: [[Token]]
    /// N, K, X and their variants: one message, after which only the initiator may send
    /// (§7.4). The transport then carries no responder-to-initiator direction.
    public let isOneWay: Bool

    /// Whether any `psk` token occurs: then every `e` token also calls `MixKey` (§9.2).
    public var usesPSK: Bool { messages.contains { $0.contains(.psk) } }
    /// How many pre-shared keys the handshake consumes, in order of use.
    public var pskCount: Int { messages.reduce(0) { $0 + $1.filter { $0 == .psk }.count } }

    /// Internal: the table and the modifiers build patterns; a caller-made pattern would
    /// escape the spec's validity rules (§7.3), which nothing here re-checks.
    init(name: String, initiatorPreMessage: [Token], responderPreMessage: [Token], messages: [[Token]], isOneWay: Bool) {
        self.name = name
        self.initiatorPreMessage = initiatorPreMessage
        self.responderPreMessage = responderPreMessage
        self.messages = messages
        self.isOneWay = isOneWay
    }

    /// A pattern from its name: a base pattern of the table (fundamental §7.4–7.5 or
    /// deferred §7.6), then optional modifiers joined by `+`. Only `pskN` is supported:
    /// `psk0` puts a `psk` token at the start of the first message, `pskN` for N ≥ 1 at the
    /// end of message N (§9.4). Other modifiers (`fallback`, `hfs`) are refused.
    public init(named name: String) throws(NoiseError) {
        // The base name is upper-case letters and digits; modifiers start lower-case.
        let baseEnd = name.firstIndex { $0.isLowercase } ?? name.endIndex
        let base = String(name[..<baseEnd])
        guard let pattern = NoisePattern.table[base] else { throw .unknownPattern(name) }
        var messages = pattern.messages
        if baseEnd != name.endIndex {
            for modifier in name[baseEnd...].split(separator: "+", omittingEmptySubsequences: false) {
                guard modifier.hasPrefix("psk"), let position = Int(modifier.dropFirst(3)),
                      String(position) == modifier.dropFirst(3), position <= messages.count
                else { throw .unsupportedModifier(String(modifier)) }
                if position == 0 {
                    messages[0].insert(.psk, at: 0)
                } else {
                    messages[position - 1].append(.psk)
                }
            }
        }
        self.init(
            name: name, initiatorPreMessage: pattern.initiatorPreMessage,
            responderPreMessage: pattern.responderPreMessage, messages: messages, isOneWay: pattern.isOneWay)
    }
}
