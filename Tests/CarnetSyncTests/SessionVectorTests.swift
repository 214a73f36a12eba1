import CarnetCore
import CarnetSync
import CarnetWire
import Foundation
import Testing

/// Golden frames of a whole session (protocol/vectors/session-v2.txt): a fixed secret,
/// fixed ephemeral keys, a farm and a hub that each lack one event of the other. Each
/// SEALED frame is followed by its inner message in clear (opened with `SessionWiretap`),
/// so another implementation can check its handshake, its keys and its messages apart.
/// Any change to the handshake, the encryption or the messages changes these bytes, the
/// spec and this file in one commit. Regenerate with CARNET_WRITE_VECTORS=1.
struct SessionVectorTests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("protocol/vectors/session-v2.txt")
    static let secret = Array(0..<32).map { UInt8($0) }

    /// Runs the session, both sides taking whole deliveries in turn; returns each write.
    static func transcript() -> [(from: SessionRole, bytes: [UInt8])] {
        var farm = Replica(node: NodeID(hex: "00112233445566778899aabbccddeeff")!)
        var hub = Replica(node: NodeID(hex: "ffeeddccbbaa99887766554433221100")!)
        let t0: UInt64 = 1_780_300_800_000
        hub.assign(FieldKey("product", "P0001", "price"), .int(320), wallMillis: t0)
        farm.write(.append(Entry(id: "h-00112233-1", kind: "harvest", fields: [Field("qty", .int(120))])), wallMillis: t0 + 5)
        var dialer = Side(role: .dialer, replica: farm, secret: secret, nonceSeed: 0xD1)
        var listener = Side(role: .listener, replica: hub, secret: secret, nonceSeed: 0x15)
        var writes: [(SessionRole, [UInt8])] = []
        var toListener = dialer.start(now: .zero)
        writes.append((.dialer, toListener))
        var toDialer = listener.start(now: .zero)  // nothing: a listener waits for message 1
        if !toDialer.isEmpty { writes.append((.listener, toDialer)) }
        for _ in 0..<10 where !(toListener.isEmpty && toDialer.isEmpty) {
            if !toListener.isEmpty {
                let out = listener.receive(toListener, now: .zero)
                toListener = []
                if !out.isEmpty { writes.append((.listener, out)) }
                toDialer += out
            }
            if !toDialer.isEmpty {
                let out = dialer.receive(toDialer, now: .zero)
                toDialer = []
                if !out.isEmpty { writes.append((.dialer, out)) }
                toListener += out
            }
        }
        return writes
    }

    static func vectorText() -> String {
        var lines = ["# Carnet session golden vectors, protocol version 2 (Noise_NNpsk0_25519_ChaChaPoly_SHA256).",
                     "# secret \(Hex.encode(secret)), no ledger id: psk \(Hex.encode(HandshakeKeys.psk(secret: secret, ledgerID: nil)))",
                     "# dialer ephemeral private key 32 × d1, listener 32 × 15; dialer clock 0.",
                     "# One line per write, frames separated by spaces; each SEALED frame is followed by",
                     "# \"=inner:\" and its inner message (type byte, body) in clear.", ""]
        var tap = SessionWiretap(secret: secret, dialerNonce: [UInt8](repeating: 0xD1, count: 32),
                                 listenerNonce: [UInt8](repeating: 0x15, count: 32))
        for write in transcript() {
            var decoder = FrameDecoder()
            decoder.feed(write.bytes)
            var frames: [String] = []
            while let frame = try? decoder.next() {
                frames.append("\(frame.type):" + Hex.encode(frame.encoded))
                if let inner = tap.open(frame, from: write.from) { frames.append("=inner:" + Hex.encode(inner)) }
            }
            lines.append("\(write.from) \(frames.joined(separator: " "))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func theStoredSessionMatchesTheCode() throws {
        let expected = Self.vectorText()
        if ProcessInfo.processInfo.environment["CARNET_WRITE_VECTORS"] == "1" {
            try expected.write(to: Self.file, atomically: true, encoding: .utf8)
        }
        let stored = try String(contentsOf: Self.file, encoding: .utf8)
        #expect(stored == expected, "protocol/vectors/session-v2.txt no longer matches the code")
    }

    @Test func theStoredFramesDecodeWholeByteByByteAndInChunks() throws {
        let stored = try String(contentsOf: Self.file, encoding: .utf8)
        var stream: [UInt8] = []
        var frames: [Frame] = []
        for line in stored.split(separator: "\n") where line.hasPrefix("dialer ") {
            for item in line.split(separator: " ").dropFirst() where !item.hasPrefix("=inner:") {
                let parts = item.split(separator: ":")
                let bytes = try #require(Hex.decode(String(parts[1])))
                stream += bytes
                frames.append(Frame(type: try #require(FrameType.allCases.first { "\($0)" == parts[0] }), payload: Array(bytes.dropFirst(5))))
            }
        }
        #expect(frames.first?.type == .handshake1 && frames.dropFirst().allSatisfy { $0.type == .sealed })
        for chunking in [stream.count, 1, 7, 64] {
            var decoder = FrameDecoder(opening: [.handshake1])
            var decoded: [Frame] = []
            var offset = 0
            while offset < stream.count {
                decoder.feed(stream[offset..<min(stream.count, offset + chunking)])
                offset += chunking
                while let frame = try decoder.next() { decoded.append(frame) }
            }
            #expect(decoded == frames, "chunks of \(chunking)")
            #expect(decoded.map(\.encoded).reduce([], +) == stream, "re-encoding gives the same bytes")
        }
        // Message 1 is the ephemeral key and the 17-byte payload with its tag.
        #expect(frames[0].payload.count == 32 + DialerHello.length + 16)
    }
}
