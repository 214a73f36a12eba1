import CarnetCore
import CarnetWire

/// The encrypted channel of a session once the Noise handshake finished (protocol/SPEC.md
/// 8.1): every message this side sends is a SEALED frame, ChaCha20-Poly1305 of its type and
/// body under this side's direction key with Noise's counter nonce; the peer's are opened
/// under theirs. The counters make a replayed, dropped or reordered frame fail as surely
/// as an altered one, and the two directions' keys differ, so a frame reflected back to
/// its sender fails too. Records may exceed Noise's 65,535 bytes (`encryptRecord`).
///
/// Holds the only copy of the transport's counters: made once per session, never copied
/// back from a stale value.
struct SecureChannel: Sendable {
    private var transport: NoiseTransport
    /// The peer's frames opened so far: the listener knows the dialer is live (not a
    /// replay of an old message 1) once one opened.
    private(set) var opened: UInt64 = 0
    /// Bytes the plaintext of this side's next SEALED frame starts with, whatever message
    /// follows; nil once sent. In a signed ledger (SPEC 8.2.7): a dialer's device proof, or
    /// a listener's key when the dialer asked for it.
    var nextFramePrefix: [UInt8]?

    init(_ transport: NoiseTransport) {
        self.transport = transport
    }

    /// The final handshake hash: what the dialer's device proof signs.
    var handshakeHash: [UInt8] { transport.handshakeHash }

    /// The SEALED frame of `message`.
    /// The bytes `seal(message)` would put on the socket: length, type, any prefix, the
    /// message, the tag. What a session under a byte budget weighs before it sends.
    func sealedLength(_ message: SessionMessage) -> Int {
        4 + 1 + (nextFramePrefix?.count ?? 0) + message.encoded.count + ChaCha20Poly1305.tagSize
    }

    mutating func seal(_ message: SessionMessage) -> Frame {
        let prefix = nextFramePrefix ?? []
        nextFramePrefix = nil
        guard let record = try? transport.encryptRecord(prefix + message.encoded) else {
            // 2^64 − 1 frames in one session: not reachable.
            preconditionFailure("the session's nonces ran out")
        }
        return Frame(type: .sealed, payload: record, sealedMessage: message)
    }

    /// The SEALED frames of a SUMMARY: one, or the parts of one too large for a frame
    /// (`SummaryParts`), back to back.
    mutating func seal(_ summary: SummaryMessage) -> [Frame] {
        SummaryParts.split(summary).map { seal(.summary($0)) }
    }

    /// The frame of this side's last message (an ERROR before closing): sealed in turn, the
    /// channel left as it was since nothing follows it.
    func sealLast(_ message: SessionMessage) -> Frame {
        var copy = self
        return copy.seal(message)
    }

    /// The peer's message in `frame`; nil when the frame is not SEALED or does not open
    /// under the next nonce (altered, replayed, reordered, reflected, truncated), and then
    /// the channel is unchanged. A message that opens but does not decode throws.
    mutating func open(_ frame: Frame) -> Result<SessionMessage, WireError>? {
        guard frame.type == .sealed, let plain = try? transport.decryptRecord(frame.payload) else { return nil }
        opened += 1
        do {
            return .success(try SessionMessage.decode(inner: plain))
        } catch {
            return .failure(error)
        }
    }

    /// A SEALED frame whose plaintext starts with a field before its message (the dialer's
    /// device proof, the listener's key when asked: SPEC 8.2.7), as `open` otherwise.
    mutating func open<Field>(_ frame: Frame, after field: (inout ByteReader) throws(WireError) -> Field)
        -> Result<(Field, SessionMessage), WireError>? {
        guard frame.type == .sealed, let plain = try? transport.decryptRecord(frame.payload) else { return nil }
        opened += 1
        do throws(WireError) {
            var reader = ByteReader(plain)
            let value = try field(&reader)
            return .success((value, try SessionMessage.decode(inner: Array(plain[reader.offset...]))))
        } catch {
            return .failure(error)
        }
    }
}
