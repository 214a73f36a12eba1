/// HKDF with HMAC-SHA-256 (RFC 5869): extract a pseudorandom key from input keying
/// material, then expand it into as many output bytes as needed.
///
/// Noise's key schedule (its `HKDF` function) and the keys of sealed bundles derive from
/// a shared secret this way (issue 18); it is built on Carnet's own `HMACSHA256`. Nothing in
/// it branches on secret data: HMAC and SHA-256 do not, and the loop count depends only on
/// the requested length.
public enum HKDFSHA256 {
    public static let hashLength = 32
    /// RFC 5869 §2.3: at most 255 blocks of output.
    public static let maximumOutputLength = 255 * hashLength

    public enum Error: Swift.Error, Equatable, Sendable {
        /// More output than the 255 blocks RFC 5869 allows (or a negative length) was asked for.
        case outputLengthOutOfRange(requested: Int)
    }

    /// HKDF-Extract (§2.2): PRK = HMAC-Hash(salt, IKM). An empty salt stands for 32 zero
    /// bytes, as the RFC says (HMAC pads the key with zeros to a block, so both are the same).
    public static func extract(salt: [UInt8], inputKeyMaterial: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticate(inputKeyMaterial, key: salt).bytes
    }

    /// HKDF-Expand (§2.3): T(1) ‖ T(2) ‖ … truncated to `length` bytes, where
    /// T(i) = HMAC-Hash(PRK, T(i−1) ‖ info ‖ i).
    public static func expand(
        pseudorandomKey: [UInt8], info: [UInt8], length: Int
    ) throws(Error) -> [UInt8] {
        guard length >= 0, length <= maximumOutputLength else { throw .outputLengthOutOfRange(requested: length) }
        var output: [UInt8] = []
        output.reserveCapacity(length)
        var previous: [UInt8] = []
        var counter: UInt8 = 1
        while output.count < length {
            var mac = HMACSHA256(key: pseudorandomKey)
            mac.update(previous)
            mac.update(info)
            mac.update(CollectionOfOne(counter))
            previous = mac.finalize().bytes
            output.append(contentsOf: previous.prefix(length - output.count))
            counter &+= 1
        }
        return output
    }

    /// Extract then expand.
    public static func deriveKey(
        salt: [UInt8], inputKeyMaterial: [UInt8], info: [UInt8], length: Int
    ) throws(Error) -> [UInt8] {
        try expand(pseudorandomKey: extract(salt: salt, inputKeyMaterial: inputKeyMaterial), info: info, length: length)
    }
}
