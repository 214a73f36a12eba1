/// Masks for choosing between secret values without a branch or a secret table index.
///
/// A mask is a word of all zero bits or all one bits; `a ^ (mask & (a ^ b))` is then `a` or
/// `b` by the same instructions either way. The helpers build masks by arithmetic (borrows
/// and shifts), never through a comparison the compiler might turn into a jump.
public enum ConstantTime {
    /// All ones when `bit` is 1, zero when it is 0. `bit` must be 0 or 1.
    @inline(__always)
    public static func mask(bit: UInt64) -> UInt64 {
        0 &- bit
    }

    /// All ones when `a == b`, else zero.
    @inline(__always)
    public static func equalMask(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let x = a ^ b
        // x | -x has its top bit set exactly when x is not zero.
        return ((x | (0 &- x)) &>> 63) &- 1
    }

    /// All ones when `word == 0`, else zero.
    @inline(__always)
    public static func isZeroMask(_ word: UInt64) -> UInt64 {
        equalMask(word, 0)
    }

    /// Compares two byte arrays without an early exit, so the time taken does not depend on
    /// where they differ. Arrays of different lengths are unequal (lengths are public).
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices {
            difference |= a[index] ^ b[index]
        }
        return difference == 0
    }
}
