import CarnetLedger

/// `carnet balances [--json]`: money owed between producers and parties.
struct BalancesCommand: Command {
    static let spec = CommandSpec(
        path: ["balances"], summary: "money owed between producers and parties",
        options: [.json],
        discussion: """
        Sales minus payments received, minus purchases. Positive: the party owes the
        producer; negative: the producer owes the party. JSON: an array of {producer,
        party, balanceCents}.
        """,
        examples: ["carnet balances --json"]
    )

    var json: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let views = try ViewsAccess.read(context, parts: [.balances, .catalog])
        let balances = views.balances
        if json {
            context.output.json(.array(balances.map {
                .object(["producer": .string($0.producer), "party": .string($0.party), "balanceCents": .int($0.cents)])
            }))
            return
        }
        guard !balances.isEmpty else {
            context.output.line("no money owed: no sales, payments or purchases yet")
            return
        }
        let output = context.output
        var table = Table([("producer", .left), ("party", .left), ("name", .left), ("balance", .right), ("", .left)])
        for balance in balances {
            let meaning = balance.cents > 0 ? "owed to the producer" : balance.cents < 0 ? "owed by the producer" : "settled"
            table.add([balance.producer, balance.party, views.catalog.partyName(balance.party) ?? "",
                       Display.money(balance.cents), output.dim(meaning)])
        }
        table.print(output)
    }
}
