/// Byte-exact text comparison.
///
/// Swift's `String ==` treats canonically equivalent text as equal ("é" precomposed equals
/// "e" + combining accent) although the UTF-8 bytes differ. Events are hashed as bytes, so
/// any key or value that reaches a digest, a hash or an ordering must compare as bytes too,
/// or two replicas could keep different spellings depending on arrival order.
enum ExactText {
    @inline(__always)
    static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.elementsEqual(b.utf8)
    }

    @inline(__always)
    static func less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
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
