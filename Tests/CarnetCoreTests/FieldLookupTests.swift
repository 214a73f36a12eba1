@testable import CarnetCore
import Testing

/// `FieldLookup` gives, in one pass, what asking `Fields[name]` for each name gives.
struct FieldLookupTests {
    static let names = ["qty", "lot", "vat", "ref", "date", "unit", "producer", "ref_kind", "ref_event", "K", "é"]
    /// Names the fields may carry: the looked-up ones, others of the same lengths, and
    /// spellings equal to a looked-up one under Unicode rules but not as bytes.
    static let spelled = names + ["qtx", "lots", "producet", "ref_evenu", "\u{212A}", "e\u{301}", "", "note"]

    @Test(arguments: 0..<50)
    func oneScanGivesWhatEachLookupGives(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var fields = Fields()
        for position in 0..<Int(rng.next() % 12) {
            let name = Self.spelled[Int(rng.next() % UInt64(Self.spelled.count))]
            fields.append(name, rng.next() % 2 == 0 ? .int(Int64(position)) : .text("v\(position)"))
        }
        let lookup = FieldLookup(Self.names)
        let values = lookup.values(in: fields)
        #expect(values.count == Self.names.count)
        for (position, name) in Self.names.enumerated() {
            #expect(values[position] == fields[name], "seed \(seed): \(name) in \(fields.items)")
        }
    }

    @Test func theFirstFieldOfANameWins() {
        let fields: Fields = [Field("lot", .text("A")), Field("qty", .int(1)), Field("lot", .text("B"))]
        #expect(FieldLookup(["lot", "qty", "unit"]).values(in: fields) == [.text("A"), .int(1), nil])
    }
}
