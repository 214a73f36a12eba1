import CarnetLinkSim
import CarnetNet
import CarnetTestKit
import Foundation
import Testing

/// Issue 21, item 8: what the terminal says is what the ledger holds, in the units people
/// use, with advice that makes sense. Each test failed before its fix.
struct TerminalTruthsTests {
    /// A product sold by the kilo, all of it delivered: what the farms hold is `0 kg`,
    /// not `0 g` (which read as if the cheese were counted in grams).
    @Test func zeroIsSaidInTheUnitTheProductIsSoldBy() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.seedLedger()
        try box.ok(["party", "set", "hub", "--name", "La Coop", "--kind", "hub"])
        try box.ok(["record", "delivery", "--producer", "col", "--product", "tomme", "--qty", "12kg", "--lot", "L1", "--to", "hub"])
        let table = try box.ok(["availability"])
        let row = try #require(table.split(separator: "\n").first { $0.hasPrefix("tomme") }, "\(table)")
        #expect(row.contains(" 0 kg"), "\(row)")
        #expect(!row.contains(" 0 g"), "\(row)")
        #expect(row.contains("12 kg"), "\(row)")
    }

    /// `log --changes` shows a price in euros per kg and a unit as `product list` does,
    /// not the stored cents and grams; its JSON keeps the stored form.
    @Test func catalogChangesReadAsTheRestOfTheCLI() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.seedLedger()
        try box.ok(["product", "set", "tomme", "--name", "Tomme de brebis", "--unit", "kg", "--price", "1.75"])
        let changes = try box.ok(["log", "--changes"])
        let price = try #require(changes.split(separator: "\n").first { $0.contains("product/tomme.price") }, "\(changes)")
        #expect(price.contains("1,75 €/kg"), "\(price)")
        #expect(!price.contains(" 175"), "\(price)")
        let unit = try #require(changes.split(separator: "\n").first { $0.contains("product/tomme.unit") }, "\(changes)")
        #expect(unit.hasSuffix(" kg") || unit.contains(" kg "), "\(unit)")
        #expect(!unit.contains(" g"), "\(unit)")
        let json = try #require(try box.json(["log", "--changes"]) as? [[String: Any]])
        #expect(json.first { $0["subject"] as? String == "product/tomme.price" }?["value"] as? String == "175")
    }

    /// A harvest recorded with the hub as its actor: the advice is to name the farm the
    /// harvest belongs to, never to turn the hub into a farm.
    @Test func aHubAsProducerIsToldToNameAFarm() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.seedLedger()
        try box.ok(["party", "set", "hub", "--name", "La Coop", "--kind", "hub"])
        let run = try box.run(["record", "harvest", "--producer", "hub", "--product", "tomme", "--qty", "1kg", "--lot", "L2"])
        #expect(run.status == 65, "\(run.status): \(run.stderr)")
        #expect(run.stderr.contains("hub is a hub, and a harvest belongs to a farm"), "\(run.stderr)")
        #expect(!run.stderr.contains("--kind farm"), "suggests making the hub a farm: \(run.stderr)")
        #expect(run.stderr.contains("as --actor"), "\(run.stderr)")
        #expect(run.stderr.contains("(here: col)"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    }

    /// `status` names every node of the version vector whose label the ledger carries, not
    /// only itself, on the fast path (status and views files) as after opening the store.
    @Test func statusNamesEveryKnownNode() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.initNode("b", label: "hub-pc")
        try box.seedLedger("b")
        try box.ok(["merge", box.path("b")], node: "a")
        let status = try #require(try box.json(["status"], node: "a") as? [String: Any])
        #expect(status["fromStatusFile"] as? Bool == true)
        let labels = try #require(status["labels"] as? [String: String], "\(status)")
        #expect(Set(labels.values) == ["col-laptop", "hub-pc"], "\(labels)")
        let table = try box.ok(["status"], node: "a")
        let vector = table.components(separatedBy: "version vector:").last ?? ""
        #expect(vector.contains("hub-pc"), "\(table)")
        #expect(vector.contains("col-laptop"), "\(table)")
    }

    /// A sync cut mid-way says what the peer confirmed storing, not the events written to
    /// the socket as if they had arrived: what it reports as stored is at most what the
    /// hub gained.
    @Test func aCutSyncSaysWhatThePeerConfirmed() throws {
        let box = try Sandbox()
        try box.initNode("hub", label: "hub")
        try box.initNode("farm", label: "farm")
        try box.seedLedger("farm")
        var random = SplitMix64(seed: 21)
        let backlog = box.path("backlog.jsonl")
        _ = try ChaosBacklog.write(to: backlog, farm: "col", prefix: "B", count: 600, random: &random)
        try box.ok(["import", backlog], node: "farm")
        let hubBefore = try #require(try box.json(["status"], node: "hub") as? [String: Any])["events"] as? Int ?? -1

        let serve = try ServeProcess(directory: box.path("hub"))
        defer { serve.stop() }
        let port = try #require(serve.port, "serve printed: \(serve.firstLine)")
        var profile = LinkProfile()
        profile.cutAfterBytes = 64 << 10
        let link = try LinkSimulator(target: SocketAddress(host: "127.0.0.1", port: UInt16(port)), profile: profile)
        defer { link.stop() }

        let run = try box.run(["sync", "127.0.0.1:\(link.address.port)"], node: "farm")
        #expect(run.status == 69, "\(run.status): \(run.stdout) \(run.stderr)")
        let sent = try #require(run.stdout.split(separator: "\n").first { $0.contains("sent") }, "\(run.stdout)")
        #expect(sent.contains("before the session stopped"), "\(sent)")
        let confirmed = try #require(Self.number(after: "the peer confirmed storing ", in: String(sent)), "\(sent)")
        serve.stop()
        let hubAfter = try #require(try box.json(["status"], node: "hub") as? [String: Any])["events"] as? Int ?? -1
        #expect(confirmed <= hubAfter - hubBefore, "claimed \(confirmed) stored, the hub gained \(hubAfter - hubBefore): \(sent)")
    }

    static func number(after marker: String, in text: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }
}
