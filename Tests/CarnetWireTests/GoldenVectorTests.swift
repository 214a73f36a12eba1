import CarnetCore
import CarnetLedger
import CarnetWire
import Foundation
import Testing

/// The golden vectors in protocol/vectors: fixed events whose canonical bytes, hashes and
/// batch encoding are written down byte for byte. A change to the formats must change the
/// spec and these files in the same commit. Regenerate with CARNET_WRITE_VECTORS=1.
struct GoldenVectorTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("protocol/vectors")

    /// Two nodes, an assignment superseding another, entries with every value type.
    static func events() -> [Event] {
        var farm = Replica(node: NodeID(hex: "00112233445566778899aabbccddeeff")!)
        var hub = Replica(node: NodeID(hex: "ffeeddccbbaa99887766554433221100")!)
        let t0: UInt64 = 1_780_300_800_000
        let name = hub.assign(FieldKey("product", "P0001", "name"), .text("Œufs bio"), wallMillis: t0)
        farm.admit(name)
        farm.assign(FieldKey("product", "P0001", "name"), .text("Œufs plein air"), wallMillis: t0 + 1_000)
        let harvest = LedgerEntry(id: "F18-000001", kind: .harvest, producer: "F18", date: CalendarDay(iso: "2026-06-01")!,
                                  product: "P0001", quantity: 120, unit: .pieces, lot: "L18-00001")
        farm.write(.append(harvest.coreEntry), wallMillis: t0 + 90_000)
        let sale = LedgerEntry(id: "F18-000002", kind: .sale, producer: "F18", date: CalendarDay(iso: "2026-06-01")!,
                               product: "P0001", quantity: 24, unit: .pieces, lot: "L18-00001", party: "cantine-jaures",
                               amount: 1_080, note: "facture n°12")
        farm.write(.append(sale.coreEntry), wallMillis: t0 + 180_000)
        farm.write(.append(harvest.reversal(id: "F18-000003", date: CalendarDay(iso: "2026-06-02")!, reason: "erreur de saisie").coreEntry),
                   wallMillis: t0 + 86_400_000)
        return hub.allEvents + farm.history.events(of: farm.node)
    }

    static func vectorText() -> String {
        let events = events()
        var lines = ["# Carnet golden vectors, format v1. One event per block; then the batch of all events.", ""]
        for event in events {
            lines.append("event \(event.dot.node.hex):\(event.dot.seq)")
            lines.append("canonical \(Hex.encode(event.canonicalBytes))")
            lines.append("hash \(event.hash.hex)")
            lines.append("")
        }
        lines.append("batch \(Hex.encode(EventBatch.encode(events)))")
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func vectorsMatchTheCode() throws {
        let file = Self.directory.appendingPathComponent("events-v1.txt")
        let expected = Self.vectorText()
        if ProcessInfo.processInfo.environment["CARNET_WRITE_VECTORS"] == "1" {
            try expected.write(to: file, atomically: true, encoding: .utf8)
        }
        let stored = try String(contentsOf: file, encoding: .utf8)
        #expect(stored == expected, "protocol/vectors/events-v1.txt no longer matches the code")
    }

    @Test func theStoredBatchDecodesToTheStoredEvents() throws {
        let stored = try String(contentsOf: Self.directory.appendingPathComponent("events-v1.txt"), encoding: .utf8)
        let lines = stored.split(separator: "\n")
        let hashes = lines.filter { $0.hasPrefix("hash ") }.map { String($0.dropFirst(5)) }
        let batchHex = try #require(lines.first { $0.hasPrefix("batch ") }).dropFirst(6)
        let batch = try #require(Hex.decode(String(batchHex)))
        let events = try EventBatch.decode(batch)
        #expect(events.map(\.hash.hex) == hashes)
        #expect(EventBatch.encode(events) == batch, "re-encoding gives the same bytes")
        for (event, line) in zip(events, lines.filter { $0.hasPrefix("canonical ") }) {
            #expect(Hex.encode(event.canonicalBytes) == line.dropFirst(10))
        }
    }
}
