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
    /// Decoding would go on to build and hash more canonical bytes than protocol/SPEC.md
    /// §3.2 allows (`what`: an event or the batch); found before any of them is built.
    case canonicalSizeExceeded(String, limit: Int, at: Int)

    public var description: String {
        switch self {
        case let .truncated(at): "input ends early (at byte \(at))"
        case let .varintOverflow(at): "number too large (at byte \(at))"
        case .badMagic: "not a Carnet event batch (wrong magic bytes)"
        case let .unsupportedVersion(version): "unsupported event batch version \(version)"
        case let .limitExceeded(what, at): "\(what) exceeds the limit (at byte \(at))"
        case let .malformed(what, at): "\(what) (at byte \(at))"
        case let .canonicalSizeExceeded(what, limit, at):
            "\(what) would exceed \(limit) bytes in canonical form, the limit of protocol/SPEC.md §3.2 (at byte \(at))"
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
    /// Canonical bytes (protocol/SPEC.md §2.1) of one event: ~100 times a real ledger
    /// entry, yet a bound on what one event can make a receiver hash and every later
    /// `log` or `verify` re-read (64 fields naming one 64 KiB string would be 4 MiB).
    public static let maxEventCanonicalBytes = 1 << 16
    /// Canonical bytes of all the events of one batch: 32 frames' worth. An honest batch
    /// is ~15 times its encoding (BENCHMARKS.md §2: ~17 bytes an entry encoded, ~250
    /// canonical), so a full 1 MiB frame of real entries fits with room to spare, while
    /// what one batch makes its receiver hash stays bounded.
    public static let maxBatchCanonicalBytes = 32 << 20
}
