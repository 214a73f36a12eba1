/// A 128-bit unsigned accumulator as two words, for the sums of 64 × 64-bit products that
/// field and scalar multiplication need (`UInt64.multipliedFullWidth`).
///
/// Every operation is a fixed sequence of word instructions (multiply, add with carry,
/// shifts): nothing here branches on a value, so the arithmetic built on it takes the same
/// time for every secret.
struct DoubleWord {
    var high: UInt64
    var low: UInt64

    @inline(__always)
    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The full 128-bit product `a · b`.
    @inline(__always)
    init(_ a: UInt64, times b: UInt64) {
        let product = a.multipliedFullWidth(by: b)
        self.init(high: product.high, low: product.low)
    }

    /// Adds the full product `a · b`. Callers keep the sum below 2^128 (bounds stated where used).
    @inline(__always)
    mutating func add(_ a: UInt64, times b: UInt64) {
        add(DoubleWord(a, times: b))
    }

    @inline(__always)
    mutating func add(_ other: DoubleWord) {
        let (sum, carry) = low.addingReportingOverflow(other.low)
        low = sum
        high = high &+ other.high &+ (carry ? 1 : 0)
    }

    @inline(__always)
    mutating func add(_ word: UInt64) {
        let (sum, carry) = low.addingReportingOverflow(word)
        low = sum
        high = high &+ (carry ? 1 : 0)
    }

    /// The value shifted right by `bits` (0 < bits < 64), truncated to one word. Callers
    /// keep the value below 2^(64 + bits).
    @inline(__always)
    func shiftedDown(_ bits: UInt64) -> UInt64 {
        (high &<< (64 &- bits)) | (low &>> bits)
    }
}
