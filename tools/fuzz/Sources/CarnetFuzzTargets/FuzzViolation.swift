/// A property a fuzz target checks did not hold for one input: a round trip that changed
/// a value, two decodings of one input that disagree, a session that spoke after closing.
///
/// Thrown rather than trapped, so that the replay test can report it with the input and
/// carry on; the libFuzzer executables trap on it (`FuzzEntry`), which makes libFuzzer
/// save the input as a crasher.
public struct FuzzViolation: Error, Sendable, CustomStringConvertible {
    public var target: String
    public var message: String

    public init(_ target: String, _ message: String) {
        self.target = target
        self.message = message
    }

    public var description: String {
        "\(target): \(message)"
    }
}

/// Throws a violation of `target` when `condition` is false. The message is built only
/// then: most checks pass, and each runs once per input.
@inline(__always)
func require(_ condition: Bool, _ target: String, _ message: @autoclosure () -> String) throws(FuzzViolation) {
    if !condition { throw FuzzViolation(target, message()) }
}
