import CarnetCore
import CarnetNode

/// `carnet secret install FILE`: makes FILE this node's ledger secret, after another
/// node rotated it. The old secret is kept only to tell peers still on it how to rejoin.
struct SecretInstallCommand: Command {
    static let spec = CommandSpec(
        path: ["secret", "install"], summary: "make FILE (a rotated ledger secret) this node's secret",
        arguments: [ArgumentSpec(name: "FILE", help: "the new secret, from `carnet secret rotate` on another node")],
        discussion: """
        Run it on every node after one of them ran `carnet secret rotate`. The node's previous secret
        moves to its `retired-secrets` file. A running `carnet serve` uses the new secret from its next
        session. Installing the secret the node already has changes nothing. FILE must be what
        `carnet secret new` or `rotate` writes (64 lowercase hex digits), readable by its owner
        only (`chmod 600 FILE`). Secrets are named by their id, never shown.
        """,
        examples: ["carnet secret install ledger-2026-11.secret"]
    )

    var file: String

    init(_ invocation: Invocation) throws {
        file = invocation.arguments[0]
    }

    func run(in context: Context) throws {
        let secret = try LedgerSecret.load(file: file)
        let current = try LedgerSecret.load(directory: context.directory)
        if try secret.install(directory: context.directory, note: Self.note(context, verb: "installed")) {
            context.output.line("""
                installed the ledger secret from \(file) (id \(secret.id)); it replaces the secret with id \(current.id), \
                now retired (peers still on it are told how to rejoin)
                """)
        } else {
            context.output.line("\(file) already is this node's ledger secret (id \(secret.id)); nothing changed")
        }
    }

    /// "replaced on 2026-11-29 (rotated by hub)": what a peer still on the old secret reads.
    static func note(_ context: Context, verb: String) -> String {
        let label = (try? NodeDirectory.identity(of: context.directory))?.label
        return "replaced on \(context.today().iso)" + (label.map { " (\(verb) by \($0))" } ?? "")
    }
}
