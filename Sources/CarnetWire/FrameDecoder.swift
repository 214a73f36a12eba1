/// Cuts a byte stream into frames, incrementally: bytes go in as they arrive, and each
/// call to `next()` gives a frame, or nil for "need more bytes".
///
/// The length is checked before anything is buffered for the frame, so a peer announcing
/// a huge frame costs nothing. The first frame of a session must be a HELLO of exactly
/// its size, with the magic: anything else (an HTTP request, a port scanner, another
/// protocol) is refused on its first bytes as "not a Carnet peer".
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    private var expectingHello: Bool
    /// Bytes buffered and not yet returned as frames: bounded by one maximal frame plus
    /// whatever the caller feeds at once.
    public var bufferedBytes: Int { buffer.count - start }

    /// `expectingHello`: the stream begins with the peer's HELLO (every session does).
    public init(expectingHello: Bool = true) {
        self.expectingHello = expectingHello
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
        if expectingHello {
            try checkHelloPrefix(available: available)
        }
        guard available >= 4 else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length >= 1 else { throw .malformed("empty frame") }
        guard length <= FrameLimits.maxLength else { throw .tooLarge(length) }
        guard available >= 4 + length else { return nil }
        if expectingHello && length != HelloMessage.frameLength {
            // A HELLO too short to reach its version: complete before `checkHelloPrefix`
            // could see its length, so refused here, however TCP cut the bytes.
            throw .malformed("a HELLO must be \(HelloMessage.frameLength) bytes long")
        }
        guard let type = FrameType(rawValue: buffer[start + 4]) else {
            throw .malformed("unknown frame type \(buffer[start + 4])")
        }
        let payload = Array(buffer[(start + 5)..<(start + 4 + length)])
        start += 4 + length
        expectingHello = false
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return Frame(type: type, payload: payload)
    }

    /// Checks as much of the expected HELLO as has arrived, in an order that stays valid
    /// for every version: type and magic first (else it is not Carnet), then the version
    /// (a peer too new or too old is told so), then this version's HELLO length.
    private func checkHelloPrefix(available: Int) throws(FrameError) {
        let expected = HelloMessage.framePrefix
        let magicEnd = 5 + HelloMessage.magic.count
        for index in 4..<max(4, min(available, magicEnd)) where buffer[start + index] != expected[index] {
            throw .notCarnet
        }
        guard available >= magicEnd + 2 else { return }
        let version = Int(buffer[start + magicEnd]) << 8 | Int(buffer[start + magicEnd + 1])
        guard version == Int(HelloMessage.version) else { throw .unsupportedVersion(version) }
        for index in 0..<4 where buffer[start + index] != expected[index] {
            throw .malformed("a HELLO must be \(HelloMessage.frameLength) bytes long")
        }
    }
}

/// Why a stream cannot be read as frames. The session answers each with an ERROR frame
/// and closes.
public enum FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    case notCarnet
    case unsupportedVersion(Int)
    case tooLarge(Int)
    case malformed(String)

    public var description: String {
        switch self {
        case .notCarnet: "the peer does not speak the Carnet protocol (wrong magic bytes)"
        case let .unsupportedVersion(version): "the peer speaks Carnet protocol version \(version); this node speaks version \(HelloMessage.version)"
        case let .tooLarge(length): "the peer announced a frame of \(length) bytes, above the limit of \(FrameLimits.maxLength)"
        case let .malformed(reason): "malformed frame: \(reason)"
        }
    }
}
