import CarnetCore

/// Bundle format 2: the body of format 1 sealed with the ledger's secret
/// (protocol/SPEC.md §6.4).
///
///     clear    = "CARNETBN" u16(version = 2) 6 × 00   ledger id (16)   salt (32)   (64 bytes)
///     key      = HKDF-SHA256(ikm: ledger secret, salt: salt,
///                            info: "carnet/2 bundle" ‖ ledger id, length: 32)
///     sealed   = chunk*, the plaintext cut into segments of 65,536 bytes (the last 1…65,536)
///     chunk i  = ChaCha20-Poly1305(key, nonce: u88be(i) ‖ u8(last ? 1 : 0), aad: clear)
///
/// Why this shape: a stick gets lost, so only what its finder may learn is in clear (that
/// it is a Carnet bundle, of which ledger, and its size). The chunking is the STREAM
/// construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online Authenticated-Encryption and
/// its Nonce-Reuse Misuse-Resistance", CRYPTO 2015) as age uses it: the counter in the nonce
/// detects reordered, dropped or duplicated chunks, the last-chunk flag a file cut at a
/// chunk boundary. The random salt makes every bundle's key its own, so the counter nonces
/// never repeat under one key. The clear bytes are every chunk's associated data, and
/// the ledger id is in the key's info too: a bundle moved to another ledger's id opens
/// nowhere.
public enum BundleSeal {
    public static let version: UInt16 = 2
    public static let header = FileHeader(magic: "CARNETBN", version: version)
    public static let saltSize = 32
    public static let clearSize = FileHeader.size + LedgerID.byteCount + saltSize
    public static let segmentSize = 65_536
    static let sealedSegmentSize = segmentSize + ChaCha20Poly1305.tagSize
    static let info = Array("carnet/2 bundle".utf8)
    /// The ledger id a format-1 ledger (which has none) seals under.
    public static let noLedgerID = LedgerID(bytes: [UInt8](repeating: 0, count: LedgerID.byteCount))!

    /// The sealed file for `bundle`. Its events are cut into chunks that each end at a
    /// signed point when `bundle.heads` is not empty (`BundlePlan` orders them so), and
    /// written as batches of version 2 then; otherwise of version 1.
    public static func seal(_ bundle: BundleFormat, ledgerID: LedgerID?, secret: [UInt8], salt: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: 64 + bundle.events.count * 64)
        let chunks = BundlePlan.chunks(bundle.events, heads: bundle.heads).map { chunk in
            (count: chunk.events.count,
             batch: bundle.heads.isEmpty ? EventBatch.encode(chunk.events) : EventBatch.encode(chunk))
        }
        bundle.writeBody(chunks, into: &writer)
        return seal(plaintext: writer.bytes, ledgerID: ledgerID, secret: secret, salt: salt)
    }

    /// Seals a body already encoded (the fuzz target seals what it makes up this way).
    public static func seal(plaintext: [UInt8], ledgerID: LedgerID?, secret: [UInt8], salt: [UInt8]) -> [UInt8] {
        precondition(salt.count == saltSize, "a bundle's salt is 32 bytes")
        precondition(!plaintext.isEmpty, "a body is never empty")
        let id = ledgerID ?? noLedgerID
        let clear = header.bytes + id.bytes + salt
        let cipher = ChaCha20Poly1305(key: key(secret: secret, salt: salt, ledgerID: id))!
        var file = clear
        file.reserveCapacity(clear.count + plaintext.count + (plaintext.count / segmentSize + 1) * ChaCha20Poly1305.tagSize)
        var start = 0
        var index: UInt64 = 0
        repeat {
            let end = min(start + segmentSize, plaintext.count)
            file += cipher.seal(Array(plaintext[start..<end]), nonce: nonce(index, last: end == plaintext.count), aad: clear)
            start = end
            index += 1
        } while start < plaintext.count
        return file
    }

    /// The ledger id in clear: what `bundle apply` compares first, before it needs the
    /// secret. Nil when `bytes` is not a format-2 bundle.
    public static func ledgerID(of bytes: [UInt8]) -> LedgerID? {
        guard header.read(bytes) == .matches, bytes.count >= clearSize else { return nil }
        return LedgerID(bytes: bytes[FileHeader.size..<(FileHeader.size + LedgerID.byteCount)])
    }

    /// Opens every chunk, then decodes the plaintext: nothing is returned unless all of
    /// the file is authentic, in order and complete.
    static func open(_ bytes: [UInt8], secret: [UInt8]) throws(BundleFormat.Problem) -> BundleFormat {
        guard bytes.count >= clearSize + ChaCha20Poly1305.tagSize + 1, secret.count == 32 else { throw .unsealed }
        let clear = Array(bytes[..<clearSize])
        let salt = Array(bytes[(clearSize - saltSize)..<clearSize])
        let id = LedgerID(bytes: bytes[FileHeader.size..<(FileHeader.size + LedgerID.byteCount)])!
        let cipher = ChaCha20Poly1305(key: key(secret: secret, salt: salt, ledgerID: id))!
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(bytes.count - clearSize)
        var start = clearSize
        var index: UInt64 = 0
        while start < bytes.count {
            let end = min(start + sealedSegmentSize, bytes.count)
            guard let segment = cipher.open(Array(bytes[start..<end]), nonce: nonce(index, last: end == bytes.count), aad: clear),
                  !segment.isEmpty else { throw .unsealed }
            plaintext += segment
            start = end
            index += 1
        }
        return try BundleFormat.decodeBody(plaintext, signed: true)
    }

    /// HKDF-SHA256 (RFC 5869) of the ledger secret, under the bundle's salt, bound to the
    /// ledger id.
    static func key(secret: [UInt8], salt: [UInt8], ledgerID: LedgerID) -> [UInt8] {
        try! HKDFSHA256.deriveKey(salt: salt, inputKeyMaterial: secret, info: info + ledgerID.bytes, length: 32)
    }

    /// STREAM's nonce: the chunk counter (88 bits, big-endian), then 1 for the last chunk.
    static func nonce(_ index: UInt64, last: Bool) -> ChaCha20Poly1305.Nonce {
        var bytes = [UInt8](repeating: 0, count: ChaCha20Poly1305.nonceSize)
        for byte in 0..<8 { bytes[10 - byte] = UInt8(truncatingIfNeeded: index >> (8 * UInt64(byte))) }
        bytes[11] = last ? 1 : 0
        return ChaCha20Poly1305.Nonce(bytes)!
    }
}
