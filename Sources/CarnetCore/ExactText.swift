/// Byte-exact text comparison.
///
/// Swift's `String ==` treats canonically equivalent text as equal ("é" precomposed equals
/// "e" + combining accent) although the UTF-8 bytes differ. Events are hashed as bytes, so
/// any key or value that reaches a digest, a hash or an ordering must compare as bytes too,
/// or two replicas could keep different spellings depending on arrival order.
enum ExactText {
    @inline(__always)
    static func equal(_ a: String, _ b: String) -> Bool {
        if let same = compareContiguous(a, b) { return same == 0 }
        return a.utf8.elementsEqual(b.utf8)
    }

    @inline(__always)
    static func less(_ a: String, _ b: String) -> Bool {
        if let order = compareContiguous(a, b) { return order < 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Byte order of two strings whose UTF-8 is stored contiguously (every native string,
    /// small ones included): negative, zero or positive. Nil for a string that is not
    /// (bridged), which the callers compare through the generic UTF-8 view, in the same
    /// order. Sorting a million stock lines or entry ids spends most of its time here, and
    /// the generic view walks one byte at a time through an iterator.
    @inline(__always)
    static func compareContiguous(_ a: String, _ b: String) -> Int? {
        a.utf8.withContiguousStorageIfAvailable { left in
            b.utf8.withContiguousStorageIfAvailable { right -> Int in
                let shared = min(left.count, right.count)
                var index = 0
                while index < shared {
                    let x = left[index], y = right[index]
                    if x != y { return x < y ? -1 : 1 }
                    index += 1
                }
                return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
            }
        } ?? nil
    }

    @inline(__always)
    static func hash(_ text: String, into hasher: inout Hasher) {
        var copy = text
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(0xFF as UInt8)  // terminator: ("ab","c") and ("a","bc") differ
    }
}

/// A string that is equal to another only when their UTF-8 bytes are: a dictionary key
/// for codecs and indexes whose output must preserve the exact bytes.
public struct ExactString: Hashable, Comparable, Sendable {
    public let text: String

    public init(_ text: String) { self.text = text }

    public static func == (lhs: ExactString, rhs: ExactString) -> Bool { ExactText.equal(lhs.text, rhs.text) }
    public func hash(into hasher: inout Hasher) { ExactText.hash(text, into: &hasher) }
    /// Byte order: total on distinct byte strings, unlike `String <`, which finds two
    /// spellings of one word neither less nor greater.
    public static func < (lhs: ExactString, rhs: ExactString) -> Bool { ExactText.less(lhs.text, rhs.text) }
    /// The same order on plain strings, for sorting values that keep them as `String`.
    public static func less(_ lhs: String, _ rhs: String) -> Bool { ExactText.less(lhs, rhs) }
}
