import CarnetCore

/// The dialer's payload in Noise message 1 (protocol/SPEC.md 8.2), encrypted under the
/// ledger's PSK: flags, its wall clock, its state tag, its byte budget. Fixed size, so
/// that message 1 says nothing by its length (not even whether a budget is set).
public struct DialerHello: Sendable, Equatable {
    /// Bit 0: the dialer proves its device (a signed ledger), in a `DeviceProof` at the
    /// start of its first SEALED frame's plaintext (it signs the final handshake hash, so
    /// the proof cannot be in message 1). Bit 1: the dialer asks for a custody receipt
    /// (SPEC 9.6; signed ledgers only, with bit 0). Bit 2: the dialer speaks grants (OFFER
    /// and GRANT, SPEC 8.3 rule 8). No other bit is defined; a message that sets one is
    /// refused, so a later version can give them meaning (an older listener refuses bit 2:
    /// the dialer then dials again without it).
    public static let identityFlag: UInt8 = 1
    public static let receiptFlag: UInt8 = 2
    public static let grantsFlag: UInt8 = 4
    public static let length = 1 + 8 + 8 + 4

    public var flags: UInt8
    /// The dialer's wall clock in milliseconds since 1970: informative. The listener's
    /// replay cache is bounded by count, not by this clock, which a farm may have wrong.
    public var wallMillis: UInt64
    /// The first 8 bytes of SHA-256("carnet/2 state" ‖ the dialer's compact summary).
    public var stateTag: UInt64
    /// The most bytes the session may carry on the socket, both ways, handshake included
    /// (SPEC 8.3.9): a metered link's `carnet sync --budget`. 0: no budget.
    public var budgetBytes: UInt32

    public init(flags: UInt8 = 0, wallMillis: UInt64, stateTag: UInt64, budgetBytes: UInt32 = 0) {
        self.flags = flags
        self.wallMillis = wallMillis
        self.stateTag = stateTag
        self.budgetBytes = budgetBytes
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: Self.length)
        writer.byte(flags)
        writer.uint64BigEndian(wallMillis)
        writer.uint64BigEndian(stateTag)
        for shift in stride(from: 24, through: 0, by: -8) { writer.byte(UInt8(truncatingIfNeeded: budgetBytes >> UInt32(shift))) }
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> DialerHello {
        var reader = ByteReader(bytes)
        let flags = try reader.byte()
        guard flags & ~(identityFlag | receiptFlag | grantsFlag) == 0 else {
            throw .malformed("handshake flags \(flags) (only bits 0 to 2 are defined in version 2)", at: 0)
        }
        let hello = DialerHello(flags: flags, wallMillis: try reader.uint64BigEndian(), stateTag: try reader.uint64BigEndian(),
                                budgetBytes: try reader.raw(4).reduce(0) { $0 << 8 | UInt32($1) })
        guard reader.isAtEnd else { throw .malformed("\(reader.remaining) unexpected bytes after the handshake payload", at: reader.offset) }
        return hello
    }
}

/// The listener's payload in Noise message 2 (protocol/SPEC.md 8.2), encrypted under the
/// PSK and both ephemerals: flags, the listener's wall clock (so that the dialer can
/// measure its peer's clock offset as the listener measures the dialer's from message 1),
/// the listener's device proof in a signed ledger, then
/// an inner message (type and body, as in a SEALED frame): its first SUMMARY, or an ERROR
/// (`secret-retired`, `malformed`) to a dialer it will not admit. With `summaryFollows`
/// set no inner message follows: the SUMMARY would have made the message longer than
/// Noise allows, so it is the listener's first SEALED frame.
public struct ListenerReply: Sendable, Equatable {
    public static let summaryFollowsFlag: UInt8 = 1
    /// Bit 1: a `DeviceProof` follows the flags (signed ledgers; never with an ERROR).
    public static let identityFlag: UInt8 = 2
    /// Bit 2: grants are in force in this session (the dialer asked for them with message
    /// 1's bit 2, and this listener speaks them): both sides OFFER before they send EVENTS.
    public static let grantsFlag: UInt8 = 4
    /// The flags and the clock: what comes before the proof and the inner message.
    public static let fixedLength = 1 + 8

    /// The listener's wall clock in milliseconds since 1970, as it wrote message 2:
    /// informative, for the dialer's measure of the offset between the two clocks (8.2.10).
    public var wallMillis: UInt64
    /// The inner message; nil when the SUMMARY follows as the first SEALED frame.
    public var message: SessionMessage?
    /// The listener's device proof, signed over the handshake hash before this payload.
    public var identity: DeviceProof?

    /// Grants are in force (flag bit 2): never with an ERROR.
    public var grants: Bool

    public init(wallMillis: UInt64 = 0, message: SessionMessage?, identity: DeviceProof? = nil, grants: Bool = false) {
        self.wallMillis = wallMillis
        self.message = message
        self.identity = identity
        self.grants = grants
    }

    public var encoded: [UInt8] {
        let flags = (message == nil ? Self.summaryFollowsFlag : 0) | (identity == nil ? 0 : Self.identityFlag)
            | (grants ? Self.grantsFlag : 0)
        var writer = ByteWriter(capacity: Self.fixedLength)
        writer.byte(flags)
        writer.uint64BigEndian(wallMillis)
        return writer.bytes + (identity?.encoded ?? []) + (message?.encoded ?? [])
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> ListenerReply {
        var reader = ByteReader(bytes)
        let flags = try reader.byte()
        guard flags & ~(summaryFollowsFlag | identityFlag | grantsFlag) == 0 else { throw .malformed("handshake flags \(flags)", at: 0) }
        let grants = flags & grantsFlag != 0
        let wallMillis = try reader.uint64BigEndian()
        let identity = flags & identityFlag != 0 ? try DeviceProof.decode(from: &reader) : nil
        if flags & summaryFollowsFlag != 0 {
            guard reader.isAtEnd else { throw .malformed("bytes after a deferred summary's flags", at: reader.offset) }
            return ListenerReply(wallMillis: wallMillis, message: nil, identity: identity, grants: grants)
        }
        let offset = reader.offset
        let message = try SessionMessage.decode(inner: Array(bytes[offset...]))
        switch message {
        case .summary: return ListenerReply(wallMillis: wallMillis, message: message, identity: identity, grants: grants)
        case .error:
            guard identity == nil, !grants else { throw .malformed("a device proof with an ERROR in the listener's handshake", at: 0) }
            return ListenerReply(wallMillis: wallMillis, message: message)
        default: throw .malformed("a \(message.frameType) message in the listener's handshake", at: offset)
        }
    }
}
