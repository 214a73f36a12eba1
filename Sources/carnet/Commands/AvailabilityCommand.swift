import CarnetLedger

/// `carnet availability [--json]`: what the consortium has, product by product, for the
/// hub planning its orders.
struct AvailabilityCommand: Command {
    static let spec = CommandSpec(
        path: ["availability"], summary: "per product, what the farms hold and what was delivered (for the hub)",
        options: [.json],
        discussion: """
        JSON: an array of {product, name, unit, atProducers, delivered, producers}; quantities
        in g, ml or pc; producers are those holding a positive quantity.
        """,
        examples: ["carnet availability"]
    )

    var json: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let views = try ViewsAccess.read(context, parts: [.availability, .catalog])
        let items = views.availability
        if json {
            context.output.json(.array(items.map { item in
                .object([
                    "product": .string(item.product), "name": .optional(views.catalog.productName(item.product)),
                    "unit": .optional((item.unit ?? views.catalog.unit(of: item.product))?.rawValue),
                    "atProducers": .int(item.atProducers), "delivered": .int(item.delivered),
                    "producers": .array(item.producers.map(JSON.string)),
                ])
            }))
            return
        }
        guard !items.isEmpty else {
            context.output.line("nothing harvested, produced or delivered yet")
            return
        }
        var table = Table([("product", .left), ("name", .left), ("at farms", .right), ("delivered", .right), ("farms", .left)])
        for item in items {
            let unit = item.unit ?? views.catalog.unit(of: item.product)
            table.add([item.product, views.catalog.productName(item.product) ?? "", Display.quantity(item.atProducers, unit),
                       Display.quantity(item.delivered, unit), item.producers.joined(separator: ", ")])
        }
        table.print(context.output)
    }
}
