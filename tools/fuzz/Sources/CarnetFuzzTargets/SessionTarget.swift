import CarnetCore
import CarnetSync
import CarnetReplicaNode
import CarnetWire

/// Fuzz target (b): the handshake and session state machine (`Session`) fed a sequence of
/// frames, as either role, with the golden vectors' secret and nonces.
///
/// Input: a selector byte, then the peer's side. Selector bits: 0, raw (0) or valid
/// envelope (1); 1, the session under test is the listener (0) or the dialer (1); 2, it
/// asks for a live session; 3, it does not prime batches; 4, the peer hangs up at the end;
/// 5, time jumps between deliveries (timeouts, pings).
///
/// Raw: the rest is the byte stream from the peer, delivered in chunks derived from the
/// input. Envelope: the harness is an honest peer for the handshake (its HELLO and its
/// proof, made with the known secret), then the rest is a script of commands, each a
/// byte `op` and its operands:
///
/// - `op % 8` in 0...3: `type length() body`: a message the harness seals with the
///   session's MAC (and enciphers first, for a SUMMARY), so mutations of the body reach
///   the message decoders and the state machine rather than the MAC check;
/// - 4: `type length() payload`: a frame without MAC;
/// - 5: `seconds`: time passes;
/// - 6: the peer closes the connection;
/// - 7: `length() bytes`: raw bytes.
///
/// The first script byte chooses the dialer's state tag when the harness dials: odd, the
/// tag of the listener's own state (the "same" path); even, the 8 bytes that follow.
///
/// Properties: no crash; the session's directives obey their contract (`SessionDriver`);
/// everything it sends reads as valid frames and messages under its keys
/// (`SessionOutputCheck`); its byte counter matches what it sent.
public enum SessionTarget {
    static let name = "session"

    public static func run(_ input: [UInt8]) throws(FuzzViolation) {
        guard let selector = input.first else { return }
        let role: SessionRole = selector & 2 == 0 ? .listener : .dialer
        var driver = SessionDriver(role: role, live: selector & 4 != 0, priming: selector & 8 == 0)
        var plan = ChunkPlan(for: input)
        var source = FuzzInput(input, offset: 1)
        var delivered: [UInt8] = []
        try driver.start()
        if selector & 1 == 0 {
            let stream = source.rest()
            delivered = stream
            for chunk in plan.chunks(of: stream) where !driver.closed {
                try driver.receive(chunk)
                if selector & 32 != 0, plan.oneIn(4) { try driver.tick(advancing: 1 + Int(chunk.count % 20)) }
            }
        } else {
            var peer = HonestPeer(facing: role)
            try deliver(peer.handshake(&source), to: &driver, plan: &plan, delivered: &delivered)
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
        try SessionOutputCheck(role: role, snapshot: driver.replica)
            .check(output: driver.output, input: delivered)
    }

    private static func deliver(_ bytes: [UInt8], to driver: inout SessionDriver<ReplicaPeerStore>, plan: inout ChunkPlan,
                                delivered: inout [UInt8]) throws(FuzzViolation) {
        delivered += bytes
        for chunk in plan.chunks(of: bytes) where !driver.closed { try driver.receive(chunk) }
    }
}
