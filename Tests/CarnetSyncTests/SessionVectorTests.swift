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
        // The stored vectors are sessions without grants (message 1 bit 2 clear), as every
        // version-2 peer from before grants speaks them; GrantSessionTests covers grants.
        var settings = SessionSettings()
        settings.grants = false
        var dialer = Side(role: .dialer, replica: farm, secret: secret, nonceSeed: 0xD1, settings: settings)
        var listener = Side(role: .listener, replica: hub, secret: secret, nonceSeed: 0x15, settings: settings)
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
                     "# dialer ephemeral private key 32 × d1, listener 32 × 15; dialer clock 0, listener clock 0.",
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

    // MARK: - Signed ledger (protocol/vectors/session-v2-signed.txt)

    static let signedFile = file.deletingLastPathComponent().appendingPathComponent("session-v2-signed.txt")
    static let ledger = LedgerID(bytes: Array(0x40..<0x50).map { UInt8($0) })!

    /// Devices from fixed seeds: Ed25519 signatures are deterministic (RFC 8032), so the
    /// proofs and heads are too.
    static func device(seed: UInt8, salt: UInt8) -> DeviceSigner {
        DeviceSigner(privateKey: Ed25519.PrivateKey(seed: [UInt8](repeating: seed, count: 32))!,
                     salt: [UInt8](repeating: salt, count: NodeKey.saltByteCount))
    }

    /// Two sessions of a signed ledger's farm and hub: their first meeting (each lacks the
    /// other's events: the farm sends its key and asks for the hub's), then an in-sync one
    /// (both proofs are a signature alone). Each write, by session.
    static func signedTranscripts() -> [[(from: SessionRole, bytes: [UInt8])]] {
        let t0: UInt64 = 1_780_300_800_000
        let farm = SignedReplicaStore(device: device(seed: 0xFA, salt: 0x01), ledger: ledger, label: "farm",
                                      operations: [(FieldKey("lot", "L1", "qty"), .int(120))], wallMillis: t0 + 5)
        let hub = SignedReplicaStore(device: device(seed: 0x4B, salt: 0x02), ledger: ledger, label: "hub",
                                     operations: [(FieldKey("product", "P0001", "price"), .int(320))], wallMillis: t0)
        return [0, 1].map { session in
            let nonces = session == 0 ? (UInt8(0xD1), UInt8(0x15)) : (UInt8(0xD2), UInt8(0x25))
            var settings = SessionSettings()
            settings.grants = false  // as the unsigned vectors: sessions without grants
            var dialer = PeerDriver(role: .dialer, secret: secret, nonce: [UInt8](repeating: nonces.0, count: 32), live: false,
                                    settings: settings, store: farm)
            var listener = PeerDriver(role: .listener, secret: secret, nonce: [UInt8](repeating: nonces.1, count: 32), live: false,
                                      settings: settings,
                                      store: hub)
            var toListener = OutgoingBytes(), toDialer = OutgoingBytes()
            var writes: [(SessionRole, [UInt8])] = []
            dialer.start(store: farm, transport: &toListener, now: .zero)
            listener.start(store: hub, transport: &toDialer, now: .zero)
            writes.append((.dialer, toListener.bytes))
            for _ in 0..<10 {
                let forListener = toListener.take()
                if !forListener.isEmpty && !listener.isFinished {
                    listener.received(forListener, store: hub, transport: &toDialer, now: .zero)
                    if !toDialer.bytes.isEmpty { writes.append((.listener, toDialer.bytes)) }
                }
                let forDialer = toDialer.take()
                if !forDialer.isEmpty && !dialer.isFinished {
                    dialer.received(forDialer, store: farm, transport: &toListener, now: .zero)
                    if !toListener.bytes.isEmpty { writes.append((.dialer, toListener.bytes)) }
                }
                if toListener.bytes.isEmpty && toDialer.bytes.isEmpty { break }
            }
            precondition(dialer.report.end?.isSuccess == true && listener.report.end?.isSuccess == true, "the signed vector session fails")
            dialer.finish(store: farm)
            listener.finish(store: hub)
            return writes
        }
    }

    static func signedVectorText() -> String {
        let farm = device(seed: 0xFA, salt: 0x01), hub = device(seed: 0x4B, salt: 0x02)
        var lines = ["# Carnet session golden vectors, protocol version 2, signed ledger (SPEC 8.2.7: device proofs).",
                     "# secret \(Hex.encode(secret)), ledger id \(ledger.hex): psk \(Hex.encode(HandshakeKeys.psk(secret: secret, ledgerID: ledger)))",
                     "# farm (dialer): Ed25519 seed 32 × fa, salt 16 × 01, public key \(Hex.encode(farm.nodeKey.publicKey.bytes)), node \(farm.node.hex)",
                     "# hub (listener): Ed25519 seed 32 × 4b, salt 16 × 02, public key \(Hex.encode(hub.nodeKey.publicKey.bytes)), node \(hub.node.hex)",
                     "# Each node's seq 1 declares its key; the farm then assigns lot/L1.qty, the hub product/P0001.price.",
                     "# Frames as in session-v2.txt. The dialer's first SEALED frame's inner bytes start with its device proof;",
                     "# message 2's payload (flags, the listener's clock, its proof, its SUMMARY) is not shown in clear."]
        for (index, writes) in signedTranscripts().enumerated() {
            let nonces = index == 0 ? ("d1", "15") : ("d2", "25")
            lines += ["", index == 0
                ? "# session 1, first meeting: the hub's proof in message 2 is its signature alone; the farm's proof carries its key "
                    + "and asks for the hub's (form 81), which starts the hub's first SEALED frame; ephemeral keys 32 × \(nonces.0), 32 × \(nonces.1)"
                : "# session 2, in sync: both proofs are the signature alone (form 0); ephemeral keys 32 × \(nonces.0), 32 × \(nonces.1)"]
            var tap = SessionWiretap(secret: secret, ledgerID: ledger, dialerNonce: [UInt8](repeating: index == 0 ? 0xD1 : 0xD2, count: 32),
                                     listenerNonce: [UInt8](repeating: index == 0 ? 0x15 : 0x25, count: 32))
            for write in writes {
                var decoder = FrameDecoder()
                decoder.feed(write.bytes)
                var frames: [String] = []
                while let frame = try? decoder.next() {
                    frames.append("\(frame.type):" + Hex.encode(frame.encoded))
                    if let inner = tap.open(frame, from: write.from) { frames.append("=inner:" + Hex.encode(inner)) }
                }
                lines.append("\(write.from) \(frames.joined(separator: " "))")
            }
            let total = writes.reduce(0) { $0 + $1.bytes.count }
            lines.append("# \(total) bytes in all")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func theStoredSignedSessionsMatchTheCode() throws {
        let expected = Self.signedVectorText()
        if ProcessInfo.processInfo.environment["CARNET_WRITE_VECTORS"] == "1" {
            try expected.write(to: Self.signedFile, atomically: true, encoding: .utf8)
        }
        let stored = try String(contentsOf: Self.signedFile, encoding: .utf8)
        #expect(stored == expected, "protocol/vectors/session-v2-signed.txt no longer matches the code")
    }
}
