import CarnetCore

/// Version 2 of the batch format: version 1 followed by the signed heads of the batch's
/// runs (protocol/SPEC.md §3.4). A head is always the last event of a run, so it costs a
/// run index and the 64-byte signature: the node, seq and hash are the run's.
extension EventBatch {
    /// The version written when heads are carried.
    public static let signedVersion: UInt8 = 2

    /// Encodes events and the heads that vouch for them. Every head must be the id of one of
    /// `events`; runs are cut after each head so that a head ends its run.
    public static func encode(_ signed: SignedEvents) -> [UInt8] {
        var encoder = EventBatchEncoder()
        return encoder.encode(signed.events, heads: signed.heads)
    }

    /// Decodes a batch of version 1 (no heads) or 2, from a peer or a file: within the
    /// limits of protocol/SPEC.md §3.2.
    public static func decodeSigned(_ bytes: [UInt8]) throws(WireError) -> SignedEvents {
        try decodeSigned(bytes, limits: .standard)
    }

    /// Decodes with explicit canonical size limits (`.unbounded` for the store's own log).
    public static func decodeSigned(_ bytes: [UInt8], limits: CanonicalLimits) throws(WireError) -> SignedEvents {
        var decoder = EventBatchDecoder(bytes, limits: limits)
        return try decoder.decodeSigned()
    }

    /// Like `encode(_:primedWith:)`, with heads.
    public static func encode(_ signed: SignedEvents, primedWith context: [Event]) -> [UInt8] {
        var encoder = EventBatchEncoder()
        _ = encoder.encode(context)
        encoder.startNewBatch()
        return encoder.encode(signed.events, heads: signed.heads)
    }

    /// Like `decode(_:primedWith:)`, keeping the heads.
    public static func decodeSigned(_ bytes: [UInt8], primedWith context: [Event]) throws(WireError) -> SignedEvents {
        var primer = EventBatchEncoder()
        // The context is this node's own events, already checked; only the real batch
        // counts against the limits.
        var decoder = EventBatchDecoder(primer.encode(context), limits: .unbounded)
        decoder.trustedHashes = context.map(\.hash)
        _ = try decoder.decode()
        decoder.trustedHashes = nil
        decoder.continueWith(bytes, limits: .standard)
        return try decoder.decodeSigned()
    }

    /// Like `decode(_:trustedHashes:)`, keeping the heads.
    public static func decodeSigned(_ bytes: [UInt8], trustedHashes: [SHA256Digest]) throws(WireError) -> SignedEvents {
        var decoder = EventBatchDecoder(bytes, limits: .unbounded)
        decoder.trustedHashes = trustedHashes
        let signed = try decoder.decodeSigned()
        guard signed.events.count == trustedHashes.count else {
            throw .malformed("\(trustedHashes.count) hashes for \(signed.events.count) events", at: bytes.count)
        }
        return signed
    }
}

extension EventBatchEncoder {
    /// Writes the heads section: `varint(n)` then, by increasing run index,
    /// `varint(run index) signature(64)`.
    static func headsSection(_ heads: [SignedHead], runs: [ArraySlice<Event>], into writer: inout ByteWriter) {
        var indexOfRunEnd: [EventID: Int] = [:]
        for (index, run) in runs.enumerated() { indexOfRunEnd[run[run.endIndex - 1].id] = index }
        let placed = heads.map { head -> (Int, SignedHead) in
            guard let index = indexOfRunEnd[head.eventID] else {
                preconditionFailure("head \(head.dot) does not end a run of the batch")
            }
            return (index, head)
        }.sorted { $0.0 < $1.0 }
        writer.varint(UInt64(placed.count))
        var previousIndex = -1
        for (index, head) in placed {
            precondition(index != previousIndex, "two heads for one run")
            precondition(head.signature.count == Ed25519.signatureByteCount, "a signature is 64 bytes")
            writer.varint(UInt64(index))
            writer.raw(head.signature)
            previousIndex = index
        }
    }
}
