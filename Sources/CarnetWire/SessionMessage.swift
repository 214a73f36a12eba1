import CarnetCore

/// A message of the session protocol, as the session state machine sees it: what a SEALED
/// frame carries inside (protocol/SPEC.md 8.1), and an ERROR where it travels in clear.
/// Conversion to and from bytes lives here; the layouts are version 1's.
public enum SessionMessage: Sendable, Equatable {
    case summary(SummaryMessage)
    /// A batch: its events encoded on their own, or primed with `context` (events the
    /// receiver holds, named here, whose strings and shapes need not travel again). The
    /// payload is decoded by the session, which can look the context up.
    case events(EventsMessage)
    case ack(AckMessage)
    /// Every event the peer lacked per its summaries so far (`summaries` of them received)
    /// was sent, up to batch `lastBatch`.
    case done(lastBatch: UInt64, summaries: UInt64)
    case ping(UInt64)
    case pong(UInt64)
    case error(ErrorMessage)
    /// A custody receipt's wire part (SPEC 9.6): only what the dialer cannot rebuild.
    case receipt(ReceiptMessage)
    /// The ranges the sender would send, asked of the receiver before any of their events
    /// go (sessions with grants in force, SPEC 8.3 rule 8).
    case offer([GrantRange])
    /// The answer to the peer's OFFER: the part this side reserved for the session (the
    /// only events the peer may send it), and the part it holds, each held range with its
    /// last event's hash prefix (the sender checks it: the same chain is never offered
    /// again in the session, another branch is offered again at once). The rest is being
    /// brought by another session.
    case grant(granted: [GrantRange], held: [GrantRange])

    public var frameType: FrameType {
        switch self {
        case .summary: .summary
        case .events: .events
        case .ack: .ack
        case .done: .done
        case .ping: .ping
        case .pong: .pong
        case .error: .error
        case .receipt: .receipt
        case .offer: .offer
        case .grant: .grant
        }
    }

    /// The inner message as a SEALED frame encrypts it: its type, then its body.
    public var encoded: [UInt8] { [frameType.rawValue] + body }

    /// Decodes an inner message (`encoded`'s layout). Every bound is checked.
    public static func decode(inner bytes: [UInt8]) throws(WireError) -> SessionMessage {
        guard let first = bytes.first, let type = FrameType(rawValue: first), FrameType.inner.contains(type) else {
            throw .malformed("unknown message type \(bytes.first.map(String.init) ?? "(none)")", at: 0)
        }
        return try decode(type: type, body: Array(bytes.dropFirst()))
    }

    /// The body's bytes (without the type).
    public var body: [UInt8] {
        var writer = ByteWriter(capacity: 64)
        switch self {
        case let .summary(summary):
            writer.byte((summary.live ? 1 : 0) | summary.form.rawValue << 1 | (summary.continued ? 8 : 0))
            writer.nodeID(summary.node)
            writer.string(summary.ledger)
            writer.string(summary.label)
            if summary.form != .same { summary.summary.encode(into: &writer) }
        case let .events(message):
            writer.varint(message.batch)
            if let context = message.context {
                writer.byte(1)
                writer.nodeID(context.node)
                writer.varint(context.endSeq)
                writer.varint(context.count)
            } else {
                writer.byte(0)
            }
            writer.raw(message.payload)
        case let .ack(ack):
            writer.varint(ack.batch)
            writer.byte(ack.refusal == nil ? 0 : 1)
            writer.varint(ack.newEvents)
            writer.string(ack.refusal ?? "")
        case let .done(lastBatch, summaries):
            writer.varint(lastBatch)
            writer.varint(summaries)
        case let .ping(token), let .pong(token):
            writer.uint64BigEndian(token)
        case let .error(error):
            writer.byte(UInt8(error.code.rawValue >> 8))
            writer.byte(UInt8(error.code.rawValue & 0xFF))
            writer.string(error.message)
        case let .receipt(receipt):
            writer.varint(receipt.seq)
            if let signed = receipt.signed {
                writer.uint64BigEndian(signed.heldAtMillis)
                writer.raw(signed.signature)
            }
        case let .offer(ranges):
            GrantRanges.encode(ranges, hashes: true, into: &writer)
        case let .grant(granted, held):
            GrantRanges.encode(granted, hashes: false, into: &writer)
            GrantRanges.encode(held, hashes: true, into: &writer)
        }
        return writer.bytes
    }

    /// Decodes the body of a frame of `type`. Every bound is checked; bad input throws.
    public static func decode(type: FrameType, body: [UInt8]) throws(WireError) -> SessionMessage {
        var reader = ByteReader(body)
        let message: SessionMessage
        switch type {
        case .summary:
            let flags = try reader.byte()
            guard flags & ~15 == 0, let form = SummaryForm(rawValue: flags >> 1 & 3) else {
                throw .malformed("unknown summary flags \(flags)", at: 0)
            }
            let continued = flags & 8 != 0
            if continued && form == .same { throw .malformed("a summary of form same cannot be continued", at: 0) }
            let node = try reader.nodeID()
            let ledger = try reader.string()
            let label = try reader.string()
            let summary = form == .same ? CompactSummary(entries: []) : try CompactSummary.decode(from: &reader)
            message = .summary(SummaryMessage(live: flags & 1 == 1, node: node, ledger: ledger, label: label,
                                              form: form, summary: summary, continued: continued))
        case .events:
            let batch = try reader.varint()
            let flag = try reader.byte()
            var context: BatchContext?
            switch flag {
            case 0: break
            case 1:
                let node = try reader.nodeID()
                let endSeq = try reader.varint()
                let count = try reader.count(limit: BatchContext.maxCount, "context length")
                guard count >= 1, endSeq >= UInt64(count) else { throw .malformed("context of \(count) events ending at seq \(endSeq)", at: reader.offset) }
                context = BatchContext(node: node, endSeq: endSeq, count: UInt64(count))
            default:
                throw .malformed("unknown batch flag \(flag)", at: reader.offset - 1)
            }
            return .events(EventsMessage(batch: batch, context: context, payload: Array(body[reader.offset...])))
        case .ack:
            let batch = try reader.varint()
            let status = try reader.byte()
            guard status <= 1 else { throw .malformed("unknown ack status \(status)", at: reader.offset - 1) }
            let newEvents = try reader.varint()
            let reason = try reader.string()
            message = .ack(AckMessage(batch: batch, newEvents: newEvents, refusal: status == 1 ? reason : nil))
        case .done:
            message = .done(lastBatch: try reader.varint(), summaries: try reader.varint())
        case .ping:
            message = .ping(try reader.uint64BigEndian())
        case .pong:
            message = .pong(try reader.uint64BigEndian())
        case .error:
            let code = UInt16(try reader.byte()) << 8 | UInt16(try reader.byte())
            message = .error(ErrorMessage(code: SessionErrorCode(rawValue: code), message: try reader.string()))
        case .receipt:
            let seq = try reader.varint()
            if seq == 0 {
                message = .receipt(ReceiptMessage(seq: 0, signed: nil))
            } else {
                let heldAt = try reader.uint64BigEndian()
                let signature = Array(try reader.raw(ReceiptMessage.signatureLength))
                message = .receipt(ReceiptMessage(seq: seq, signed: (heldAt, signature)))
            }
        case .offer:
            message = .offer(try GrantRanges.decode(from: &reader, hashes: true))
        case .grant:
            message = .grant(granted: try GrantRanges.decode(from: &reader, hashes: false),
                             held: try GrantRanges.decode(from: &reader, hashes: true))
        case .hello, .handshake1, .handshake2, .sealed:
            throw .malformed("a \(type) frame carries no session message", at: 0)
        }
        guard reader.isAtEnd else { throw .malformed("\(reader.remaining) unexpected bytes after the message", at: reader.offset) }
        return message
    }
}

/// Which end of the TCP connection a side is: the dialer is Noise's initiator, the
/// listener its responder.
public enum SessionRole: UInt8, Sendable {
    case dialer = 1
    case listener = 2

    public var peer: SessionRole { self == .dialer ? .listener : .dialer }
}

/// How a SUMMARY states the sender's summary.
public enum SummaryForm: UInt8, Sendable {
    /// The whole compact summary.
    case full = 0
    /// Equal to what the receiver holds (the listener's answer to a matching state tag, and
    /// the dialer's answer to that).
    case same = 1
    /// The entries that differ from the receiver's latest summary (the dialer's answer to a
    /// full summary: usually a node or two).
    case delta = 2
}

/// Who a side is and what it holds: the listener's first in its handshake message, the
/// dialer's first in its first SEALED frame, and again when a side's history gained fork
/// branches during the session. Always encrypted: it is ledger data.
public struct SummaryMessage: Sendable, Equatable {
    /// The sender wants the session kept open after catching up (live push).
    public var live: Bool
    public var node: NodeID
    public var ledger: String
    public var label: String
    public var form: SummaryForm
    /// The summary (`.full`), the difference (`.delta`), or empty (`.same`); in a part of
    /// a split SUMMARY, a run of its entries (`SummaryParts`).
    public var summary: CompactSummary
    /// More parts of this SUMMARY follow (flag bit 3): a summary too large for one frame
    /// travels in several, which the receiver assembles before it reads any (SPEC 8.1).
    public var continued: Bool

    public init(live: Bool, node: NodeID, ledger: String, label: String, form: SummaryForm = .full,
                summary: CompactSummary, continued: Bool = false) {
        self.live = live
        self.node = node
        self.ledger = ledger
        self.label = label
        self.form = form
        self.summary = summary
        self.continued = continued
    }
}

/// One EVENTS message: the batch number, the context it is primed with, the batch bytes.
public struct EventsMessage: Sendable, Equatable {
    public var batch: UInt64
    public var context: BatchContext?
    public var payload: [UInt8]

    public init(batch: UInt64, context: BatchContext?, payload: [UInt8]) {
        self.batch = batch
        self.context = context
        self.payload = payload
    }
}

/// The events a primed batch continues: `count` events of `node`'s chain ending at
/// `endSeq`, whose last is the predecessor of the batch's first event.
public struct BatchContext: Sendable, Equatable {
    public static let maxCount = 1_024
    public var node: NodeID
    public var endSeq: UInt64
    public var count: UInt64

    public init(node: NodeID, endSeq: UInt64, count: UInt64) {
        self.node = node
        self.endSeq = endSeq
        self.count = count
    }
}

/// The receiver's answer to one EVENTS message, after the batch is durable (or refused).
public struct AckMessage: Sendable, Equatable {
    public var batch: UInt64
    /// Events of the batch the receiver did not hold before.
    public var newEvents: UInt64
    /// Why the batch was refused; nil when it was stored. A refused batch is not sent again
    /// in this session.
    public var refusal: String?

    public init(batch: UInt64, newEvents: UInt64, refusal: String? = nil) {
        self.batch = batch
        self.newEvents = newEvents
        self.refusal = refusal
    }
}

/// A RECEIPT (SPEC 9.6): `varint(seq)`, then, when seq is above 0, `u64be(held at)
/// signature(64)`. The dialer rebuilds the rest of the signed statement itself: the ledger
/// id, the listener's node (its SUMMARY), its own node, and the hash of its own event at
/// seq. Seq 0 says the listener holds none of the dialer's events, and carries nothing
/// to sign.
public struct ReceiptMessage: Sendable, Equatable {
    public static let signatureLength = 64
    public var seq: UInt64
    public var signed: (heldAtMillis: UInt64, signature: [UInt8])?

    public init(seq: UInt64, signed: (heldAtMillis: UInt64, signature: [UInt8])?) {
        self.seq = seq
        self.signed = signed
    }

    public static func == (lhs: ReceiptMessage, rhs: ReceiptMessage) -> Bool {
        lhs.seq == rhs.seq && lhs.signed?.heldAtMillis == rhs.signed?.heldAtMillis && lhs.signed?.signature == rhs.signed?.signature
    }
}

/// Why a side closes the session.
public struct ErrorMessage: Sendable, Equatable {
    public var code: SessionErrorCode
    public var message: String

    public init(code: SessionErrorCode, message: String) {
        self.code = code
        self.message = message
    }
}

/// The error codes of ERROR messages (protocol/SPEC.md, "Errors"). Unknown codes from a
/// newer peer are kept as numbers.
public struct SessionErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let notCarnet = Self(rawValue: 1)
    public static let unsupportedVersion = Self(rawValue: 2)
    public static let frameTooLarge = Self(rawValue: 3)
    public static let malformed = Self(rawValue: 4)
    public static let authenticationFailed = Self(rawValue: 5)
    public static let badMAC = Self(rawValue: 6)
    public static let ledgerMismatch = Self(rawValue: 7)
    public static let unexpectedMessage = Self(rawValue: 8)
    public static let busy = Self(rawValue: 9)
    public static let timeout = Self(rawValue: 10)
    public static let shuttingDown = Self(rawValue: 11)
    public static let storageFailed = Self(rawValue: 12)
    public static let sameNode = Self(rawValue: 13)
    public static let secretRetired = Self(rawValue: 14)

    public var description: String {
        switch self {
        case .notCarnet: "not-carnet"
        case .unsupportedVersion: "unsupported-version"
        case .frameTooLarge: "frame-too-large"
        case .malformed: "malformed"
        case .authenticationFailed: "authentication-failed"
        case .badMAC: "bad-mac"
        case .ledgerMismatch: "ledger-mismatch"
        case .unexpectedMessage: "unexpected-message"
        case .busy: "busy"
        case .timeout: "timeout"
        case .shuttingDown: "shutting-down"
        case .storageFailed: "storage-failed"
        case .sameNode: "same-node"
        case .secretRetired: "secret-retired"
        default: "error-\(rawValue)"
        }
    }
}
