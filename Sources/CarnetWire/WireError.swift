/// Why bytes could not be decoded. A closed set: decoders never crash on bad input, they
/// throw one of these with enough detail for a log line.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input ended inside a value.
    case truncated(at: Int)
    /// A varint longer than 10 bytes or above 2^64.
    case varintOverflow(at: Int)
    case badMagic
    case unsupportedVersion(UInt8)
    /// A size or count above the format's limits (checked before allocating).
    case limitExceeded(String, at: Int)
    /// Anything else structurally wrong, with the byte offset.
    case malformed(String, at: Int)

    public var description: String {
        switch self {
        case let .truncated(at): "input ends early (at byte \(at))"
        case let .varintOverflow(at): "number too large (at byte \(at))"
        case .badMagic: "not a Carnet event batch (wrong magic bytes)"
        case let .unsupportedVersion(version): "unsupported event batch version \(version)"
        case let .limitExceeded(what, at): "\(what) exceeds the limit (at byte \(at))"
        case let .malformed(what, at): "\(what) (at byte \(at))"
        }
    }
}

/// Hard limits of the batch format. A decoder checks them before allocating anything.
public enum WireLimits {
    public static let maxEventsPerBatch = 1 << 20
    public static let maxStringBytes = 1 << 16
    public static let maxFieldsPerShape = 64
    public static let maxSupersedes = 4096
    public static let maxTemplateWidth = 18
}
