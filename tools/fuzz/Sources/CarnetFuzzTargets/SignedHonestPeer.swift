import CarnetCore
import CarnetSync
import CarnetWire

/// The harness's side of an envelope-mode signed session: the Noise handshake of the
/// signed ledger (its ledger id in the PSK, the device-proof flag), the fixture device's
/// proof (SPEC 8.2.7) signed over the real handshake hash, then the script's messages
/// sealed as `HonestPeer` seals them, the first one after the proof (or key) that must
/// start it.
///
/// The proof is honest or not as the input's options byte says, so that mutations reach
/// every rejection of a proof, not only the MAC in front of it:
///
/// - bit 0: the proof carries the device key (else the signature alone);
/// - bit 1: as dialer, the proof asks for the listener's key (form 81); as listener, its
///   first SEALED frame starts with its key (the answer to that question);
/// - bit 2: the signature is made by the other fixture device (the session's own);
/// - bit 3: the signature is over the other role's message;
/// - bit 4: the key carried is the other fixture device's.
struct SignedHonestPeer {
    let world: SignedSessionWorld
    private(set) var peer: HonestPeer
    private var options: UInt8 = 0
    /// The dialer's hello, kept to re-run its side of the handshake for the proof.
    private var hello: [UInt8] = []
    private var proofMade = false

    init(facing sessionRole: SessionRole, world: SignedSessionWorld) {
        self.world = world
        peer = HonestPeer(facing: sessionRole, tap: world.wiretap())
    }

    var role: SessionRole { peer.role }

    private var psk: [UInt8] { HandshakeKeys.psk(secret: SignedSessionWorld.secret, ledgerID: SignedSessionWorld.ledger) }

    /// The options byte, then the harness's handshake message: as dialer, message 1 with
    /// the device-proof flag (the state tag chosen as `HonestPeer` chooses it); as listener,
    /// message 2 answering the fixture dialer's message 1, with its proof and the hub's
    /// full SUMMARY.
    mutating func handshake(_ source: inout FuzzInput) -> [UInt8] {
        options = source.byte()
        if role == .dialer {
            let tag = source.byte() & 1 == 1 ? HandshakeKeys.stateTag(of: world.replica(of: .listener).compactSummary) : source.uint64()
            hello = DialerHello(flags: DialerHello.identityFlag, wallMillis: 0, stateTag: tag).encoded
            return Frame(type: .handshake1, payload: world.wiretap().message1(payload: hello)).encoded
        }
        var responder = HandshakeKeys.handshake(role: .listener, ephemeral: world.nonce(of: .listener), psk: psk)
        _ = try? responder.readMessage(world.dialerMessage1)
        let summary = world.summaryMessage(of: .listener, live: false)
        let message = try? responder.writeMessage(payloadBoundTo: { hash in
            ListenerReply(message: .summary(summary), identity: proof(over: hash)).encoded
        })
        if options & 2 != 0 { peer.firstFramePrefix = DeviceProof.encode(SignedSessionWorld.device(of: .listener).nodeKey) }
        return Frame(type: .handshake2, payload: message ?? []).encoded
    }

    /// For a harness dialing, once the session answered: its proof over the final
    /// handshake hash (of the session's message 2 in `output`; zeros when there is none,
    /// a proof the session must refuse), to start its first SEALED frame.
    mutating func sessionAnswered(_ output: [UInt8]) {
        guard role == .dialer, !proofMade else { return }
        proofMade = true
        var decoder = FrameDecoder()
        decoder.feed(output)
        var hash = [UInt8](repeating: 0, count: 32)
        var initiator = HandshakeKeys.handshake(role: .dialer, ephemeral: world.nonce(of: .dialer), psk: psk)
        if let frame = try? decoder.next(), frame.type == .handshake2, (try? initiator.writeMessage(payload: hello)) != nil,
           (try? initiator.readMessage(frame.payload)) != nil, let transport = try? initiator.split() {
            hash = transport.handshakeHash
        }
        peer.firstFramePrefix = proof(over: hash).encoded
    }

    mutating func command(_ source: inout FuzzInput) -> HonestPeer.Command {
        peer.command(&source)
    }

    private func proof(over handshakeHash: [UInt8]) -> DeviceProof {
        let signer = SignedSessionWorld.device(of: options & 4 != 0 ? role.peer : role)
        let signedRole = options & 8 != 0 ? role.peer : role
        let key = SignedSessionWorld.device(of: options & 16 != 0 ? role.peer : role).nodeKey
        return DeviceProof(key: options & 1 != 0 ? key : nil,
                           signature: signer.privateKey.sign(DeviceProof.signedMessage(role: signedRole, handshakeHash: handshakeHash)),
                           asksForKey: role == .dialer && options & 2 != 0)
    }

    /// The options byte that makes the harness prove its device as the fixture side of
    /// `role` does in a real session of `meeting` (how seeds are written): the first
    /// meeting's farm sends its key and asks for the hub's, which the hub then sends.
    static func honestOptions(role: SessionRole, meeting: SignedSessionWorld.Meeting) -> UInt8 {
        guard meeting == .first else { return 0 }
        return role == .dialer ? 1 | 2 : 2
    }
}
