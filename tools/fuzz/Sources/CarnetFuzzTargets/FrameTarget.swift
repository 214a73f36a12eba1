import CarnetWire

/// Fuzz target (a): the incremental frame reader, `FrameDecoder`.
///
/// Input: a selector byte, then the stream. Selector bit 0: raw stream (0) or valid
/// envelope (1: the harness cuts the rest into frames and writes their length prefixes,
/// and a HANDSHAKE-1 header when one is expected, so that mutations reach the frames
/// rather than the length check). Bit 1: the stream starts with a listener's opening
/// check (0, HANDSHAKE-1 expected, as a listener reads) or not (1).
///
/// Properties: no crash; feeding the stream in chunks (sizes derived from the input) gives
/// the frames and the failure (or not) of feeding it whole; a first frame, when an opening
/// is expected, is a HANDSHAKE-1; the frames re-encode to
/// exactly the bytes they were read from, which decode again to the same frames; while it
/// waits for more bytes the decoder never holds more than one maximal frame.
public enum FrameTarget {
    static let name = "frame"

    public static func run(_ input: [UInt8]) throws(FuzzViolation) {
        guard let selector = input.first else { return }
        let expectingHello = selector & 2 == 0
        var source = FuzzInput(input, offset: 1)
        let stream = selector & 1 == 1 ? envelope(&source, hello: expectingHello) : source.rest()
        var plan = ChunkPlan(for: input)
        let chunked = try decode(plan.chunks(of: stream), expectingHello: expectingHello)
        let whole = try decode([stream[...]], expectingHello: expectingHello)
        try compare(stream, expectingHello: expectingHello, chunked: chunked, whole: whole)
    }

    /// What a listener's decoder expects first.
    static let opening: [FrameType] = [.handshake1]

    static func compare(_ stream: [UInt8], expectingHello: Bool, chunked: Outcome, whole: Outcome) throws(FuzzViolation) {
        try require(chunked.frames == whole.frames, name,
                    "chunked decoding gave \(chunked.frames.count) frames, whole decoding \(whole.frames.count)")
        try require((chunked.error == nil) == (whole.error == nil), name,
                    "chunked decoding failed with \(String(describing: chunked.error)), whole with \(String(describing: whole.error))")
        if expectingHello, let first = chunked.frames.first {
            try require(opening.contains(first.type), name, "the first frame is a \(first.type), not an expected opening")
        }
        let consumed = chunked.frames.flatMap(\.encoded)
        try require(stream.starts(with: consumed), name, "the frames do not re-encode to the bytes they were read from")
        let again = try decode([consumed[...]], expectingHello: expectingHello)
        try require(again.frames == chunked.frames && again.error == nil && again.buffered == 0, name,
                    "re-encoded frames do not decode to the same frames: \(String(describing: again.error))")
    }

    struct Outcome {
        var frames: [Frame] = []
        var error: FrameError?
        /// Bytes left in the decoder at the end (a frame still incomplete).
        var buffered = 0
    }

    /// Feeds `chunks` in order, taking every frame after each, as a session does; stops at
    /// the first error, as a session does.
    static func decode(_ chunks: [ArraySlice<UInt8>], expectingHello: Bool) throws(FuzzViolation) -> Outcome {
        var decoder = FrameDecoder(opening: expectingHello ? opening : [])
        var outcome = Outcome()
        for chunk in chunks {
            decoder.feed(chunk)
            while true {
                do {
                    guard let frame = try decoder.next() else { break }
                    outcome.frames.append(frame)
                } catch {
                    outcome.error = error
                    return outcome
                }
            }
            try require(decoder.bufferedBytes < 4 + FrameLimits.maxLength, name,
                        "the decoder holds \(decoder.bufferedBytes) bytes while waiting for more")
        }
        outcome.buffered = decoder.bufferedBytes
        return outcome
    }

    /// Frames built from the input: `type length() payload` each, the type mapped onto the
    /// known ones except for bytes from 0xF0 (kept, to reach the unknown-type error).
    static func envelope(_ source: inout FuzzInput, hello: Bool) -> [UInt8] {
        var stream: [UInt8] = []
        if hello {
            stream += encodeFrame(type: FrameType.handshake1.rawValue, payload: source.takePadded(handshake1Length))
        }
        while !source.isAtEnd {
            let typeByte = source.byte()
            let type = typeByte >= 0xF0 ? typeByte : FrameType.allCases[Int(typeByte) % FrameType.allCases.count].rawValue
            let payload = source.take(source.length())
            stream += encodeFrame(type: type, payload: payload)
        }
        return stream
    }

    /// The payload of a version-2 message 1: an ephemeral key and the encrypted fixed payload.
    static let handshake1Length = 32 + DialerHello.length + 16

    /// A frame's bytes with any type byte, known or not.
    static func encodeFrame(type: UInt8, payload: [UInt8]) -> [UInt8] {
        let length = UInt32(1 + payload.count)
        return [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF), type]
            + payload
    }
}
