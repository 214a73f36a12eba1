import CarnetCore
import CarnetWire

/// Fuzz target (c): the event batch codec (plain, primed, with trusted hashes) and the
/// session's message and summary codecs.
///
/// Input: a selector byte, then the bytes of one variant. Selector bit 0: raw (0) or
/// valid envelope (1: batch headers written by the harness, hash lists cut to the number
/// of events, frame types mapped onto the known ones). Bits 1 and up, modulo 6, pick the
/// variant:
///
/// 0. `EventBatch.decode(rest)`
/// 1. primed: `length() context-batch rest`: the context decoded, then the rest against it
/// 2. trusted hashes: `length() batch` then 32-byte hashes
/// 3. `SessionMessage.decode(type: byte, body: rest)`
/// 4. `SummaryCoding.decode(rest)` (the store's full summaries)
/// 5. `CompactSummary.decode` (the session's summaries)
///
/// Properties: no crash; whatever decodes re-encodes to bytes that decode to an identical
/// value, and encoding that value again gives the same bytes (encode is a function of the
/// value, which is what the golden vectors and the status file rely on).
public enum CodecTarget {
    static let name = "codec"
    static let variants = 6
    static let batchHeader: [UInt8] = [0x43, 0x42, EventBatch.version]

    public static func run(_ input: [UInt8]) throws(FuzzViolation) {
        guard let selector = input.first else { return }
        let envelope = selector & 1 == 1
        var source = FuzzInput(input, offset: 1)
        switch Int(selector >> 1) % variants {
        case 0: try plainBatch(batch(source.rest(), envelope))
        case 1: try primedBatch(&source, envelope: envelope)
        case 2: try trustedBatch(&source, envelope: envelope)
        case 3: try sessionMessage(&source, envelope: envelope)
        case 4: try fullSummary(source.rest())
        default: try compactSummary(source.rest())
        }
    }

    /// In an envelope, the batch header is the harness's: the mutations land on the body.
    static func batch(_ bytes: [UInt8], _ envelope: Bool) -> [UInt8] {
        envelope ? batchHeader + bytes : bytes
    }

    static func plainBatch(_ bytes: [UInt8]) throws(FuzzViolation) {
        guard let events = try? EventBatch.decode(bytes) else { return }
        // What the decoder accepts, it has counted exactly (protocol/SPEC.md §3.2).
        let sizes = events.map(\.canonicalSize)
        try require(sizes.allSatisfy { $0 <= WireLimits.maxEventCanonicalBytes }
                        && sizes.reduce(0, +) <= WireLimits.maxBatchCanonicalBytes, name,
                    "a decoded batch passes the canonical size limits")
        try require(zip(events, sizes).allSatisfy { $0.canonicalBytes.count == $1 }, name,
                    "canonicalSize differs from the canonical bytes' length")
        let encoded = EventBatch.encode(events)
        let again: [Event]
        do {
            again = try EventBatch.decode(encoded)
        } catch {
            throw FuzzViolation(name, "a re-encoded batch does not decode: \(error)")
        }
        try require(EventComparison.identical(events, again), name,
                    "batch round trip: " + EventComparison.firstDifference(events, again))
        try require(EventBatch.encode(again) == encoded, name, "encoding a decoded batch twice gives different bytes")
    }

    static func primedBatch(_ source: inout FuzzInput, envelope: Bool) throws(FuzzViolation) {
        let contextBytes = batch(source.take(source.length()), envelope)
        guard let context = try? EventBatch.decode(contextBytes) else { return }
        guard let events = try? EventBatch.decode(batch(source.rest(), envelope), primedWith: context) else { return }
        let encoded = EventBatch.encode(events, primedWith: context)
        let again: [Event]
        do {
            again = try EventBatch.decode(encoded, primedWith: context)
        } catch {
            throw FuzzViolation(name, "a re-encoded primed batch does not decode against its context: \(error)")
        }
        try require(EventComparison.identical(events, again), name,
                    "primed batch round trip: " + EventComparison.firstDifference(events, again))
        try require(EventBatch.encode(again, primedWith: context) == encoded, name,
                    "encoding a decoded primed batch twice gives different bytes")
    }

    static func trustedBatch(_ source: inout FuzzInput, envelope: Bool) throws(FuzzViolation) {
        let bytes = batch(source.take(source.length()), envelope)
        var hashBytes = source.rest()
        if envelope, let count = try? EventBatch.decode(bytes).count {
            // Exactly one hash per event: the store keeps them so.
            hashBytes = count == 0 ? [] : (0..<(count * 32)).map { hashBytes.isEmpty ? UInt8(0) : hashBytes[$0 % hashBytes.count] }
        }
        var reader = ByteReader(hashBytes)
        var hashes: [SHA256Digest] = []
        while let hash = try? reader.digest() { hashes.append(hash) }
        guard let events = try? EventBatch.decode(bytes, trustedHashes: hashes) else { return }
        let encoded = EventBatch.encode(events)
        let again: [Event]
        do {
            again = try EventBatch.decode(encoded, trustedHashes: events.map(\.hash))
        } catch {
            throw FuzzViolation(name, "a re-encoded batch does not decode with its own hashes: \(error)")
        }
        try require(EventComparison.identical(events, again), name,
                    "trusted batch round trip: " + EventComparison.firstDifference(events, again))
    }

    static func sessionMessage(_ source: inout FuzzInput, envelope: Bool) throws(FuzzViolation) {
        let typeByte = source.byte()
        let type = envelope ? FrameType.allCases[Int(typeByte) % FrameType.allCases.count] : FrameType(rawValue: typeByte)
        guard let type, let message = try? SessionMessage.decode(type: type, body: source.rest()) else { return }
        try require(message.frameType == type, name, "a \(type) body decoded as a \(message.frameType) message")
        let body = message.body
        let again: SessionMessage
        do {
            again = try SessionMessage.decode(type: type, body: body)
        } catch {
            throw FuzzViolation(name, "a re-encoded \(type) message does not decode: \(error)")
        }
        try require(again == message, name, "\(type) message round trip changed the message")
        try require(again.body == body, name, "encoding a decoded \(type) message twice gives different bytes")
    }

    static func fullSummary(_ bytes: [UInt8]) throws(FuzzViolation) {
        guard let summary = try? SummaryCoding.decode(bytes) else { return }
        let encoded = SummaryCoding.encode(summary)
        let again: HistorySummary
        do {
            again = try SummaryCoding.decode(encoded)
        } catch {
            throw FuzzViolation(name, "a re-encoded summary does not decode: \(error)")
        }
        try require(again == summary, name, "summary round trip changed the summary")
        try require(SummaryCoding.encode(again) == encoded, name, "encoding a decoded summary twice gives different bytes")
    }


    static func compactSummary(_ bytes: [UInt8]) throws(FuzzViolation) {
        var reader = ByteReader(bytes)
        guard let summary = try? CompactSummary.decode(from: &reader) else { return }
        let encoded = summary.encoded
        var again = ByteReader(encoded)
        let decoded: CompactSummary
        do {
            decoded = try CompactSummary.decode(from: &again)
        } catch {
            throw FuzzViolation(name, "a re-encoded compact summary does not decode: \(error)")
        }
        try require(decoded == summary && again.isAtEnd, name, "compact summary round trip changed the summary")
        try require(decoded.encoded == encoded, name, "encoding a decoded compact summary twice gives different bytes")
    }
}
