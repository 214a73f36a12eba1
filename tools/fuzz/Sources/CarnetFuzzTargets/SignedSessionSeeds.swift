import CarnetCore
import CarnetSync

extension SeedCorpus {
    /// The `session-signed` seeds: real signed sessions of both meetings, not live and
    /// live, from each side, raw and as envelope scripts; the session under test is the
    /// listener (selector bit 1 clear) fed the dialer's side, or the reverse. The not-live
    /// raw ones of the listener under test are the signed golden vectors' dialer streams.
    static func signedSessionSeeds() -> [(name: String, bytes: [UInt8])] {
        var seeds: [(String, [UInt8])] = []
        for meeting in [SignedSessionWorld.Meeting.first, .inSync] {
            for live in [false, true] {
                let transcript = SignedSessionTranscript(meeting, live: live)
                let bits: UInt8 = (live ? 4 : 0) | (meeting == .inSync ? 64 : 0)
                let tag = (meeting == .inSync ? "in-sync" : "first") + (live ? "-live" : "")
                seeds.append(("raw-listener-\(tag)", [bits] + transcript.dialerStream))
                seeds.append(("raw-dialer-\(tag)", [2 | bits] + transcript.listenerStream))
                seeds.append(("envelope-listener-\(tag)", [1 | bits] + transcript.script(of: .dialer)))
                seeds.append(("envelope-dialer-\(tag)", [3 | bits] + transcript.script(of: .listener)))
            }
        }
        let first = SignedSessionTranscript(.first, live: false)
        seeds.append(("raw-listener-first-hangup-ticks", [16 | 32] + first.dialerStream))
        seeds.append(("envelope-dialer-first-unprimed", [3 | 8] + first.script(of: .listener)))
        // A dishonest peer's batches, which the node must refuse: without their heads, and
        // with each head's signature altered.
        seeds.append(("envelope-listener-first-heads-dropped", [1] + first.script(of: .dialer) { SignedEvents(events: $0.events) }))
        seeds.append(("envelope-listener-first-heads-forged", [1] + first.script(of: .dialer) { signed in
            SignedEvents(events: signed.events, heads: signed.heads.map { head in
                var signature = head.signature
                signature[0] ^= 1
                return SignedHead(node: head.node, seq: head.seq, hash: head.hash, signature: signature)
            })
        }))
        return seeds
    }
}
