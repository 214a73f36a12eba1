import Foundation
import Testing

/// Issue 21, item 1, with real processes over TCP: a hub and two farms end up with one
/// conflict of each kind that no entry could close before (a fork from a restored backup,
/// two entries with one id, a double reversal, a reversal of a reversal, a reversal of an
/// entry no one holds). Each is settled by an auditable event (a void naming one event, a
/// review), `carnet conflicts` returns to zero on every node after sync, and `log
/// --changes` shows each settling event with its author.
@Suite(.serialized)
struct SettlingConflictsTests {
    typealias Node = SyncProcessTests.ServedNode

    /// A workload file of `lines` (entry objects without the `t` key), to import.
    static func workload(_ name: String, _ lines: [String], in root: String) throws -> String {
        let meta = #"{"t":"meta","schema":"producer-ledger-workload/1","seed":1,"farms":1,"days":1,"products":1,"entries":\#(lines.count),"start":"2026-03-02","hub":"HUB","actors":["HUB","col"],"counts":{"entry":\#(lines.count),"cat":0,"sync":0},"kinds":{"harvest":\#(lines.count)},"conflict_groups":0}"#
        let path = root + "/\(name).jsonl"
        try ([meta] + lines.map { #"{"t":"entry","farm":"col","date":"2026-03-02",\#($0)}"# })
            .joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func ok(_ node: Node, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let run = try node.carnet(arguments)
        #expect(run.status == 0, "\(node.label): carnet \(arguments.joined(separator: " ")) → \(run.status): \(run.stderr)",
                sourceLocation: sourceLocation)
        return run.stdout
    }

    static func conflicts(_ node: Node) throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(try Self.ok(node, ["conflicts", "--json"]).utf8)) as? [[String: Any]] ?? []
    }

    static func byKind(_ node: Node) throws -> [String: String] {
        var ids: [String: String] = [:]
        for conflict in try conflicts(node) {
            let kind = conflict["kind"] as! String
            // Two unknown references would collide here; the scenario makes one.
            #expect(ids[kind] == nil, "\(node.label): two \(kind) conflicts")
            ids[kind] = conflict["id"] as? String
        }
        return ids
    }

    @Test func everyKindOfConflictIsSettledByAnAuditableEventOnEveryNode() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-settle-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = root + "/ledger.key"
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0)
        let hub = try Node(root: root, label: "hub", secretFile: secret)
        let col = try Node(root: root, label: "col", secretFile: secret)
        let other = try Node(root: root, label: "other", secretFile: secret)
        try hub.start()
        defer { _ = hub.stop() }
        let address = "127.0.0.1:\(hub.port)"
        _ = try Self.ok(col, ["product", "set", "miel", "--name", "Miel", "--unit", "g"])
        _ = try Self.ok(col, ["sync", address])
        let backup = root + "/col-backup"
        try FileManager.default.copyItem(atPath: col.directory, toPath: backup)

        // Two harvests; the other farm sees them; both void h-2 before hearing of the other.
        _ = try Self.ok(col, ["import", try Self.workload("a", [
            #""id":"h-1","kind":"harvest","product":"miel","qty":500,"unit":"g","lot":"L-1""#,
            #""id":"h-2","kind":"harvest","product":"miel","qty":300,"unit":"g","lot":"L-1""#,
        ], in: root)])
        _ = try Self.ok(col, ["sync", address])
        _ = try Self.ok(other, ["sync", address])
        _ = try Self.ok(col, ["void", "h-2", "--reason", "pas récolté"])
        _ = try Self.ok(col, ["sync", address])
        _ = try Self.ok(other, ["void", "h-2", "--reason", "doublon"])
        // An import that reuses the id h-1, reverses an entry no one holds, and reverses
        // that reversal.
        _ = try Self.ok(other, ["import", try Self.workload("b", [
            #""id":"h-1","kind":"harvest","product":"miel","qty":700,"unit":"g","lot":"L-1""#,
            #""id":"rv-ghost","kind":"reversal","ref":"ghost-9","ref_kind":"harvest","reason":"?","qty":-5"#,
            #""id":"rv-rv","kind":"reversal","ref":"rv-ghost","ref_kind":"reversal","reason":"annule","qty":5"#,
        ], in: root)])
        _ = try Self.ok(other, ["sync", address])
        // The farm's directory restored from the backup writes again under used seqs.
        try BackupRestoreTests.restoreInPlace(backup, into: col.directory)
        _ = try Self.ok(col, ["import", try Self.workload("c", [
            #""id":"h-3","kind":"harvest","product":"miel","qty":100,"unit":"g","lot":"L-2""#,
        ], in: root)])
        _ = try Self.ok(col, ["sync", address])
        _ = try Self.ok(other, ["sync", address])

        let kinds: Set = ["fork", "duplicate-entry", "double-reversal", "reversal-of-reversal", "unknown-reference"]
        let ids = try Self.byKind(hub)
        #expect(Set(ids.keys) == kinds, "\(ids)")
        #expect(try Self.byKind(col) == ids)
        #expect(try Self.byKind(other) == ids)

        // Without an option, resolve says how a fork is settled, and writes nothing.
        let asked = try col.carnet(["resolve", ids["fork"]!])
        #expect(asked.status != 0)
        #expect(asked.stderr.contains("--reviewed"), "\(asked.stderr)")
        // A void of a shared id asks which entry, listing them.
        let which = try col.carnet(["void", "h-1", "--reason", "deux fois"])
        #expect(which.status != 0 && which.stderr.contains("--event"), "\(which.stderr)")
        // A number past the places is a hash prefix (hashes can begin with four digits or
        // more); a short one out of range is a place that does not exist.
        let place = try col.carnet(["void", "h-1", "--event", "7", "--reason", "deux fois"])
        #expect(place.status == 64 && place.stderr.contains("that count (1 to 2)"), "\(place.stderr)")
        let digits = try col.carnet(["void", "h-1", "--event", "00000042", "--reason", "deux fois"])
        #expect(digits.status == 64 && digits.stderr.contains("names no entry"), "\(digits.stderr)")

        // Settle each: void the second h-1 by its number, review the others.
        let shown = try JSONSerialization.jsonObject(with: Data(try Self.ok(col, ["conflicts", "show", ids["duplicate-entry"]!, "--json"]).utf8)) as? [String: Any]
        let sides = shown?["events"] as? [[String: Any]] ?? []
        #expect(sides.count == 2)
        _ = try Self.ok(col, ["void", "h-1", "--event", "2", "--reason", "importé deux fois"])
        _ = try Self.ok(col, ["resolve", ids["fork"]!, "--reviewed", "--note", "les deux branches vérifiées"])
        for kind in ["double-reversal", "reversal-of-reversal", "unknown-reference"] {
            _ = try Self.ok(other, ["resolve", ids[kind]!, "--reviewed"])
        }
        // A second review of a settled conflict is refused.
        let again = try other.carnet(["resolve", ids["double-reversal"]!, "--reviewed"])
        #expect(again.status != 0 && again.stderr.contains("already reviewed"), "\(again.stderr)")

        _ = try Self.ok(col, ["sync", address])
        _ = try Self.ok(other, ["sync", address])
        _ = try Self.ok(col, ["sync", address])
        for node in [hub, col, other] {
            let open = try Self.conflicts(node)
            #expect(open.isEmpty, "\(node.label): \(open)")
            let status = try JSONSerialization.jsonObject(with: Data(try Self.ok(node, ["status", "--json"]).utf8)) as? [String: Any]
            #expect(status?["conflicts"] as? Int == 0)
            let changes = try JSONSerialization.jsonObject(with: Data(try Self.ok(node, ["log", "--changes", "--json"]).utf8)) as? [[String: Any]] ?? []
            let settling = changes.filter { $0["kind"] != nil }
            #expect(settling.filter { $0["kind"] as? String == "review" }.count == 4, "\(node.label): \(settling)")
            #expect(settling.contains { $0["kind"] as? String == "reversal" && $0["label"] as? String == "col"
                && ($0["subject"] as? String) == "entry/h-1" })
            #expect(settling.contains { $0["subject"] as? String == "conflict/\(ids["fork"]!)" && $0["label"] as? String == "col"
                && ($0["value"] as? String ?? "").contains("les deux branches vérifiées") })
            // Read from the log's records (the files current), the changes are the opened store's.
            if node !== hub {
                let fromTheLog = try Self.ok(node, ["log", "--changes", "--json"])
                try FileManager.default.removeItem(atPath: node.directory + "/entries")
                #expect(try Self.ok(node, ["log", "--changes", "--json"]) == fromTheLog, "\(node.label): the store's changes differ")
            }
            #expect(settling.filter { $0["label"] as? String == "other" }.count == 3)
            let verified = try node.carnet(["verify"]); #expect(verified.status == 0, "\(node.label): \(verified.stdout) \(verified.stderr)")
            // The kept h-1 still counts: 500 g or 700 g in L-1, whichever was listed first.
            let stock = try Self.ok(node, ["stock", "--by-lot"])
            #expect(stock.contains("L-1") && stock.contains("L-2"), "\(stock)")
        }
        // The entries say which device wrote each: three reviews are the other farm's, one col's.
        let reviews = try Self.ok(hub, ["log"]).split(separator: "\n").filter { $0.contains(" review ") }
        #expect(reviews.filter { $0.trimmingCharacters(in: .whitespaces).hasSuffix(" other") }.count == 3, "\(reviews)")
        #expect(reviews.filter { $0.trimmingCharacters(in: .whitespaces).hasSuffix(" col") }.count == 1, "\(reviews)")
        // The table form names who settled what.
        let table = try Self.ok(hub, ["log", "--changes"])
        #expect(table.contains("conflict/\(ids["fork"]!)") && table.contains("settles a conflict"), "\(table)")
    }
}
