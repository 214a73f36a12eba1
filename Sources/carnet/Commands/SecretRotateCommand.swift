import CarnetNode

/// `carnet secret rotate --out FILE`: a new ledger secret for this node, written to FILE
/// for the others. After a stolen device or a member leaving, rotation is how the ledger
/// stops accepting the old secret; nodes still on it are refused with a message naming
/// the way back (`carnet secret install`).
struct SecretRotateCommand: Command {
    static let spec = CommandSpec(
        path: ["secret", "rotate"], summary: "replace this node's ledger secret with a new one, written to FILE for the others",
        options: [.value("--out", "FILE", "where to write the new secret (created with mode 0600; never overwritten)", required: true)],
        discussion: """
        The old secret is kept in the node's `retired-secrets` file, only to tell a peer that still
        uses it how to rejoin: such a peer is refused ("secret-retired") with a message saying to
        run `carnet secret install FILE`. Give FILE to every other node over a channel you trust
        (in person, a USB stick) and run `carnet secret install FILE` there. A running
        `carnet serve` uses the new secret from its next session.
        """,
        examples: ["carnet secret rotate --out ledger-2026-11.secret"]
    )

    var out: String

    init(_ invocation: Invocation) throws {
        out = try invocation.required("--out")
    }

    func run(in context: Context) throws {
        let current = try LedgerSecret.load(directory: context.directory)
        var secret = LedgerSecret.generate()
        while secret == current { secret = LedgerSecret.generate() }
        try Files.createExclusive(out, Array(secret.text.utf8), what: "an existing file")
        try secret.install(directory: context.directory, note: SecretInstallCommand.note(context, verb: "rotated"))
        context.output.text("""
            this node now uses the new ledger secret (id \(secret.id), replacing id \(current.id)) written to \(out) (mode 0600).
            Give that file to every other node and run `carnet secret install \(out)` there;
            until then they are refused, with a message saying how to rejoin.
            """)
    }
}
