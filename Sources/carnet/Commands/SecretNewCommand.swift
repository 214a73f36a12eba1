import CarnetNode

/// `carnet secret new [--out FILE]`: a fresh ledger secret, 32 random bytes from the
/// system's cryptographic source, as 64 lowercase hex digits.
struct SecretNewCommand: Command {
    static let spec = CommandSpec(
        path: ["secret", "new"], summary: "print (or write, mode 0600) a fresh random ledger secret",
        options: [.value("--out", "FILE", "write the secret to FILE (created with mode 0600; never overwritten)")],
        discussion: "Every node of a ledger holds the same secret: create it once, then give the file to each `carnet init`.",
        examples: ["carnet secret new --out ledger.secret"]
    )

    var out: String?

    init(_ invocation: Invocation) throws {
        out = try invocation.nonEmpty("--out")
    }

    func run(in context: Context) throws {
        let secret = LedgerSecret.generate()
        guard let out else {
            context.output.line(String(secret.text.dropLast()))
            return
        }
        try Files.createExclusive(out, Array(secret.text.utf8), what: "an existing file")
        context.output.line("wrote a new ledger secret (id \(secret.id)) to \(out) (mode 0600); give it to `carnet init --secret-file` on every node")
    }
}
