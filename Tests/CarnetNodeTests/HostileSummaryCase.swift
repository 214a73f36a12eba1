import CarnetCore
import CarnetWire
import Foundation
import Testing

extension HostileBed {
    /// A member's SUMMARY in parts (SPEC 8.1) that never ends: five continued parts of
    /// 55,000 nodes each, 2.75 MB of valid frames. The hub refuses it at the part that
    /// passes 262,144 nodes, says why, counts it as `malformed`, and holds no more of it.
    func summaryPartsPastTheBound() throws {
        try hostile("a SUMMARY in parts past 262,144 nodes", reason: "more than 262144 nodes",
                    expect: Expected(failures: ["malformed": 1])) {
            let peer = try dial("many-parts")
            peer.tamper = { index, _, peer in
                guard index == 1 else { return .pass }
                let frames = (0..<5).map { part -> [UInt8] in
                    let entries = (0..<55_000).map { CompactSummary.Entry(node: UInt64(part * 55_000 + $0 + 1), seq: 0, heads: []) }
                    let message = SummaryMessage(live: false, node: NodeID.derived(from: "many-parts"), ledger: self.ledger,
                                                 label: "many-parts", form: .delta, summary: CompactSummary(entries: entries),
                                                 continued: true)
                    return peer.sealed(inner: SessionMessage.summary(message).encoded, counter: UInt64(part))
                }
                return .hangUpAfter(frames.flatMap { $0 })
            }
            peer.run()
            let told = peer.errorsReceived
            #expect(told.map(\.code) == [.malformed] && told.allSatisfy { $0.message.contains("more than 262144 nodes") },
                    "the peer is told: \(told)")
            return [.peer(peer, closedAfter: peer.closedAfterTampering)]
        }
    }
}
