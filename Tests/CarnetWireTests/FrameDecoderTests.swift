import CarnetWire
import Testing

struct FrameDecoderTests {
    /// Found by fuzzing: a first frame typed HELLO of length 1–8 whose bytes match the
    /// magic so far is complete before the decoder could read its version and length. Cut
    /// by TCP right after it, it came out as a frame; whole, it was refused. Every cut must
    /// now refuse it.
    @Test(arguments: 1...8)
    func aHelloTooShortForItsVersionIsRefusedHoweverTheStreamIsCut(_ length: Int) {
        let prefix = HelloMessage.framePrefix + [0, UInt8(HelloMessage.version)]
        let frame = [0, 0, 0, UInt8(length)] + Array(prefix[4..<(4 + length)])
        let stream = frame + [0x00, 0x00, 0x00, 0x01, 0x09]
        for cut in 1...stream.count {
            var decoder = FrameDecoder()
            var outcome: Result<[Frame], FrameError> = .success([])
            var frames: [Frame] = []
            for chunk in [Array(stream.prefix(cut)), Array(stream.dropFirst(cut))] {
                decoder.feed(chunk)
                do {
                    while let next = try decoder.next() { frames.append(next) }
                } catch {
                    outcome = .failure(error)
                    break
                }
                if case .failure = outcome { break }
            }
            if case .success = outcome { outcome = .success(frames) }
            guard case let .failure(error) = outcome else {
                Issue.record("length \(length), cut at \(cut): decoded \(frames.count) frames, the first typed \(String(describing: frames.first?.type))")
                continue
            }
            // Which check refuses it depends on the bytes that follow (SPEC 8.2: magic, then
            // version, then length); that it is refused does not depend on the cut.
            let expected: Bool = switch error {
            case .notCarnet, .unsupportedVersion: true
            case let .malformed(reason): reason == "a HELLO must be \(HelloMessage.frameLength) bytes long"
            case .tooLarge: false
            }
            #expect(expected, "length \(length), cut at \(cut): \(error)")
        }
    }

    /// A whole HELLO still decodes, cut anywhere.
    @Test func aWholeHelloDecodesCutAnywhere() throws {
        let start = HelloMessage.framePrefix + [0, UInt8(HelloMessage.version), 1]
        let hello = start + [UInt8](repeating: 0xA5, count: HelloMessage.frameLength + 4 - start.count)
        for cut in 0...hello.count {
            var decoder = FrameDecoder()
            decoder.feed(hello.prefix(cut))
            var frames: [Frame] = []
            while let frame = try decoder.next() { frames.append(frame) }
            decoder.feed(hello.dropFirst(cut))
            while let frame = try decoder.next() { frames.append(frame) }
            #expect(frames.count == 1 && frames.first?.type == .hello && frames.first?.payload.count == HelloMessage.frameLength - 1, "cut at \(cut)")
        }
    }
}
