import Foundation
import Testing

/// The accounting tools a treasurer knows: found on the usual paths, run as processes.
/// When one is missing, the tests that need it are skipped, saying why, unless
/// CARNET_REQUIRE_HLEDGER=1 (set by .ci/run, which installs both): then they fail.
enum AccountingTools {
    static let hledger = find("hledger")
    static let ledger = find("ledger")
    static let required = ProcessInfo.processInfo.environment["CARNET_REQUIRE_HLEDGER"] == "1"
    static let hledgerShouldRun = hledger != nil || required
    static let ledgerShouldRun = ledger != nil || required

    private static func find(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/", "/opt/homebrew/bin/"].map { $0 + name }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ tool: String?, _ name: String, _ arguments: [String]) throws -> CommandLineTests.Run {
        guard let tool else {
            throw ToolMissing("\(name) is not installed; install it with `apt-get install -y \(name)` (CARNET_REQUIRE_HLEDGER=1 makes this a failure)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": NSTemporaryDirectory()]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandLineTests.Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                                    stderr: String(decoding: stderr, as: UTF8.self))
    }
}

struct ToolMissing: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Issue 20, item 6: `carnet export --hledger FILE`, a journal a treasurer opens with the
/// tools they know. A scripted scenario through the real binary (farms, the hub buying from
/// a farm and selling to a canteen at 10 %, a payment, a void, a party whose code hledger
/// would misread), exported, checked by hledger in strict mode, its balances compared
/// with `carnet balances`, and read by ledger.
struct HledgerExportTests {
    /// The party code with a colon, two spaces and a semicolon, as the journal escapes it.
    static let trickyParty = "a:b  ;c"
    static let trickyAccount = "a%3Ab%20%20%3Bc"

    /// Builds the scenario on node a and returns the journal's path and text.
    private func scenario(_ box: borrowing Sandbox) throws -> (path: String, text: String) {
        try box.initNode("a", label: "hub")
        try box.ok(["party", "set", "col", "--name", "Ferme du Col", "--kind", "farm"])
        try box.ok(["party", "set", "bois", "--name", "Ferme des Bois", "--kind", "farm"])
        try box.ok(["party", "set", "hub", "--name", "Tiers-lieu", "--kind", "hub"])
        try box.ok(["party", "set", "cj", "--name", "Cantine Jaurès", "--kind", "canteen-public"])
        try box.ok(["party", "set", Self.trickyParty, "--name", "Épicerie", "--kind", "shop"])
        try box.ok(["party", "set", "cantine-école", "--name", "Cantine de l'école", "--kind", "canteen-public"])
        try box.ok(["product", "set", "tomme", "--name", "Tomme", "--unit", "kg", "--price", "24"])
        try box.ok(["product", "set", "yaourt", "--name", "Yaourt", "--unit", "piece", "--price", "1"])
        try box.ok(["product", "set", "jus", "--name", "Jus", "--unit", "l", "--price", "3", "--vat", "20"])

        try box.ok(["record", "harvest", "--actor", "col", "--product", "tomme", "--qty", "12kg", "--lot", "L1", "--date", "2026-06-01"])
        try box.ok(["record", "sale", "--actor", "col", "--product", "tomme", "--qty", "2kg", "--lot", "L1", "--to", "cj",
                    "--date", "2026-06-02"])
        try box.ok(["record", "sale", "--actor", "col", "--product", "tomme", "--qty", "1kg", "--lot", "L1", "--to", "cantine-école",
                    "--amount", "12", "--date", "2026-06-02"])
        let mistake = try box.ok(["record", "sale", "--actor", "col", "--product", "tomme", "--qty", "1kg", "--lot", "L1",
                                  "--to", "cj", "--amount", "25,50", "--date", "2026-06-02"]).trimmedLine
        try box.ok(["void", mistake, "--reason", "entered twice", "--date", "2026-06-03"])
        try box.ok(["record", "delivery", "--actor", "col", "--product", "tomme", "--qty", "3kg", "--lot", "L1", "--to", "hub",
                    "--date", "2026-06-03"])
        try box.ok(["record", "purchase", "--actor", "hub", "--product", "yaourt", "--qty", "100piece", "--from", "col",
                    "--amount", "60", "--lot", "H1", "--date", "2026-06-04"])
        let sale = try box.ok(["record", "sale", "--actor", "hub", "--product", "yaourt", "--qty", "40piece", "--lot", "H1",
                               "--to", "cj", "--vat", "10", "--date", "2026-06-05"]).trimmedLine
        try box.ok(["record", "payment", "--actor", "hub", "--from", "cj", "--amount", "40", "--ref", sale, "--method", "transfer",
                    "--date", "2026-06-06"])
        try box.ok(["record", "harvest", "--actor", "bois", "--product", "jus", "--qty", "10l", "--lot", "B1", "--date", "2026-06-01"])
        try box.ok(["record", "sale", "--actor", "bois", "--product", "jus", "--qty", "2l", "--lot", "B1", "--to", Self.trickyParty,
                    "--amount", "7,77", "--date", "2026-06-06"])
        try box.ok(["record", "purchase", "--actor", "hub", "--product", "jus", "--qty", "2l", "--from", "bois", "--amount", "12",
                    "--lot", "J1", "--date", "2026-06-07"])
        try box.ok(["record", "loss", "--actor", "hub", "--product", "yaourt", "--qty", "5piece", "--lot", "H1", "--reason", "expired",
                    "--date", "2026-06-08"])

        let path = box.path("coop.journal")
        let out = try box.ok(["export", "--hledger", path])
        #expect(out == "wrote 13 entries to \(path)\n")
        // A journal is a document for the treasurer: group and others may read it, as the
        // umask allows (it was written 0600, like a secret).
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o666 & ~Self.umask, "mode \(String(mode, radix: 8))")
        return (path, try String(contentsOfFile: path, encoding: .utf8))
    }

    /// The test process's umask, read from /proc (setting it to read it would race).
    static var umask: Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") } ?? "Umask:\t0022"
        return Int(line.dropFirst(6).filter { $0 != " " && $0 != "\t" }, radix: 8) ?? 0o022
    }

    @Test func theJournalHoldsOneTransactionPerEntryTaggedWithItsEvent() throws {
        let box = try Sandbox()
        let (_, text) = try scenario(box)
        let log = try #require(try box.json(["log"]) as? [[String: Any]])
        let headers = text.split(separator: "\n").filter { $0.first?.isNumber == true }
        #expect(headers.count == log.count)
        for entry in log {
            let id = try #require(entry["id"] as? String)
            #expect(headers.contains { $0.contains("; entry:\(id), event:") && $0.contains(", hash:") }, "no transaction for \(id)")
        }
        #expect(text.hasPrefix("; Carnet ledger coop, node hub ("))
        #expect(text.contains("\ncommodity 1000.00 EUR\n"))
        #expect(text.contains("\naccount assets:receivable:bois:\(Self.trickyAccount)\n"))
        #expect(text.contains("\naccount liabilities:payable:hub:col\n"))
        #expect(text.contains("\naccount assets:receivable:col:cantine-école\n"), "letters beyond ASCII are kept")
        // The hub's sale at 10 %: 40.00, of which 36.36 before VAT and 3.64 of VAT.
        #expect(text.contains("\n2026-06-05 hub | sale yaourt to cj  ; entry:sale-"))
        let lines = text.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines.contains("assets:receivable:hub:cj 40.00 EUR"))
        #expect(lines.contains("revenue:sales:hub -36.36 EUR"))
        #expect(lines.contains("liabilities:vat:collected:hub -3.64 EUR"))
        #expect(text.contains("col | reversal of sale-"))
        #expect(text.contains(", voided-by:reversal-"))
        #expect(text.contains("\n2026-06-08 hub | loss yaourt  ; entry:loss-"))
    }

    @Test(.enabled(if: AccountingTools.hledgerShouldRun, "hledger is not installed (`apt-get install -y hledger`; .ci/run installs it)"))
    func hledgerChecksTheJournalStrictlyAndItsBalancesAreCarnets() throws {
        let box = try Sandbox()
        let (path, _) = try scenario(box)
        let check = try AccountingTools.run(AccountingTools.hledger, "hledger", ["-f", path, "check", "-s"])
        #expect(check.status == 0, "hledger check -s: \(check.stderr)")

        let report = try AccountingTools.run(AccountingTools.hledger, "hledger",
                                             ["-f", path, "balance", "^assets:receivable:", "^liabilities:payable:", "-E", "-O", "csv", "--no-total"])
        #expect(report.status == 0, "hledger balance: \(report.stderr)")
        var fromHledger: [String: Int64] = [:]
        for line in report.stdout.split(whereSeparator: \.isNewline).dropFirst() {
            let cells = line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            try #require(cells.count == 2, "a balance line: \(line)")
            let account = cells[0].split(separator: ":").dropFirst(2).joined(separator: ":")
            fromHledger[account, default: 0] += try #require(Self.cents(cells[1]), "an amount: \(cells[1])")
        }
        var fromCarnet: [String: Int64] = [:]
        for balance in try #require(try box.json(["balances"]) as? [[String: Any]]) {
            let party = balance["party"] as? String == Self.trickyParty ? Self.trickyAccount : balance["party"] as? String ?? "?"
            fromCarnet["\(balance["producer"] as? String ?? "?"):\(party)", default: 0] += Int64(balance["balanceCents"] as? Int ?? -1)
        }
        #expect(fromCarnet == ["col:cj": 4_800, "col:cantine-école": 1_200, "hub:cj": 0, "hub:col": -6_000, "hub:bois": -1_200,
                               "bois:\(Self.trickyAccount)": 777], "the scenario's balances")
        #expect(fromHledger.filter { $0.value != 0 } == fromCarnet.filter { $0.value != 0 }, "hledger: \(report.stdout)")

        // The whole journal sums to zero, and the VAT is what the hub owes and may deduct.
        let vat = try AccountingTools.run(AccountingTools.hledger, "hledger", ["-f", path, "balance", "vat", "-O", "csv", "--no-total"])
        #expect(vat.stdout.contains("\"liabilities:vat:collected:hub\",\"-3.64 EUR\""), "\(vat.stdout)")
        #expect(vat.stdout.contains("\"assets:vat:deductible:hub\",\"5.13 EUR\""), "3.13 on 60 € at 5.5 %, 2.00 on 12 € at 20 %: \(vat.stdout)")
        let tagged = try AccountingTools.run(AccountingTools.hledger, "hledger", ["-f", path, "print", "tag:lot=L1"])
        #expect(tagged.stdout.contains("harvest tomme") && tagged.stdout.contains("delivery tomme to hub"))
    }

    @Test(.enabled(if: AccountingTools.ledgerShouldRun, "ledger is not installed (`apt-get install -y ledger`; .ci/run installs it)"))
    func ledgerReadsTheJournalToo() throws {
        let box = try Sandbox()
        let (path, _) = try scenario(box)
        let run = try AccountingTools.run(AccountingTools.ledger, "ledger", ["-f", path, "balance"])
        #expect(run.status == 0, "ledger balance: \(run.stderr)")
        #expect(run.stderr.isEmpty, "ledger warned: \(run.stderr)")
        #expect(run.stdout.contains("-3.64 EUR"), "\(run.stdout)")
    }

    @Test func badInvocationsSayOneSentenceAndWriteNothing() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "hub")
        try box.seedLedger()
        let kept = box.path("kept.journal")
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: kept))
        expectError(try box.run(["export"]), 64, "`carnet export` needs --csv FILE or --hledger FILE")
        expectError(try box.run(["export", "--hledger", kept, "--csv", box.path("x.csv")]), 64, "give --csv FILE or --hledger FILE, not both")
        expectError(try box.run(["export", "--hledger", ""]), 64, "--hledger needs a file name")
        let intoFolder = try box.run(["export", "--hledger", box.root])
        #expect(intoFolder.status != 0)
        #expect(intoFolder.stderr.split(separator: "\n").count == 1, "one line: \(intoFolder.stderr)")
        #expect(try String(contentsOfFile: kept, encoding: .utf8) == "old\n", "a refused export replaced the file")
        #expect(!FileManager.default.fileExists(atPath: box.path("x.csv")))

        // An entry the tools cannot read (ledger reads no year before 1400): the whole
        // export is refused, the file left as it was.
        try box.ok(["record", "harvest", "--actor", "col", "--product", "tomme", "--qty", "1kg", "--lot", "OLD", "--date", "1200-01-01"])
        expectError(try box.run(["export", "--hledger", kept]), 65, "is dated in the year 1200, which hledger and ledger cannot both read (years 1400 to 9999); nothing written")
        #expect(try String(contentsOfFile: kept, encoding: .utf8) == "old\n", "a refused export replaced the file")
        try box.ok(["export", "--csv", box.path("x.csv")])
    }

    /// `40.00 EUR`, `-72.00 EUR`, `0` as cents.
    static func cents(_ text: String) -> Int64? {
        var number = text.hasSuffix(" EUR") ? String(text.dropLast(4)) : text
        if number == "0" { return 0 }
        let negative = number.hasPrefix("-")
        if negative { number.removeFirst() }
        let parts = number.split(separator: ".")
        guard parts.count == 2, parts[1].count == 2, let whole = Int64(parts[0]), let fraction = Int64(parts[1]) else { return nil }
        return (negative ? -1 : 1) * (whole * 100 + fraction)
    }
}
