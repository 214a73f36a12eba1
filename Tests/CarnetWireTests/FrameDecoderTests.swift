import CarnetWire
import Testing

/// Feeds `stream` in two pieces cut at `cut`; the frames, or the first error.
private func decode(_ stream: [UInt8], cut: Int, opening: [FrameType]) -> Result<[Frame], FrameError> {
    var decoder = FrameDecoder(opening: opening)
    var frames: [Frame] = []
    for chunk in [Array(stream.prefix(cut)), Array(stream.dropFirst(cut))] {
        decoder.feed(chunk)
        do {
            while let next = try decoder.next() { frames.append(next) }
        } catch {
            return .failure(error)
        }
    }
    return .success(frames)
}

struct FrameDecoderTests {
    /// A version-1 dialer's HELLO reaching a version-2 listener is named by its version, in
    /// whatever pieces TCP cut it (SPEC 8.6), so the listener can answer it in version-1 words.
    @Test func aVersion1HelloIsNamedHoweverTheStreamIsCut() {
        let hello = Version1.helloPrefix + [0, 1, 1] + [UInt8](repeating: 0xA5, count: 4 + Version1.helloFrameLength - 14)
        for cut in 0...hello.count {
            #expect(decode(hello, cut: cut, opening: [.handshake1]) == .failure(.unsupportedVersion(1)), "cut at \(cut)")
        }
    }

    /// A first frame of another type (an HTTP request here) is refused on its fifth byte,
    /// before its "length" could make the decoder wait for a gigabyte.
    @Test func somethingElseIsNotCarnetOnItsFirstFiveBytes() {
        let request = Array("GET / HTTP/1.1\r\n".utf8)
        for cut in 0...request.count {
            #expect(decode(request, cut: cut, opening: [.handshake1]) == .failure(.notCarnet), "cut at \(cut)")
        }
        var decoder = FrameDecoder(opening: [.handshake1])
        decoder.feed(request.prefix(4))
        #expect((try? decoder.next()) == .some(nil), "four bytes cannot tell yet")
    }

    /// A whole HANDSHAKE-1 and the SEALED frame after it decode, cut anywhere.
    @Test func aHandshakeDecodesCutAnywhere() {
        let first = Frame(type: .handshake1, payload: [UInt8](repeating: 0x5A, count: 65))
        let second = Frame(type: .sealed, payload: [UInt8](repeating: 0xC3, count: 40))
        let stream = first.encoded + second.encoded
        for cut in 0...stream.count {
            #expect(decode(stream, cut: cut, opening: [.handshake1]) == .success([first, second]), "cut at \(cut)")
        }
    }

    /// The limit leaves room for a 1 MiB inner message, its type byte and its tag, and not
    /// one byte more; it is checked on the header, before the body arrives.
    @Test func theLengthLimitIsCheckedOnTheHeader() {
        let atLimit = FrameLimits.maxLength, above = FrameLimits.maxLength + 1
        #expect(atLimit == 1 + (1 << 20) + 16)
        var decoder = FrameDecoder()
        decoder.feed([UInt8(atLimit >> 24), UInt8((atLimit >> 16) & 0xFF), UInt8((atLimit >> 8) & 0xFF), UInt8(atLimit & 0xFF), 0x12])
        #expect((try? decoder.next()) == .some(nil))
        var refusing = FrameDecoder()
        refusing.feed([UInt8(above >> 24), UInt8((above >> 16) & 0xFF), UInt8((above >> 8) & 0xFF), UInt8(above & 0xFF)])
        #expect(throws: FrameError.tooLarge(above)) { try refusing.next() }
    }
}
