@testable import CarnetCore
import Testing

/// A bulk read of cold events (`History.readEvents`) goes piece by piece where the source
/// keeps them, so that a piece holding every node's events is decoded once, not once per
/// node: the entry index read the entries its reversals name node by node, and decoded
/// each checkpoint chunk some thirty times at a million events.
struct ColdReadOrderTests {
    /// Pieces of `size` events in the order the nodes' events interleave (as a checkpoint
    /// or a log holds them); decodes counted, the last one kept, as a store keeps a few.
    final class Pieces: ColdChainSource, @unchecked Sendable {
        // @unchecked: the tests read and write `decodes` and `last` from one task only.
        let pieces: [[Event]]
        var decodes = 0
        var last = -1

        init(_ events: [Event], size: Int) {
            pieces = stride(from: 0, to: events.count, by: size).map { Array(events[$0..<min($0 + size, events.count)]) }
        }

        func chainEvents(of node: NodeID, seqs: ClosedRange<UInt64>) throws -> [Event] {
            try seqs.map { seq in
                guard let place = readingPlace(of: node, seq: seq) else { throw ColdReadError(node: node, seqs: seqs, reason: "absent") }
                if place != last { decodes += 1; last = place }
                return pieces[place].first { $0.dot == Dot(node: node, seq: seq) }!
            }
        }

        func readingPlace(of node: NodeID, seq: UInt64) -> Int? {
            pieces.firstIndex { piece in piece.contains { $0.dot == Dot(node: node, seq: seq) } }
        }
    }

    /// Nodes writing in turns, their chains interleaved in every piece.
    static func interleaved(nodes: Int, rounds: Int) -> [Event] {
        let ids = (0..<nodes).map { NodeID.derived(from: "order-\($0)") }
        var previous = [SHA256Digest](repeating: .zero, count: nodes)
        var events: [Event] = []
        for round in 1...rounds {
            for (index, node) in ids.enumerated() {
                let event = Event(dot: Dot(node: node, seq: UInt64(round)),
                                  clock: HLCTimestamp(physical: UInt64(round * 10 + index), logical: 0), previous: previous[index],
                                  operation: .append(Entry(id: "e\(round)-\(index)", kind: "harvest", fields: [])))
                previous[index] = event.hash
                events.append(event)
            }
        }
        return events
    }

    @Test func aBulkReadDecodesEachPieceOnce() throws {
        let events = Self.interleaved(nodes: 4, rounds: 40)
        var replica = Replica(node: NodeID.derived(from: "reader"))
        for event in events { #expect(replica.admit(event) == .accepted) }
        let pieces = Pieces(events, size: 16)
        replica.keepChainsCold(in: pieces)
        // Every other event of every node, each node's last one (warm) among them.
        let asked = events.enumerated().filter { $0.offset % 2 == 1 || $0.offset >= events.count - 4 }.map(\.element.id)
        let read = try replica.history.readEvents(asked)
        #expect(read.count == asked.count)
        #expect(asked.allSatisfy { read[$0]?.id == $0 })
        // 160 events in 10 pieces: each decoded once (in id order, node by node: 40).
        #expect(pieces.decodes == pieces.pieces.count, "decoded \(pieces.decodes) times for \(pieces.pieces.count) pieces")
    }

    @Test func aSourceThatCannotPlaceKeepsTheIDOrder() throws {
        let events = Self.interleaved(nodes: 3, rounds: 10)
        var replica = Replica(node: NodeID.derived(from: "reader"))
        for event in events { _ = replica.admit(event) }
        replica.keepChainsCold(in: ColdHistoryTests.ArchivedChains(chains: Dictionary(grouping: events, by: \.dot.node)))
        var rng = SplitMix64(seed: 7)
        let asked = events.map(\.id).shuffled(using: &rng)
        let read = try replica.history.readEvents(asked)
        #expect(read.count == events.count && events.allSatisfy { read[$0.id] == $0 })
    }
}
