/// HMAC-SHA-256 (RFC 2104), built on Carnet's own `SHA256` because Carnet takes no package
/// dependencies.
///
/// Peers prove they share a secret by exchanging MACs over session nonces; a plain hash of
/// key and message would not do (length extension), which is why the RFC's nested
/// construction is used. Checked against RFC 4231 test cases 1–7 in the tests. Streaming:
/// feed bytes with `update`, then `finalize` once.
public struct HMACSHA256: Sendable {
    /// SHA-256 works on 64-byte blocks; HMAC pads (or first hashes) the key to that size.
    private static let blockSize = 64

    /// The inner hash, already fed the key XOR ipad.
    private var inner: SHA256
    /// The outer hash, already fed the key XOR opad, waiting for the inner digest.
    private var outer: SHA256

    /// Prepares a MAC with `key`. Keys longer than a block are hashed first, as the RFC asks;
    /// any key length (including empty) is accepted.
    public init<Key: Collection<UInt8>>(key: Key) {
        var block = key.count > Self.blockSize ? SHA256.hash(key).bytes : Array(key)
        block.append(contentsOf: repeatElement(0, count: Self.blockSize - block.count))
        inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        // Scrub the padded key copy: it is a secret and need not outlive the init.
        for index in block.indices { block[index] = 0 }
    }

    public mutating func update<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        inner.update(bytes)
    }

    /// Returns the MAC. The value is spent afterwards, like `SHA256` after `finalize`.
    public mutating func finalize() -> SHA256Digest {
        let innerDigest = inner.finalize()
        outer.update(innerDigest.bytes)
        return outer.finalize()
    }

    /// One-shot MAC of a message.
    public static func authenticate<Key: Collection<UInt8>, Message: Sequence<UInt8>>(
        _ message: Message, key: Key
    ) -> SHA256Digest {
        var mac = HMACSHA256(key: key)
        mac.update(message)
        return mac.finalize()
    }

    /// Compares two MACs without an early exit, so the time taken does not tell an attacker
    /// how many leading bytes of a forged MAC were right. Arrays of different lengths are
    /// unequal (lengths are not secret: a MAC's length is public).
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        ConstantTime.equals(a, b)
    }
}
