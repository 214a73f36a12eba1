import CarnetCore

/// One unit of the session protocol on the stream (protocol/SPEC.md, "Frames"):
///
///     frame = u32be(length) type(1) body [mac(16)]     length = 1 + |body| (+ 16)
///
/// Whether a frame carries a MAC is not in the frame: both sides know it from the
/// handshake's progress (section 8.2), so the frame layer hands the bytes after the type
/// to the session, which checks and strips the MAC.
public struct Frame: Sendable, Equatable {
    public var type: FrameType
    /// Everything after the type byte: the message body, and the MAC when there is one.
    public var payload: [UInt8]

    public init(type: FrameType, payload: [UInt8]) {
        self.type = type
        self.payload = payload
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

/// Frame types (protocol/SPEC.md, "Messages").
public enum FrameType: UInt8, Sendable, CaseIterable {
    case hello = 0x01
    case proof = 0x02
    case summary = 0x03
    case events = 0x04
    case ack = 0x05
    case done = 0x06
    case ping = 0x07
    case pong = 0x08
    case error = 0x09
}

/// Limits of the session protocol, checked before allocating.
public enum FrameLimits {
    /// The largest `length` a receiver accepts: 1 MiB. An event batch that would not fit is
    /// split by the sender.
    public static let maxLength = 1 << 20
    /// The MAC every frame carries after the handshake: the first 16 bytes of HMAC-SHA256.
    public static let macLength = 16
}
