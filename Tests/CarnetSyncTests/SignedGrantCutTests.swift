import CarnetCore
@testable import CarnetSync
import CarnetWire
import Testing

/// The grant-aware cut of a signed ledger (SPEC 8.3 rule 8, "A signed sender's cut"): a
/// relay keeps signed heads of a writer's chain at a few points only, and may end a run of
/// it only there or right before an event the hub holds. What the hub grants of an offer
/// goes to the queue only up to such a point; the rest waits until a later GRANT says the
/// hub holds what follows.
struct SignedGrantCutTests {
    /// The writer's 12 events, as the relay holds them, and the relay's heads: at 6 and 12.
    private let chain: [Event]
    private let source: HeadSource

    init() {
        var writer = Replica(node: NodeID.derived(from: "writer"))
        for index in 0..<12 {
            _ = writer.write(.append(Entry(id: "w\(index)", kind: "harvest", fields: [])), wallMillis: 1_000 + UInt64(index))
        }
        let chain = writer.history.events(of: writer.node)
        self.chain = chain
        // What the gate carries; no one verifies it here (the store checks heads).
        var kept: [EventID: SignedHead] = [:]
        for event in [chain[5], chain[11]] {
            kept[event.id] = SignedHead(node: event.dot.node, seq: event.dot.seq, hash: event.hash,
                                        signature: [UInt8](repeating: UInt8(event.dot.seq), count: 64))
        }
        let heads = kept
        let relay = NodeID.derived(from: "relay")
        // As a store answers (`NodeStore.chainToSignedHead`): the chain up to the lowest
        // head kept above an event.
        source = HeadSource(own: { relay }, head: { heads[$0] }, extend: { id in
            guard let head = heads.values.filter({ $0.seq > id.dot.seq }).min(by: { $0.seq < $1.seq }) else { return nil }
            return (Array(chain[Int(id.dot.seq)..<Int(head.seq)]), head)
        })
    }

    private var read: GrantGate.ChainReader {
        let chain = chain
        return { _, end, count in
            guard end >= UInt64(count), end <= UInt64(chain.count) else { return nil }
            return Array(chain[Int(end) - count..<Int(end)])
        }
    }

    private var node: NodeID { chain[0].dot.node }

    private func plan(after: UInt64, through: UInt64) -> MissingPlan {
        var plan = MissingPlan()
        plan.ranges = [ChainRange(node: node, after: after, through: through)]
        return plan
    }

    /// A range that would end where the relay keeps no head (the hub's summary left 10...12
    /// out) is offered up to the head above it, so that a whole grant of it ends at a head.
    @Test func anOfferedRangeReachesTheHeadAboveIt() {
        var gate = GrantGate()
        gate.inForce = true
        gate.hold(plan(after: 0, through: 9))
        let ranges = gate.nextOffer(read: read, heads: source)
        #expect(ranges == [GrantRange(node: node.high, first: 1, last: 12, lastHash: chain[11].hash.w0)])
    }

    /// The hub grants 1...9 (10...12 are reserved for another of its sessions): the relay
    /// queues 1...6, which its head at 6 ends, and keeps 7...9. Sending 1...9 would have
    /// meant 10...12 too, up to the head at 12: events the hub did not grant. A later GRANT
    /// that shows the hub holds 10...12 (they arrived from the other session, waiting for
    /// 7...9) lets 7...9 go, ended by the hub's own head.
    @Test func aGrantEndingWithoutAHeadGoesUpToTheLastHeadInsideIt() throws {
        var gate = GrantGate()
        gate.inForce = true
        gate.hold(plan(after: 0, through: 12))
        _ = gate.nextOffer(read: read, heads: source)
        let first = try gate.granted([GrantRange(node: node.high, first: 1, last: 9)], held: [], read: read, heads: source).get()
        #expect(first.plan.ranges == [ChainRange(node: node, after: 0, through: 6)])
        #expect(first.cuts.heads.map(\.seq) == [6] && first.cuts.continues.isEmpty)
        #expect(first.refusedSome, "what waits counts as refused: a live session offers again")
        #expect(gate.parked.plan.ranges == [ChainRange(node: node, after: 6, through: 9)])
        // The live re-offer: 7...12; 7...9 are this session's already, 10...12 the hub holds.
        gate.hold(plan(after: 6, through: 12))
        _ = gate.nextOffer(read: read, heads: source)
        let second = try gate.granted([], held: [GrantRange(node: node.high, first: 10, last: 12, lastHash: chain[11].hash.w0)],
                                      read: read, heads: source).get()
        #expect(second.plan.ranges == [ChainRange(node: node, after: 6, through: 9)])
        #expect(second.cuts.continues == [chain[8].id] && second.cuts.heads.isEmpty)
        #expect(gate.parked.plan.isEmpty && !second.refusedSome)
    }

    /// In a format-1 ledger (no heads) a grant goes to the queue as granted.
    @Test func withoutHeadsAGrantGoesWhole() throws {
        var gate = GrantGate()
        gate.inForce = true
        gate.hold(plan(after: 0, through: 12))
        _ = gate.nextOffer(read: read)
        let granted = try gate.granted([GrantRange(node: node.high, first: 1, last: 9)], held: [], read: read).get()
        #expect(granted.plan.ranges == [ChainRange(node: node, after: 0, through: 9)])
        #expect(gate.parked.plan.isEmpty)
    }
}
