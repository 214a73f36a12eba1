import CarnetCore
import CarnetWire
import Testing

@testable import CarnetSync

/// A receiver refuses a batch past the canonical size limit (protocol/SPEC.md §3.2), and
/// would refuse it again on every retry: the send queue cuts batches by canonical size
/// as well as by count and encoded bytes. Events sharing one long text are small encoded
/// and large canonically, so only this cut applies to them.
struct SendQueueCanonicalLimitTests {
    @Test func batchesStayWithinTheCanonicalLimit() {
        let text = String(repeating: "t", count: 60_000)
        let node = NodeID.derived(from: "farm")
        let count = WireLimits.maxBatchCanonicalBytes / 60_000 + 40
        let events = (1...count).map { seq in
            Event(dot: Dot(node: node, seq: UInt64(seq)), clock: .zero, previous: .zero,
                  operation: .append(Entry(id: "E\(seq)", kind: "note", fields: [Field("n", .text(text))])),
                  trustedHash: .zero)
        }
        var settings = SessionSettings()
        settings.batchBytes = 1 << 20
        var queue = SendQueue(settings: settings)
        queue.enqueue(events)
        var sent = 0
        while let batch = queue.nextBatch(read: nil) {
            let canonical = batch.events.reduce(0) { $0 + $1.canonicalSize }
            #expect(canonical <= WireLimits.maxBatchCanonicalBytes)
            #expect(!batch.events.isEmpty)
            sent += batch.events.count
            queue.acknowledged(batch.events)
        }
        #expect(sent == count)
    }
}

extension SendQueueCanonicalLimitTests {
    /// An event above the per-event limit, held from before the limit existed (or taken
    /// in by an older version), is never sent: every peer would refuse the batch holding
    /// it, and the session with it. The other events still go.
    @Test func anEventAboveTheEventLimitIsNeverSent() {
        let node = NodeID.derived(from: "old")
        let big = String(repeating: "b", count: WireLimits.maxEventCanonicalBytes)
        let events = [("small", "s"), ("big", big), ("after", "a")].enumerated().map { index, item in
            Event(dot: Dot(node: node, seq: UInt64(index + 1)), clock: .zero, previous: .zero,
                  operation: .append(Entry(id: item.0, kind: "note", fields: [Field("n", .text(item.1))])),
                  trustedHash: SHA256Digest(UInt64(index), 0, 0, 0))
        }
        var queue = SendQueue(settings: SessionSettings())
        queue.enqueue(events)
        var sent: [String] = []
        while let batch = queue.nextBatch(read: nil) {
            for event in batch.events { if case let .append(entry) = event.operation { sent.append(entry.id) } }
            queue.acknowledged(batch.events)
        }
        #expect(sent == ["small", "after"])
    }
}
