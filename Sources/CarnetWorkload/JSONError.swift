/// A JSON syntax error, or an error raised by a typed consumer of the JSON (a missing
/// field, a wrong type), with the byte offset where it was found.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the fault, counted from the start of the parsed buffer.
    public var offset: Int
    /// A sentence describing the fault, without the offset.
    public var message: String
    /// True for grammar errors; false for errors raised by a typed consumer.
    public var isSyntaxError: Bool

    public init(offset: Int, message: String, isSyntaxError: Bool = true) {
        self.offset = offset
        self.message = message
        self.isSyntaxError = isSyntaxError
    }

    public var description: String { "byte \(offset): \(message)" }
}
