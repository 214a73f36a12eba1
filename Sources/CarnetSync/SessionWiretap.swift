import CarnetCore
import CarnetWire

/// Test and debugging equipment: both directions of a session's channel, for someone who
/// knows the ledger secret and *both* sides' randomness (the ephemeral keys), as the
/// golden vectors, the fuzz harness and the simulation do. Never used by a session.
///
/// Why it can exist: Noise's `Split()` keys depend only on the chaining key, which mixes
/// the PSK and the ephemeral keys and their DH, never the payloads; so a handshake re-run
/// here with empty payloads gives the very keys of the real session. It reads (and, for a
/// harness playing one side, writes) SEALED frames in each direction's order, and the
/// payloads of the two handshake messages.
public struct SessionWiretap: Sendable {
    private let psk: [UInt8]
    private let dialerNonce: [UInt8]
    private let listenerNonce: [UInt8]
    private var dialer: NoiseTransport
    private var listener: NoiseTransport

    public init(secret: [UInt8], ledgerID: LedgerID? = nil, dialerNonce: [UInt8], listenerNonce: [UInt8]) {
        psk = HandshakeKeys.psk(secret: secret, ledgerID: ledgerID)
        self.dialerNonce = dialerNonce
        self.listenerNonce = listenerNonce
        var initiator = HandshakeKeys.handshake(role: .dialer, ephemeral: dialerNonce, psk: psk)
        var responder = HandshakeKeys.handshake(role: .listener, ephemeral: listenerNonce, psk: psk)
        guard let one = try? initiator.writeMessage(), (try? responder.readMessage(one)) != nil,
              let two = try? responder.writeMessage(), (try? initiator.readMessage(two)) != nil,
              let dialer = try? initiator.split(), let listener = try? responder.split() else {
            preconditionFailure("a handshake between two fixed keys under one PSK completes")
        }
        self.dialer = dialer
        self.listener = listener
    }

    /// The dialer's message-1 payload as the listener reads it (nil: it does not decrypt).
    public func dialerHello(_ message1: [UInt8]) -> [UInt8]? {
        var responder = HandshakeKeys.handshake(role: .listener, ephemeral: listenerNonce, psk: psk)
        return try? responder.readMessage(message1)
    }

    /// Message 1 as the dialer of this session writes it, with any payload (for a harness).
    public func message1(payload: [UInt8]) -> [UInt8] {
        var initiator = HandshakeKeys.handshake(role: .dialer, ephemeral: dialerNonce, psk: psk)
        guard let message = try? initiator.writeMessage(payload: payload) else { preconditionFailure("payload within limit") }
        return message
    }

    /// Message 2 as the listener of this session writes it after the dialer's `message1`,
    /// with any payload (for a harness).
    public func message2(after message1: [UInt8], payload: [UInt8]) -> [UInt8]? {
        var responder = HandshakeKeys.handshake(role: .listener, ephemeral: listenerNonce, psk: psk)
        guard (try? responder.readMessage(message1)) != nil else { return nil }
        return try? responder.writeMessage(payload: payload)
    }

    /// The listener's message-2 payload as the dialer reads it after its `message1`.
    public func listenerReply(_ message2: [UInt8], after message1: [UInt8]) -> [UInt8]? {
        // The dialer's side re-run with the same payload writes the same message 1 (fixed
        // key, fixed nonce), so its transcript hash, and so the tag of message 2, match.
        guard let payload = dialerHello(message1) else { return nil }
        var initiator = HandshakeKeys.handshake(role: .dialer, ephemeral: dialerNonce, psk: psk)
        guard (try? initiator.writeMessage(payload: payload)) == message1 else { return nil }
        return try? initiator.readMessage(message2)
    }

    /// The next SEALED frame sent by `sender`, opened: its inner bytes (type, body); nil
    /// when it does not open, and then that direction is unchanged.
    public mutating func open(_ frame: Frame, from sender: SessionRole) -> [UInt8]? {
        guard frame.type == .sealed else { return nil }
        return sender == .dialer ? try? listener.decryptRecord(frame.payload) : try? dialer.decryptRecord(frame.payload)
    }

    /// The next SEALED frame from `sender` carrying `inner` (type and body, any bytes).
    public mutating func seal(_ inner: [UInt8], from sender: SessionRole) -> Frame {
        let record = sender == .dialer ? try? dialer.encryptRecord(inner) : try? listener.encryptRecord(inner)
        guard let record else { preconditionFailure("nonces do not run out in a test") }
        return Frame(type: .sealed, payload: record)
    }
}

/// Test equipment: a dialer's own channel rebuilt from its randomness and the two
/// handshake messages on the wire (no listener secret needed: the dialer's ephemeral key
/// and the listener's public one give the same keys). Lets a harness that drives a real
/// session read the listener's SEALED frames itself, and forge frames under the dialer's
/// key at any counter, as a member could.
public struct DialerTap: Sendable {
    private var transport: NoiseTransport

    /// Nil when `message1` is not this dialer's (under this secret) or `message2` does not
    /// answer it.
    public init?(secret: [UInt8], ledgerID: LedgerID? = nil, nonce: [UInt8], message1: [UInt8], message2: [UInt8]) {
        let psk = HandshakeKeys.psk(secret: secret, ledgerID: ledgerID)
        // Message 1's payload, read as any listener would (its ephemeral plays no part yet).
        var reader = HandshakeKeys.handshake(role: .listener, ephemeral: [UInt8](repeating: 7, count: 32), psk: psk)
        var initiator = HandshakeKeys.handshake(role: .dialer, ephemeral: nonce, psk: psk)
        guard let payload = try? reader.readMessage(message1), (try? initiator.writeMessage(payload: payload)) == message1,
              (try? initiator.readMessage(message2)) != nil, let transport = try? initiator.split() else { return nil }
        self.transport = transport
    }

    /// The listener's next SEALED frame, opened (inner type and body); nil when it does not open.
    public mutating func open(_ frame: Frame) -> [UInt8]? {
        frame.type == .sealed ? try? transport.decryptRecord(frame.payload) : nil
    }

    /// The dialer's next SEALED frame carrying `inner` (any bytes).
    public mutating func seal(_ inner: [UInt8]) -> Frame {
        guard let record = try? transport.encryptRecord(inner) else { preconditionFailure("nonces do not run out in a test") }
        return Frame(type: .sealed, payload: record)
    }
}
