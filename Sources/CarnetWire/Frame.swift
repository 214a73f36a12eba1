import CarnetCore

/// One unit of the session protocol on the stream (protocol/SPEC.md 8.1, version 2):
///
///     frame = u32be(length) u8(type) body          length = 1 + |body|
///
/// Three types travel in version 2: HANDSHAKE-1 and HANDSHAKE-2 (Noise messages) and
/// SEALED (everything after: an inner message, encrypted). The length stays in clear
/// because the receiver must frame the stream; the inner type is inside the ciphertext.
/// The frame layer only cuts the stream; the session opens SEALED bodies.
public struct Frame: Sendable, Equatable {
    public var type: FrameType
    /// Everything after the type byte.
    public var payload: [UInt8]
    /// The message a SEALED frame was made from, known to its sender only: never encoded,
    /// and not part of equality. It lets the sender say what it sent (`Session.sentLog`)
    /// although the type travels encrypted.
    public var sealedMessage: SessionMessage?

    public init(type: FrameType, payload: [UInt8], sealedMessage: SessionMessage? = nil) {
        self.type = type
        self.payload = payload
        self.sealedMessage = sealedMessage
    }

    public static func == (lhs: Frame, rhs: Frame) -> Bool {
        lhs.type == rhs.type && lhs.payload == rhs.payload
    }

    /// The frame's bytes on the stream.
    public var encoded: [UInt8] {
        let length = UInt32(1 + payload.count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(5 + payload.count)
        bytes += [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        bytes.append(type.rawValue)
        bytes += payload
        return bytes
    }
}

/// Frame and message types (protocol/SPEC.md 8.1). In version 2 the frames on the stream
/// are HANDSHAKE-1, HANDSHAKE-2 and SEALED; SUMMARY to ERROR are the *inner* types of a
/// SEALED frame (with their version-1 numbers and bodies), and an ERROR also travels in
/// clear where no channel exists (a busy listener, an answer to a version-1 peer). HELLO
/// is version 1's first frame, kept only to recognise an older peer.
public enum FrameType: UInt8, Sendable, CaseIterable {
    case hello = 0x01
    case summary = 0x03
    case events = 0x04
    case ack = 0x05
    case done = 0x06
    case ping = 0x07
    case pong = 0x08
    case error = 0x09
    /// A custody receipt, listener → dialer, in a signed ledger when asked (SPEC 9.6).
    case receipt = 0x0A
    /// Ranges a sender would send, and the part the receiver reserves for it (SPEC 8.3
    /// rule 8): inner messages of sessions with grants in force.
    case offer = 0x0B
    case grant = 0x0C
    case handshake1 = 0x10
    case handshake2 = 0x11
    case sealed = 0x12

    /// The types a SEALED frame may carry inside.
    public static let inner: [FrameType] = [.summary, .events, .ack, .done, .ping, .pong, .error, .receipt, .offer, .grant]
}

/// Limits of the session protocol, checked before allocating.
public enum FrameLimits {
    /// The largest inner message (type and body) a SEALED frame carries: 1 MiB, as a
    /// version-1 frame. An event batch that would not fit is split by the sender.
    public static let maxMessageLength = 1 << 20
    /// The authentication tag of every SEALED frame: ChaCha20-Poly1305's 16 bytes.
    public static let tagLength = 16
    /// The largest `length` a receiver accepts: the SEALED type byte, the largest inner
    /// message and its tag.
    public static let maxLength = 1 + maxMessageLength + tagLength
}
