import CarnetCore
import CarnetTestKit
import CarnetWire
import Foundation
import Testing

/// Decoders other than the event budget, reviewed for work an input multiplies
/// (issue 18 item 5): a count that reserves before the bytes are checked, a lookup that
/// makes a loop quadratic, a reference that is hashed again and again.
struct DecoderWorkTests {
    /// A shape whose 64 field names all refer to one 40,000-byte name: each reference is
    /// a byte, and the decoder hashes the name for its dictionary slot. The names are
    /// charged as they are read, so the batch is refused at the second one, not after all
    /// 64 (2.5 MB hashed).
    @Test func aShapeOfLongRepeatedNamesIsRefusedAtTheNameThatPassesTheLimit() throws {
        var writer = ByteWriter()
        writer.raw([0x43, 0x42, EventBatch.version])
        writer.varint(1); writer.varint(0); writer.nodeID(HostileBatch.node)
        writer.varint(1); writer.varint(1); writer.digest(.zero)
        writer.varint(0)                         // clock
        writer.varint(1)                         // shape 0, inline
        writer.varint(0); writer.string("k")
        writer.varint(64)
        writer.varint(0); writer.string(String(repeating: "n", count: 40_000)); writer.byte(0)
        let secondName = writer.bytes.count
        for _ in 1..<64 { writer.varint(0); writer.byte(0) }
        let definitionEnd = writer.bytes.count
        writer.varint(0); writer.string("id")
        for _ in 0..<64 { writer.signed(1) }
        let error = #expect(throws: WireError.self) { try EventBatch.decode(writer.bytes) }
        guard case let .canonicalSizeExceeded(_, _, at)? = error else {
            Issue.record("expected a canonical size error, got \(String(describing: error))")
            return
        }
        #expect(at > secondName && at < definitionEnd, "refused at byte \(at), the definition spans \(secondName)..<\(definitionEnd)")
    }

    /// A SUMMARY announcing 65,536 entries in 3 bytes is refused before 65,536 entries are
    /// reserved (2.6 MB each time).
    @Test func aCompactSummaryCountTheBytesCannotHoldIsRefusedFirst() {
        var reader = ByteReader([0x80, 0x80, 0x04])
        let error = #expect(throws: WireError.self) { try CompactSummary.decode(from: &reader) }
        #expect(error == .limitExceeded("summary entry count", at: 3))
    }

    /// `delta(against:)` looks up every entry of a peer's summary: with a linear lookup,
    /// two summaries of 20,000 nodes took 8·10^8 comparisons.
    @Test func deltasOfLargeSummariesTakeNoQuadraticTime() {
        let seed = testSeed(default: 99)
        var rng = SplitMix64(seed: seed)
        let ours = CompactSummary(entries: (0..<20_000).map { _ in
            CompactSummary.Entry(node: rng.next(), seq: 1, heads: [CompactSummary.Head(seq: 1, hash: 7)])
        })
        let theirs = CompactSummary(entries: ours.entries.enumerated().map { index, entry in
            var changed = entry
            if index % 3 == 0 { changed.seq = 2 }
            return index % 5 == 0 ? CompactSummary.Entry(node: rng.next(), seq: 1, heads: []) : changed
        })
        let started = ContinuousClock.now
        let delta = ours.delta(against: theirs)
        let elapsed = ContinuousClock.now - started
        #expect(theirs.applying(delta) == ours, "seed \(seed)")
        #expect(elapsed < .seconds(2), "seed \(seed): \(elapsed)")
        for entry in ours.entries.prefix(100) { #expect(ours[entry.node] == entry, "seed \(seed)") }
        #expect(ours[0] == nil || ours.entries.contains { $0.node == 0 })
    }
}
