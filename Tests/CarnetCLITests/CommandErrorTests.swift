import Foundation
import Testing

/// Bad input gives one sentence on stderr, nothing on stdout, and the documented status.
struct CommandErrorTests {

    @Test func badInputsSayWhatIsWrong() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        try box.seedLedger()
        let sale = ["record", "sale", "--producer", "col", "--lot", "L1", "--to", "cantine", "--amount", "10"]
        expectError(try box.run(sale + ["--product", "tome", "--qty", "1kg"]), 65, "unknown product \"tome\"")
        expectError(try box.run(sale + ["--product", "tome", "--qty", "1kg"]), 65, "carnet product set tome")
        expectError(try box.run(sale + ["--product", "tomme", "--qty", "12kx"]), 65, "\"kx\" is not a unit")
        expectError(try box.run(sale + ["--product", "tomme", "--qty", "0,0005kg"]), 65, "finer than one g")
        expectError(try box.run(sale + ["--product", "tomme", "--qty", "3piece"]), 65, "tomme is counted in kg or g")
        expectError(try box.run(["record", "sale", "--producer", "col", "--product", "tomme", "--qty", "1kg", "--lot", "L9",
                                 "--to", "cantine", "--amount", "10"]), 65, "lot \"L9\" of producer col is unknown")
        expectError(try box.run(["record", "harvest", "--producer", "ghost", "--product", "tomme", "--qty", "1kg", "--lot", "L2"]),
                    65, "unknown party \"ghost\" (--actor)")
        expectError(try box.run(["record", "harvest", "--producer", "cantine", "--product", "tomme", "--qty", "1kg", "--lot", "L2"]),
                    65, "cantine is a canteen, and a harvest belongs to a farm")
        // --force lets a name made on another node through.
        #expect(try box.ok(["record", "harvest", "--producer", "ghost", "--product", "tomme", "--qty", "1kg", "--lot", "L2", "--force"])
            .hasPrefix("harvest-"))
        expectError(try box.run(["recrod"]), 64, "did you mean `record`?")
        expectError(try box.run(["record", "sale", "--prodcer", "col"]), 64, "did you mean --producer?")
        expectError(try box.run(["record", "sael", "--producer", "col"]), 64, "did you mean `sale`?")
        expectError(try box.run(["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "1kg"]), 64, "needs --lot")
        expectError(try box.run(["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "1kg", "--lot", "L1",
                                 "--to", "cantine"]), 64, "--to does not apply to a harvest")
        expectError(try box.run(["product", "lst"]), 64, "did you mean `carnet product list`?")
        expectError(try box.run(["show", "nope"]), 65, "no entry \"nope\"")
        expectError(try box.run(["status"], node: "missing"), 66, "holds no Carnet node")
        expectError(try box.run(["init", "--ledger", "coop", "--label", "again", "--secret-file", box.path("ledger.secret")]),
                    73, "already holds a Carnet node")
        expectError(try box.run(["secret", "new", "--out", box.path("ledger.secret")], node: nil), 73, "already exists")
        expectError(try box.run(["bundle", "apply", box.path("none.bundle")]), 66, "does not exist")
    }

    @Test func helpSecretsAndTheDataDirectory() throws {
        let box = try Sandbox()
        let help = try box.run(["record", "--help"], node: nil)
        #expect(help.status == 0)
        #expect(help.stdout.contains("usage: carnet record KIND [--actor P] [--producer P]"))
        #expect(help.stdout.contains("--force"))
        #expect(help.stdout.contains("example"))
        let overview = try box.run(["help"], node: nil)
        #expect(overview.stdout.contains("Exit status") && overview.stdout.contains(" 65  "))

        let secret = try box.ok(["secret", "new"], node: nil).trimmedLine
        #expect(secret.range(of: "^[0-9a-f]{64}$", options: .regularExpression) != nil)
        let file = box.path("s.secret")
        try box.ok(["secret", "new", "--out", file], node: nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        // $CARNET_DIR is used when --dir is not given.
        let environment = ["NO_COLOR": "1", "HOME": box.root, "CARNET_DIR": box.path("env-node")]
        let created = try CommandLineTests.carnet(["init", "--ledger", "coop", "--label", "env", "--secret-file", file], environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(FileManager.default.fileExists(atPath: box.path("env-node/node")))
        #expect(FileManager.default.fileExists(atPath: box.path("env-node/secret")))
        let status = try CommandLineTests.carnet(["status", "--json"], environment: environment)
        #expect(status.stdout.contains("\"label\": \"env\""))
    }
}
