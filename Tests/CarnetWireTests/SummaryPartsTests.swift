import CarnetCore
import CarnetTestKit
import CarnetWire
import Testing

/// Split summaries (SPEC 8.1): a summary too large for one frame goes in parts that each
/// fit one, and the receiver puts them back together exactly, within its bounds.
struct SummaryPartsTests {
    /// `count` entries with seeded random prefixes and 1 to 3 heads each.
    private func summary(_ count: Int, seed: UInt64) -> CompactSummary {
        var rng = SplitMix64(seed: seed)
        return CompactSummary(entries: (0..<count).map { _ in
            let seq = UInt64.random(in: 3...100_000, using: &rng)
            let heads = (0..<Int.random(in: 1...3, using: &rng)).map { offset in
                CompactSummary.Head(seq: seq - UInt64(offset), hash: rng.next())
            }
            return CompactSummary.Entry(node: rng.next(), seq: seq, heads: heads.sorted())
        })
    }

    private func message(_ summary: CompactSummary, form: SummaryForm = .full) -> SummaryMessage {
        SummaryMessage(live: true, node: NodeID.derived(from: "hub"), ledger: "plateau", label: "hub", form: form, summary: summary)
    }

    /// Every part travels as bytes and fits a frame; assembled, they are the summary.
    private func roundTrip(_ whole: SummaryMessage) throws -> (parts: Int, back: SummaryMessage?) {
        var assembly = SummaryAssembly()
        var back: SummaryMessage?
        let parts = SummaryParts.split(whole)
        for part in parts {
            let bytes = SessionMessage.summary(part).encoded
            #expect(bytes.count <= FrameLimits.maxMessageLength - SummaryParts.prefixRoom)
            guard case let .summary(decoded) = try SessionMessage.decode(inner: bytes) else {
                Issue.record("a part did not decode as a SUMMARY")
                return (parts.count, nil)
            }
            #expect(back == nil, "a SUMMARY came out before its last part")
            back = try assembly.add(decoded).get()
        }
        return (parts.count, back)
    }

    @Test func aSummaryOfSeventyThousandEntriesTravelsInPartsAndComesBackWhole() throws {
        let whole = message(summary(70_000, seed: testSeed(default: 0x5017)))
        #expect(SessionMessage.summary(whole).encoded.count > FrameLimits.maxMessageLength)
        let (parts, back) = try roundTrip(whole)
        #expect(parts >= 2)
        #expect(back == whole)
    }

    @Test func deltasOfManyEmptyEntriesAreCutByCountToo() throws {
        // A delta naming 100,000 nodes the sender lacks: 10 bytes each, under 1 MiB in
        // all, but above the 65,536 entries one message may hold.
        let entries = (1...100_000).map { CompactSummary.Entry(node: UInt64($0) &* 0x9E37_79B9_7F4A_7C15, seq: 0, heads: []) }
        let whole = message(CompactSummary(entries: entries), form: .delta)
        let (parts, back) = try roundTrip(whole)
        #expect(parts == 2)
        #expect(back == whole)
    }

    @Test func aSummaryThatFitsIsSentWholeAsBefore() {
        let whole = message(summary(21, seed: 3))
        #expect(SummaryParts.split(whole) == [whole])
        #expect(SessionMessage.summary(whole).encoded.first == 3)
    }

    @Test func partsThatDisagreeAreOutOfOrderOrPassTheBoundAreRefused() throws {
        let parts = SummaryParts.split(message(summary(70_000, seed: 9)))
        try #require(parts.count >= 2)

        var other = parts[1]
        other.label = "someone else"
        var assembly = SummaryAssembly()
        _ = assembly.add(parts[0])
        #expect(throws: SummaryAssembly.Refusal.self) { try assembly.add(other).get() }

        // A part sent again (or any part whose entries do not follow the previous part's).
        var repeated = SummaryAssembly()
        _ = repeated.add(parts[0])
        #expect(throws: SummaryAssembly.Refusal.self) { try repeated.add(parts[0]).get() }

        var empty = parts[0]
        empty.summary = CompactSummary(entries: [])
        var emptyAssembly = SummaryAssembly()
        #expect(throws: SummaryAssembly.Refusal.self) { try emptyAssembly.add(empty).get() }

        // Parts of 60,000 one-head entries each: the fifth passes 262,144 entries.
        var bounded = SummaryAssembly()
        var refusal: SummaryAssembly.Refusal?
        for round in 0..<5 {
            let entries = (0..<60_000).map {
                CompactSummary.Entry(node: UInt64(round * 60_000 + $0 + 1), seq: 1, heads: [.init(seq: 1, hash: 7)])
            }
            var part = message(CompactSummary(entries: entries))
            part.continued = true
            if case let .failure(refused) = bounded.add(part) { refusal = refused }
        }
        #expect(refusal?.reason.contains("more than 262144 nodes") == true, "\(String(describing: refusal))")
    }

    @Test func aContinuedSameIsMalformed() {
        // flags: form same (1 << 1) with bit 3 set.
        var writer = ByteWriter()
        writer.byte(3)
        writer.byte(2 | 8)
        writer.nodeID(NodeID.derived(from: "hub"))
        writer.string("plateau")
        writer.string("hub")
        #expect(throws: WireError.self) { try SessionMessage.decode(inner: writer.bytes) }
    }
}
