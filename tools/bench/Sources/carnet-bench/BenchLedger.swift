import Foundation

/// The ledger the process scenarios make (`--only cold-open`): format 1, every node given
/// the shared secret; or, with `--signed`, a signed ledger with members (SPEC §9.5), which
/// the hub creates and where each new node joins with the ledger file and is enrolled by
/// the hub with every producer's role, as a co-op's devices are. Every writer's and every
/// saver's path on the hub then runs under the members' rules.
struct BenchLedger {
    let root: String
    let signed: Bool
    let name = "bench"
    var secret: String { root + "/ledger.secret" }
    var file: String { root + "/bench.ledger" }

    /// Makes the hub's node at `hub`: the ledger's creator when signed.
    func createHub(_ hub: String) {
        let binary = ProcessBench.binary
        if signed {
            _ = ChildProcess.ok(binary, ["--dir", hub, "ledger", "create", "--ledger", name, "--label", "hub", "--out", file])
        } else {
            _ = ChildProcess.ok(binary, ["secret", "new", "--out", secret])
            _ = ChildProcess.ok(binary, ["--dir", hub, "init", "--ledger", name, "--label", "hub", "--secret-file", secret])
        }
    }

    /// Makes a new node of the ledger at `directory`; when signed, `hub` enrols it (a write
    /// on the hub, while it serves or not).
    func join(_ directory: String, label: String, hub: String) {
        let binary = ProcessBench.binary
        guard signed else {
            _ = ChildProcess.ok(binary, ["--dir", directory, "init", "--ledger", name, "--label", label, "--secret-file", secret])
            return
        }
        _ = ChildProcess.ok(binary, ["--dir", directory, "init", "--ledger-file", file, "--label", label])
        let status = ChildProcess.json(ChildProcess.ok(binary, ["--dir", directory, "status", "--json"]))
        guard let node = status["node"] as? String else { fail("\(directory): status names no node", code: 70) }
        _ = ChildProcess.ok(binary, ["--dir", hub, "member", "add", node, "--role", "producer:*", "--label", label])
    }
}
