import Foundation
import Testing

/// Issue 20, "must show": a scripted scenario with real processes. The hub buys from three
/// farms and sells to two canteens labelled and unlabelled products, a drive basket is
/// collected and another is not, a sale is voided, a bill is paid in part; after sync over
/// TCP every node's reports equal the figures computed by hand below.
@Suite(.serialized)
struct ConsortiumScenarioTests {
    typealias Node = SyncProcessTests.ServedNode

    static func ok(_ node: Node, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let run = try node.carnet(arguments)
        #expect(run.status == 0, "\(node.label): carnet \(arguments.joined(separator: " ")) → \(run.status): \(run.stderr)",
                sourceLocation: sourceLocation)
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func json(_ node: Node, _ arguments: [String]) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try ok(node, arguments + ["--json"]).utf8))
    }

    @Test func theHubTradesAndEveryNodeReportsTheHandComputedFigures() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-dynamo-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let secret = root + "/ledger.key"
        #expect(try CommandLineTests.carnet(["secret", "new", "--out", secret]).status == 0)
        let hub = try Node(root: root, label: "hub", secretFile: secret)
        let farms = try ["col", "val", "chv"].map { try Node(root: root, label: $0, secretFile: secret) }
        let (col, val, chv) = (farms[0], farms[1], farms[2])
        try hub.start()
        defer { _ = hub.stop() }
        let address = "127.0.0.1:\(hub.port)"
        let day = ["--date", "2026-05-04"]

        // The catalog and the parties, at the hub.
        for (id, kind) in [("col", "farm"), ("val", "farm"), ("chv", "farm"), ("hub", "hub"), ("cj", "canteen-public"),
                           ("cp", "canteen-private"), ("ana", "customer"), ("ben", "customer")] {
            _ = try Self.ok(hub, ["party", "set", id, "--name", id.uppercased(), "--kind", kind])
        }
        for (sku, unit, labels, family) in [("tomme", "kg", ["fermier"], "dairy"), ("salade", "piece", ["organic"], "fruit-vegetables"),
                                            ("boeuf", "kg", ["label-rouge"], "meat-poultry"), ("oeufs", "piece", [], "other")] {
            _ = try Self.ok(hub, ["product", "set", sku, "--name", sku.capitalized, "--unit", unit, "--family", family]
                            + labels.flatMap { ["--label", $0] })
        }
        for farm in farms { _ = try Self.ok(farm, ["sync", address]) }

        // Each farm harvests; the hub buys from each.
        _ = try Self.ok(col, ["record", "harvest", "--actor", "col", "--product", "tomme", "--qty", "30kg", "--lot", "T1"] + day)
        _ = try Self.ok(val, ["record", "harvest", "--actor", "val", "--product", "salade", "--qty", "200piece", "--lot", "S1"] + day)
        _ = try Self.ok(chv, ["record", "harvest", "--actor", "chv", "--product", "boeuf", "--qty", "40kg", "--lot", "B1"] + day)
        _ = try Self.ok(chv, ["record", "harvest", "--actor", "chv", "--product", "oeufs", "--qty", "300piece", "--lot", "E1"] + day)
        for (product, qty, from, amount, lot) in [("tomme", "20kg", "col", "400", "HT"), ("salade", "150piece", "val", "150", "HS"),
                                                  ("boeuf", "30kg", "chv", "450", "HB"), ("oeufs", "200piece", "chv", "40", "HE")] {
            _ = try Self.ok(hub, ["record", "purchase", "--actor", "hub", "--product", product, "--qty", qty, "--from", from,
                                  "--amount", amount, "--lot", lot] + day)
        }

        // The public canteen's order, delivered line by line; eggs (no label) sold beside it.
        let order = try Self.ok(hub, ["order", "create", "--buyer", "cj", "--seller", "hub", "--line", "tomme:4kg",
                                      "--line", "salade:50piece", "--line", "boeuf:10kg"] + day)
        let tomme = try Self.ok(hub, ["record", "sale", "--actor", "hub", "--order", "\(order):1", "--lot", "HT", "--amount", "211"] + day)
        _ = try Self.ok(hub, ["record", "sale", "--actor", "hub", "--order", "\(order):2", "--lot", "HS", "--amount", "105.50"] + day)
        _ = try Self.ok(hub, ["record", "sale", "--actor", "hub", "--order", "\(order):3", "--lot", "HB", "--amount", "316.50"] + day)
        _ = try Self.ok(hub, ["record", "sale", "--actor", "hub", "--product", "oeufs", "--qty", "100piece", "--lot", "HE",
                              "--to", "cj", "--amount", "52.75"] + day)
        _ = try Self.ok(hub, ["record", "payment", "--actor", "hub", "--from", "cj", "--amount", "100", "--ref", tomme,
                              "--method", "transfer"] + day)
        // The private canteen: salads, and eggs voided (entered by mistake).
        _ = try Self.ok(hub, ["record", "sale", "--actor", "hub", "--product", "salade", "--qty", "20piece", "--lot", "HS",
                              "--to", "cp", "--amount", "42.20"] + day)
        let eggs = try Self.ok(hub, ["record", "sale", "--actor", "hub", "--product", "oeufs", "--qty", "50piece", "--lot", "HE",
                                     "--to", "cp", "--amount", "21.10"] + day)
        _ = try Self.ok(hub, ["void", eggs, "--reason", "saisie par erreur"])
        // Two drive baskets: Ana collects hers, Ben never comes.
        let ana = try Self.ok(hub, ["order", "create", "--buyer", "ana", "--seller", "hub", "--line", "salade:10piece:2"] + day)
        let ben = try Self.ok(hub, ["order", "create", "--buyer", "ben", "--seller", "hub", "--line", "salade:10piece:2"] + day)
        _ = try Self.ok(hub, ["record", "sale", "--actor", "hub", "--order", "\(ana):1", "--lot", "HS"] + day)
        _ = try Self.ok(hub, ["record", "sale", "--actor", "hub", "--order", "\(ben):1", "--lot", "HS"] + day)
        _ = try Self.ok(hub, ["order", "uncollected", ben, "--loss"])

        for _ in 0..<2 { for farm in farms { _ = try Self.ok(farm, ["sync", address]) } }

        for node in [hub] + farms {
            let report = try #require(try Self.json(node, ["report", "egalim", "--year", "2026"]) as? [[String: Any]])
            #expect(report.map { $0["buyer"] as? String } == ["cj", "cp"], "\(node.label)")
            func share(_ object: [String: Any], _ name: String) -> (Int?, Int?, Bool?) {
                let share = object[name] as? [String: Any]
                return (share?["cents"] as? Int, share?["shareBasisPoints"] as? Int, share?["met"] as? Bool)
            }
            let cj = report[0], cp = report[1]
            // cj: tomme 200 (fermier) + salade 100 (organic) + bœuf 300 (label rouge) + eggs 50 (none), before VAT.
            #expect(cj["purchases"] as? Int == 4, "\(node.label)")
            #expect(cj["totalExclVatCents"] as? Int == 65_000, "\(node.label)")
            #expect(share(cj, "quality") == (60_000, 9_231, true), "\(node.label): 600 of 650")
            #expect(share(cj, "organic") == (10_000, 1_538, false), "\(node.label): 100 of 650, below 20 %")
            #expect(share(cj, "meatAndFish") == (30_000, 10_000, true), "\(node.label): all the meat is label rouge")
            // cp: the salads only; the voided eggs count for nothing.
            #expect(cp["purchases"] as? Int == 1 && cp["totalExclVatCents"] as? Int == 4_000, "\(node.label)")
            #expect(share(cp, "organic") == (4_000, 10_000, true), "\(node.label)")

            let orders = try #require(try Self.json(node, ["order", "list"]) as? [[String: Any]])
            let status = Dictionary(uniqueKeysWithValues: orders.map { ($0["id"] as! String, $0["status"] as! String) })
            #expect(status == [order: "fulfilled", ana: "fulfilled", ben: "not-collected"], "\(node.label): \(status)")

            let balances = try #require(try Self.json(node, ["balances"]) as? [[String: Any]])
            let owed = balances.first { $0["producer"] as? String == "hub" && $0["party"] as? String == "cj" }
            #expect(owed?["balanceCents"] as? Int == 58_575, "\(node.label): 685,75 € of sales less the 100 € paid: \(String(describing: owed))")
            let ownedByCol = balances.first { $0["producer"] as? String == "hub" && $0["party"] as? String == "col" }
            #expect(ownedByCol?["balanceCents"] as? Int == -40_000, "\(node.label): the hub owes col for its tomme")

            let losses = "\(try Self.json(node, ["report", "losses"]))"
            #expect(losses.contains("unsold") && losses.contains("salade"), "\(node.label): \(losses)")
            #expect((try Self.json(node, ["conflicts"]) as? [Any])?.isEmpty == true, "\(node.label)")
        }
    }
}
