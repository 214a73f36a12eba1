/// Cuts a byte stream into frames, incrementally: bytes go in as they arrive, and each
/// call to `next()` gives a frame, or nil for "need more bytes".
///
/// The length is checked before anything is buffered for the frame, so a peer announcing
/// a huge frame costs nothing. The first frame of a session is checked as it arrives
/// (protocol/SPEC.md 8.2): a version-1 HELLO is recognised by its first bytes and named
/// (`unsupportedVersion`), and any other first frame whose type is not one the session
/// expects (an HTTP request, a port scanner, another protocol) is refused on its first
/// five bytes as "not a Carnet peer", before its length could make it wait for more.
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    /// The types the first frame may have; empty once it arrived (or when not checked).
    private var opening: [FrameType]
    /// Bytes buffered and not yet returned as frames: bounded by one maximal frame plus
    /// whatever the caller feeds at once.
    public var bufferedBytes: Int { buffer.count - start }

    /// `opening`: the types the stream's first frame may have (a listener: HANDSHAKE-1; a
    /// dialer: HANDSHAKE-2 or an ERROR in clear); empty to take any frame.
    public init(opening: [FrameType] = []) {
        self.opening = opening
    }

    public mutating func feed<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, nil when more bytes are needed, or why the stream is bad.
    public mutating func next() throws(FrameError) -> Frame? {
        let available = buffer.count - start
        if !opening.isEmpty {
            guard try checkOpening(available: available) else { return nil }
        }
        guard available >= 4 else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length >= 1 else { throw .malformed("empty frame") }
        guard length <= FrameLimits.maxLength else { throw .tooLarge(length) }
        guard available >= 4 + length else { return nil }
        guard let type = FrameType(rawValue: buffer[start + 4]) else {
            throw .malformed("unknown frame type \(buffer[start + 4])")
        }
        let payload = Array(buffer[(start + 5)..<(start + 4 + length)])
        start += 4 + length
        opening = []
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return Frame(type: type, payload: payload)
    }

    /// Checks as much of the first frame as has arrived; false while it cannot tell yet.
    /// A version-1 HELLO (`00 00 00 3a 01 "CARNET"`, then its version) is named by its
    /// version as soon as that arrives; anything else is judged on its type byte. The
    /// verdict depends only on the bytes, never on how the stream was cut.
    private func checkOpening(available: Int) throws(FrameError) -> Bool {
        let prefix = Version1.helloPrefix
        let seen = min(available, prefix.count)
        if (0..<seen).allSatisfy({ buffer[start + $0] == prefix[$0] }) {
            guard available >= prefix.count + 2 else { return false }
            throw .unsupportedVersion(Int(buffer[start + prefix.count]) << 8 | Int(buffer[start + prefix.count + 1]))
        }
        guard available >= 5 else { return false }
        guard let type = FrameType(rawValue: buffer[start + 4]), opening.contains(type) else { throw .notCarnet }
        return true
    }
}

/// Why a stream cannot be read as frames. The session closes on each (telling the peer
/// only where the protocol says so).
public enum FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    case notCarnet
    case unsupportedVersion(Int)
    case tooLarge(Int)
    case malformed(String)

    public var description: String {
        switch self {
        case .notCarnet: "the peer does not speak the Carnet protocol (its first bytes are no Carnet handshake)"
        case let .unsupportedVersion(version): "the peer speaks Carnet protocol version \(version); this node speaks version \(Version1.current)"
        case let .tooLarge(length): "the peer announced a frame of \(length) bytes, above the limit of \(FrameLimits.maxLength)"
        case let .malformed(reason): "malformed frame: \(reason)"
        }
    }
}
