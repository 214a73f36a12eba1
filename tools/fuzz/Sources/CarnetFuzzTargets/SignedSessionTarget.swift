import CarnetCore
import CarnetSync
import CarnetWire

/// Fuzz target (b'), `session-signed`: the session of a signed (format 2) ledger, where
/// each side proves its device in the handshake (SPEC 8.2.7) and batches carry signed
/// heads (version 2, SPEC 9), fed a sequence of frames as either role, in the world of
/// the signed golden vectors (`SignedSessionWorld`).
///
/// Input: a selector byte as the `session` target's (bits 0 to 5: envelope, the session
/// under test dials, live, no priming, hang up at the end, time jumps), and bit 6: the
/// in-sync meeting (else the first). Raw mode: the rest is the peer's byte stream, in
/// chunks. Envelope mode: an options byte for the harness's device proof
/// (`SignedHonestPeer`), then the `session` target's script: the harness completes the
/// signed handshake itself (its proof signed over the real handshake hash), so that
/// mutations of the script reach the proof checks, the signed batches and the store's
/// refusals rather than the MACs.
///
/// Properties, besides the `session` target's (no crash, the driver's contract, the byte
/// count, valid frames and messages under the session's keys): the session's own proof
/// verifies under its device key; every head it sends verifies under its node's key; its
/// node stores nothing a signed node must refuse (no batch its heads do not vouch for,
/// nothing from a peer whose device it did not verify, no fork of its own chain), so that
/// every event it holds of another node lies below a valid signed head it keeps.
public enum SignedSessionTarget {
    static let name = "session-signed"

    public static func run(_ input: [UInt8]) throws(FuzzViolation) {
        _ = try outcome(input)
    }

    /// How the session under test ended, for the tests that show the vectors replay as
    /// valid sessions and that a bad proof is refused (nil for an empty input).
    public static func outcome(_ input: [UInt8]) throws(FuzzViolation) -> SignedSessionOutcome? {
        guard let selector = input.first else { return nil }
        let role: SessionRole = selector & 2 == 0 ? .listener : .dialer
        let world = SignedSessionWorld(meeting: selector & 64 == 0 ? .first : .inSync)
        var driver = SessionDriver(target: name, role: role, secret: SignedSessionWorld.secret, nonce: world.nonce(of: role),
                                   live: selector & 4 != 0, priming: selector & 8 == 0, store: world.store(of: role))
        var plan = ChunkPlan(for: input)
        var source = FuzzInput(input, offset: 1)
        var delivered: [UInt8] = []
        try driver.start()
        if selector & 1 == 0 {
            // A recorded stream arrives as one burst: the vectors' proofs sign message 2 at
            // the listener's clock of the start.
            driver.deliveryTime = .zero
            let stream = source.rest()
            delivered = stream
            for chunk in plan.chunks(of: stream) where !driver.closed {
                try driver.receive(chunk)
                if selector & 32 != 0, plan.oneIn(4) { try driver.tick(advancing: 1 + Int(chunk.count % 20)) }
            }
        } else {
            var peer = SignedHonestPeer(facing: role, world: world)
            try deliver(peer.handshake(&source), to: &driver, plan: &plan, delivered: &delivered)
            peer.sessionAnswered(driver.output)
            while !source.isAtEnd && !driver.closed {
                switch peer.command(&source) {
                case let .bytes(bytes): try deliver(bytes, to: &driver, plan: &plan, delivered: &delivered)
                case let .wait(seconds): try driver.tick(advancing: seconds)
                case .hangUp: try driver.peerClosed()
                }
                if selector & 32 != 0, plan.oneIn(4) { try driver.tick(advancing: 16) }
            }
        }
        if selector & 16 != 0 { try driver.peerClosed() }
        if selector & 32 != 0 { try driver.tick(advancing: 60) }
        try require(driver.session.statistics.bytesSent == driver.output.count, name,
                    "the session counted \(driver.session.statistics.bytesSent) bytes sent but sent \(driver.output.count)")
        try SignedStoreCheck(store: driver.store, peerDevice: driver.session.statistics.peerDevice).check()
        try SignedSessionOutputCheck(role: role, world: world, snapshot: driver.replica)
            .check(output: driver.output, input: delivered)
        let start = world.replica(of: role).eventCount
        return SignedSessionOutcome(succeeded: driver.driver.report.end?.isSuccess == true, peerDevice: driver.session.statistics.peerDevice,
                                    eventsStored: driver.replica.eventCount - start, headsKept: driver.replica.signedHeads.count)
    }

    private static func deliver(_ bytes: [UInt8], to driver: inout SessionDriver<SignedPeerStore>, plan: inout ChunkPlan,
                                delivered: inout [UInt8]) throws(FuzzViolation) {
        delivered += bytes
        for chunk in plan.chunks(of: bytes) where !driver.closed { try driver.receive(chunk) }
    }
}

/// How a signed session under test ended.
public struct SignedSessionOutcome: Sendable, Equatable {
    public var succeeded: Bool
    /// The node whose device proof the session verified.
    public var peerDevice: NodeID?
    /// Events the node holds now that it did not before.
    public var eventsStored: Int
    /// Signed heads the node keeps now.
    public var headsKept: Int
}
