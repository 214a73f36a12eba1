import Foundation
import Testing

/// Issue 19's must-show: a large hub answers `carnet stock` while the `carnet serve` on the
/// same directory is receiving a large batch from a farm, with real processes on
/// 127.0.0.1. Each answer is the stock of a state the hub really held (the hub's own
/// harvests, and a prefix of the farm's in the order the farm wrote them), never a mix.
///
/// Sizes: the issue says a 100k hub; in a debug build, importing 100k entries alone takes
/// about 30 s and a `stock` that must open the store about 10 s, so the test uses a hub of
/// 30k harvests and a batch of 20k: about 25 s in a debug build. The release figures at
/// 100k and 1M are in BENCHMARKS.md §12.
@Suite(.serialized)
struct StockUnderLoadTests {
    static let hubEntries = 30_000
    static let farmEntries = 20_000
    /// Products the harvests go round: the farm's n-th harvest (from 0) is 1 piece of
    /// product n mod `products`, so a prefix of m harvests leaves product p with
    /// ⌈(m − p) / products⌉ pieces: a staircase a torn state would not draw.
    static let products = 40

    @Test func stockAnswersWhileServeReceivesALargeBatch() throws {
        let box = try Sandbox()
        let secret = box.path("ledger.secret")
        try box.ok(["secret", "new", "--out", secret], node: nil)
        let hub = try SyncProcessTests.ServedNode(root: box.root, label: "hub", secretFile: secret)
        try box.ok(["init", "--ledger", "plateau", "--label", "farm", "--secret-file", secret], node: "farm")
        try Self.workload(farm: "F00", entries: Self.hubEntries).write(toFile: box.path("hub.jsonl"), atomically: true, encoding: .utf8)
        try Self.workload(farm: "F01", entries: Self.farmEntries).write(toFile: box.path("farm.jsonl"), atomically: true, encoding: .utf8)
        try box.ok(["import", box.path("hub.jsonl")], node: "hub")
        try box.ok(["import", box.path("farm.jsonl")], node: "farm")
        #expect(try Self.stock(box.run(["stock", "--json"], node: "hub")).farm == 0)

        try hub.start()
        let sync = Process()
        sync.executableURL = try CommandLineTests.executable()
        sync.arguments = ["--dir", box.path("farm"), "sync", "127.0.0.1:\(hub.port)", "--json", "--timeout", "60"]
        sync.standardOutput = Pipe()
        let syncErrors = Pipe()
        sync.standardError = syncErrors
        try sync.run()

        // `stock` again and again while the sync runs, and once after it ended.
        var answers: [(farm: Int, seconds: Double, duringSync: Bool)] = []
        var syncEnded = false
        while !syncEnded {
            syncEnded = !sync.isRunning
            let started = Date()
            let run = try box.run(["stock", "--json"], node: "hub")
            let seconds = Date().timeIntervalSince(started)
            #expect(run.status == 0, "stock during the sync → \(run.status): \(run.stderr)")
            guard run.status == 0 else { break }
            let figures = try Self.stock(run)
            #expect(figures.hub == Self.hubEntries, "the hub's own stock changed: \(figures.hub)")
            #expect(figures.consistent, "a torn stock: \(figures.perProduct)")
            answers.append((figures.farm, seconds, !syncEnded))
        }
        sync.waitUntilExit()
        let (served, log) = hub.stop()
        let syncLog = String(decoding: syncErrors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(sync.terminationStatus == 0, "sync: \(syncLog)")
        #expect(served == 0, "serve: \(log)")

        let farmFigures = answers.map(\.farm)
        print("stock under load: \(answers.map { "\($0.farm)@\(String(format: "%.2f", $0.seconds))s\($0.duringSync ? "" : " after")" })")
        #expect(answers.filter(\.duringSync).count >= 2, "stock answered only \(answers.count) times; the sync was too short to overlap")
        #expect(farmFigures == farmFigures.sorted(), "the stock went back: \(farmFigures)")
        #expect(farmFigures.last == Self.farmEntries, "after the sync: \(farmFigures)")
        // Generous: 10 times what a debug `stock` opening the store takes on a quiet machine.
        let slowest = answers.map(\.seconds).max() ?? 0
        #expect(slowest < 60, "the slowest stock took \(slowest) s")
    }

    /// The hub's stock: F00's pieces, F01's per product, and whether F01's are a prefix's.
    struct Figures {
        var hub = 0
        var perProduct = [Int](repeating: 0, count: StockUnderLoadTests.products)
        var farm: Int { perProduct.reduce(0, +) }
        /// The staircase of a prefix of m harvests: each product holds ⌈(m − p) / products⌉.
        var consistent: Bool {
            let m = farm
            return perProduct.indices.allSatisfy { p in perProduct[p] == max(0, (m - p + StockUnderLoadTests.products - 1) / StockUnderLoadTests.products) }
        }
    }

    static func stock(_ run: CommandLineTests.Run) throws -> Figures {
        let lines = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]], "stock: \(run.stdout) \(run.stderr)")
        var figures = Figures()
        for line in lines {
            let quantity = line["quantity"] as? Int ?? 0
            guard let product = (line["product"] as? String).flatMap({ Int($0.dropFirst()) }) else { continue }
            switch line["producer"] as? String {
            case "F00": figures.hub += quantity
            case "F01": figures.perProduct[product] += quantity
            default: break
            }
        }
        return figures
    }

    /// A workload file (`producer-ledger-workload/1`) of `entries` harvests by `farm`, one
    /// piece each, going round `products` products and lots.
    static func workload(farm: String, entries: Int) -> String {
        var text = #"{"t":"meta","schema":"producer-ledger-workload/1","seed":1,"farms":1,"days":1,"products":\#(products),"#
            + #""entries":\#(entries),"start":"2026-03-02","hub":"HUB","actors":["HUB","\#(farm)"],"#
            + #""counts":{"entry":\#(entries),"cat":\#(products),"sync":0},"kinds":{"harvest":\#(entries)},"conflict_groups":0}"# + "\n"
        for p in 0..<products {
            text += #"{"t":"cat","actor":"HUB","date":"2026-03-02","product":"P\#(p)","set":{"name":"Produit \#(p)","unit":"pc","#
                + #""price":100,"category":"legume","vat":550,"active":true}}"# + "\n"
        }
        for n in 0..<entries {
            text += #"{"t":"entry","id":"\#(farm)-\#(n + 1)","farm":"\#(farm)","date":"2026-03-02","kind":"harvest","#
                + #""product":"P\#(n % products)","qty":1,"unit":"pc","lot":"L\#(farm)-\#(n % products)"}"# + "\n"
        }
        return text
    }
}
