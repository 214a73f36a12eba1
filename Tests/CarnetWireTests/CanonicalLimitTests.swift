import CarnetCore
import CarnetTestKit
import CarnetWire
import Foundation
import Testing

/// The work a batch can cause, not only its size (issue 18, item 5): one event whose 64
/// text fields all name one 64 KiB string costs ~67 bytes in a batch and 4 MiB to hash.
/// The decoder counts canonical bytes as it reads (protocol/SPEC.md §3.2) and refuses a
/// batch before it concatenates or hashes what it would cost.
struct CanonicalLimitTests {
    @Test func theBlowUpEventIsRefusedBeforeItIsHashed() throws {
        let bytes = HostileBatch.blowUp(count: 512)
        #expect(bytes.count < 110_000, "the attack is cheap: \(bytes.count) bytes for 512 events")
        let started = ContinuousClock.now
        let error = #expect(throws: WireError.self) { try EventBatch.decode(bytes) }
        let elapsed = ContinuousClock.now - started
        guard case let .canonicalSizeExceeded(what, limit, _)? = error else {
            Issue.record("expected a canonical size error, got \(String(describing: error))")
            return
        }
        #expect(what.contains("event"))
        #expect(limit == WireLimits.maxEventCanonicalBytes)
        #expect("\(error!)".contains("65536 bytes"), "\(error!)")
        #expect(elapsed < .seconds(1), "refused in \(elapsed)")
    }

    @Test func aBatchSummingPastItsLimitIsRefused() throws {
        // Each event alone is legal (one field naming a shared 60,000-byte string); together
        // they pass the per-batch limit.
        let perEvent = 60_000
        let count = WireLimits.maxBatchCanonicalBytes / perEvent + 1
        let events = HostileEvents.sharedText(count: count, textBytes: perEvent)
        let bytes = EventBatch.encode(events)
        let error = #expect(throws: WireError.self) { try EventBatch.decode(bytes) }
        guard case let .canonicalSizeExceeded(what, limit, _)? = error else {
            Issue.record("expected a canonical size error, got \(String(describing: error))")
            return
        }
        #expect(what.contains("batch"))
        #expect(limit == WireLimits.maxBatchCanonicalBytes)
        // One event fewer than the limit allows decodes.
        let fewer = EventBatch.encode(events.prefix(WireLimits.maxBatchCanonicalBytes / (perEvent + 200)))
        #expect(throws: Never.self) { try EventBatch.decode(fewer) }
    }

    @Test func anHonestLargeEventRoundTrips() throws {
        let seed = testSeed(default: 18)
        var rng = SplitMix64(seed: seed)
        var replica = Replica(node: NodeID.derived(from: "honest"))
        let fields = (0..<60).map { index in
            Field("field\(index)", .text(String((0..<300).map { _ in Character(UnicodeScalar(UInt8(97 + rng.next() % 26))) })))
        }
        let event = replica.write(.append(Entry(id: "F01-000001", kind: "inspection", fields: Fields(fields))), wallMillis: 1)
        #expect(event.canonicalSize > 18_000, "seed \(seed)")
        let decoded = try EventBatch.decode(EventBatch.encode([event]))
        #expect(decoded.map(\.id) == [event.id], "seed \(seed)")
    }

    @Test func theLimitIsExactAtTheByte() throws {
        let limit = WireLimits.maxEventCanonicalBytes
        for excess in [0, 1] {
            var replica = Replica(node: NodeID.derived(from: "edge"))
            let probe = replica.write(.append(Entry(id: "e", kind: "k", fields: [Field("note", .text("x"))])), wallMillis: 1)
            // Grow the note until the event is exactly `limit + excess` bytes.
            var note = 1 + (limit + excess - probe.canonicalSize)
            var replica2 = Replica(node: NodeID.derived(from: "edge"))
            var event = replica2.write(.append(Entry(id: "e", kind: "k", fields: [Field("note", .text(String(repeating: "x", count: note)))])), wallMillis: 1)
            note -= event.canonicalSize - (limit + excess)  // the length prefix grew by a byte or two
            var replica3 = Replica(node: NodeID.derived(from: "edge"))
            event = replica3.write(.append(Entry(id: "e", kind: "k", fields: [Field("note", .text(String(repeating: "x", count: note)))])), wallMillis: 1)
            #expect(event.canonicalSize == limit + excess)
            let bytes = EventBatch.encode([event])
            if excess == 0 {
                #expect(try EventBatch.decode(bytes).map(\.id) == [event.id])
            } else {
                #expect(throws: WireError.self) { try EventBatch.decode(bytes) }
            }
        }
    }

    @Test func canonicalSizeIsTheLengthOfTheCanonicalBytes() {
        let seed = testSeed(default: 5)
        for offset in 0..<50 as Range<UInt64> {
            let history = RandomHistory(seed: seed &+ offset, nodes: 3, steps: 30)
            for event in history.events {
                #expect(event.canonicalSize == event.canonicalBytes.count, "seed \(seed &+ offset), \(event)")
            }
        }
    }
}

/// Events no honest writer makes, built without hashing them (the hash is never sent; the
/// decoder recomputes it, or refuses first).
enum HostileEvents {
    static let node = HostileBatch.node

    /// `count` chained events, each with one field holding the same `textBytes`-byte string.
    static func sharedText(count: Int, textBytes: Int) -> [Event] {
        let text = String(repeating: "y", count: textBytes)
        return chain(count: count) { seq in Entry(id: "E\(seq)", kind: "note", fields: [Field("n", .text(text))]) }
    }

    private static func chain(count: Int, _ entry: (Int) -> Entry) -> [Event] {
        (1...count).map { seq in
            // Every fake hash is zero, so each event's `previous` (zero) chains to the one
            // before: one run, as an attacker would send.
            Event(dot: Dot(node: node, seq: UInt64(seq)), clock: HLCTimestamp(physical: 1_780_000_000_000, logical: 0),
                  previous: .zero, operation: .append(entry(seq)), trustedHash: .zero)
        }
    }
}

extension CanonicalLimitTests {
    /// The hand-made batch is what the encoder would make of those events, so the tests
    /// that use it test the real format.
    @Test func theHandMadeBlowUpBatchIsWhatTheEncoderMakes() {
        let text = String(repeating: "x", count: 100)
        let events = (1...3).map { seq in
            Event(dot: Dot(node: HostileBatch.node, seq: UInt64(seq)), clock: .zero, previous: .zero,
                  operation: .append(Entry(id: "E\(seq)", kind: "harvest",
                                           fields: Fields(Array(repeating: Field("n", .text(text)), count: 64)))),
                  trustedHash: .zero)
        }
        #expect(HostileBatch.blowUp(count: 3, textBytes: 100) == EventBatch.encode(events))
    }
}

extension CanonicalLimitTests {
    /// A bundle is cut into batches a receiver accepts, however large its events are.
    @Test func bundleChunksStayWithinTheBatchLimit() throws {
        var replica = Replica(node: NodeID.derived(from: "long-notes"))
        let text = String(repeating: "z", count: 60_000)
        let count = WireLimits.maxBatchCanonicalBytes / 60_000 + 20
        for seq in 1...count {
            replica.write(.append(Entry(id: "N\(seq)", kind: "note", fields: [Field("n", .text(text))])), wallMillis: 1)
        }
        let events = replica.allEvents
        let bundle = BundleFormat(ledger: "coop", creator: replica.node, creatorLabel: "col", createdMillis: 1,
                                  recipient: nil, events: events)
        let decoded = try BundleFormat.decode(bundle.encode())
        #expect(decoded.events.map(\.id) == events.map(\.id))
        #expect(EventBatch.countWithinCanonicalLimit(events) < events.count)
        #expect(EventBatch.countWithinCanonicalLimit(events, limit: 10) == 1)
        #expect(EventBatch.countWithinCanonicalLimit([Event]()) == 0)
    }
}
