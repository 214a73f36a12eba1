import CarnetCore

/// The dialer's payload in Noise message 1 (protocol/SPEC.md 8.2), encrypted under the
/// ledger's PSK: flags, its wall clock, its state tag. Fixed size, so that message 1 says
/// nothing by its length.
public struct DialerHello: Sendable, Equatable {
    /// Bit 0 is reserved for the device-identity field that will follow the fixed fields
    /// (signatures over the handshake hash, a later step); this version sends 0 and
    /// refuses a message that sets any bit, so a later version can give them meaning.
    public static let identityFlag: UInt8 = 1
    public static let length = 1 + 8 + 8

    public var flags: UInt8
    /// The dialer's wall clock in milliseconds since 1970: informative. The listener's
    /// replay cache is bounded by count, not by this clock, which a farm may have wrong.
    public var wallMillis: UInt64
    /// The first 8 bytes of SHA-256("carnet/2 state" ‖ the dialer's compact summary).
    public var stateTag: UInt64

    public init(flags: UInt8 = 0, wallMillis: UInt64, stateTag: UInt64) {
        self.flags = flags
        self.wallMillis = wallMillis
        self.stateTag = stateTag
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: Self.length)
        writer.byte(flags)
        writer.uint64BigEndian(wallMillis)
        writer.uint64BigEndian(stateTag)
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> DialerHello {
        var reader = ByteReader(bytes)
        let flags = try reader.byte()
        guard flags == 0 else { throw .malformed("handshake flags \(flags) (none are defined in version 2)", at: 0) }
        let hello = DialerHello(flags: flags, wallMillis: try reader.uint64BigEndian(), stateTag: try reader.uint64BigEndian())
        guard reader.isAtEnd else { throw .malformed("\(reader.remaining) unexpected bytes after the handshake payload", at: reader.offset) }
        return hello
    }
}

/// The listener's payload in Noise message 2 (protocol/SPEC.md 8.2), encrypted under the
/// PSK and both ephemerals: flags, then an inner message (type and body, as in a SEALED
/// frame): its first SUMMARY, or an ERROR (`secret-retired`) to a holder of a retired
/// secret. With `summaryFollows` set nothing follows the flags: the SUMMARY would have
/// made the message longer than Noise allows, so it is the listener's first SEALED frame.
public struct ListenerReply: Sendable, Equatable {
    public static let summaryFollowsFlag: UInt8 = 1
    /// Reserved, as the dialer's bit 0: a device-identity field (a later step).
    public static let identityFlag: UInt8 = 2

    /// The inner message; nil when the SUMMARY follows as the first SEALED frame.
    public var message: SessionMessage?

    public init(message: SessionMessage?) {
        self.message = message
    }

    public var encoded: [UInt8] {
        guard let message else { return [Self.summaryFollowsFlag] }
        return [0] + message.encoded
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> ListenerReply {
        guard let flags = bytes.first else { throw .malformed("an empty handshake payload", at: 0) }
        switch flags {
        case Self.summaryFollowsFlag:
            guard bytes.count == 1 else { throw .malformed("bytes after a deferred summary's flags", at: 1) }
            return ListenerReply(message: nil)
        case 0:
            let message = try SessionMessage.decode(inner: Array(bytes.dropFirst()))
            switch message {
            case .summary, .error: return ListenerReply(message: message)
            default: throw .malformed("a \(message.frameType) message in the listener's handshake", at: 1)
            }
        default:
            throw .malformed("handshake flags \(flags)", at: 0)
        }
    }
}
