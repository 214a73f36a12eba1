import CarnetCore
import CarnetSync
import CarnetWire
import Foundation
import Testing

/// Golden frames of a whole session (protocol/vectors/session-v1.txt): a fixed secret,
/// fixed nonces, a farm and a hub that each lack one event of the other. Any change to the
/// handshake, the MACs or the messages changes these bytes, the spec and this file in one
/// commit. Regenerate with CARNET_WRITE_VECTORS=1.
struct SessionVectorTests {
    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("protocol/vectors/session-v1.txt")
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
        var toDialer = listener.start(now: .zero)
        writes.append((.listener, toDialer))
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
        var lines = ["# Carnet session golden vectors, protocol version 1.",
                     "# secret \(Hex.encode(secret))",
                     "# dialer nonce 32 × d1, listener nonce 32 × 15; one line per write, frames separated by spaces.", ""]
        for write in transcript() {
            var decoder = FrameDecoder(expectingHello: false)
            decoder.feed(write.bytes)
            var frames: [String] = []
            while let frame = try? decoder.next() { frames.append("\(frame.type):" + Hex.encode(frame.encoded)) }
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
        #expect(stored == expected, "protocol/vectors/session-v1.txt no longer matches the code")
    }

    @Test func theStoredFramesDecodeWholeByteByByteAndInChunks() throws {
        let stored = try String(contentsOf: Self.file, encoding: .utf8)
        var stream: [UInt8] = []
        var frames: [Frame] = []
        for line in stored.split(separator: "\n") where line.hasPrefix("dialer ") {
            for item in line.split(separator: " ").dropFirst() {
                let parts = item.split(separator: ":")
                let bytes = try #require(Hex.decode(String(parts[1])))
                stream += bytes
                frames.append(Frame(type: try #require(FrameType.allCases.first { "\($0)" == parts[0] }), payload: Array(bytes.dropFirst(5))))
            }
        }
        #expect(frames.first?.type == .hello && frames.contains { $0.type == .events })
        for chunking in [stream.count, 1, 7, 64] {
            var decoder = FrameDecoder()
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
        // The HELLO's body decodes and re-encodes.
        let hello = try SessionMessage.decode(type: .hello, body: frames[0].payload)
        #expect(hello.body == frames[0].payload)
    }
}
