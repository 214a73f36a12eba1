import CarnetCore
import CarnetLedger

/// `carnet product set SKU [--name N] [--unit U] [--price P] [--category C]`.
struct ProductSetCommand: Command {
    static let spec = CommandSpec(
        path: ["product", "set"], summary: "create or edit a catalog product (each attribute is its own field)",
        arguments: [ArgumentSpec(name: "SKU", help: "the product's code, e.g. tomme-brebis or P0042")],
        options: [
            .value("--name", "N", "the name people read"),
            .value("--unit", "U", "what it is counted in: kg or g (stored as g), l or ml (ml), piece (pc)"),
            .value("--price", "P", "price in euros per kg, per litre or per piece, e.g. 24 or 3,20"),
            .value("--category", "C", "legume, fruit, laitier, epicerie, ..."),
        ],
        discussion: "Only the attributes given are written; two nodes editing different attributes never conflict.",
        examples: ["carnet product set tomme-brebis --name \"Tomme de brebis\" --unit kg --price 24,00"]
    )

    var sku: String
    var fields: [(ProductField, Value)] = []

    init(_ invocation: Invocation) throws {
        sku = invocation.arguments[0]
        guard !sku.trimmingSpaces.isEmpty, !sku.contains("/") else { throw CLIError.usage("a SKU must not be empty or contain \"/\"") }
        if let name = try invocation.nonEmpty("--name") { fields.append((.name, .text(name))) }
        if let unitText = invocation.value("--unit") {
            guard let unit = QuantityUnit.parse(unitText)?.unit else {
                throw CLIError.usage("--unit \(unitText) is not a unit Carnet knows: kg, g, l, ml or piece")
            }
            fields.append((.unit, .text(unit.rawValue)))
        }
        if let priceText = invocation.value("--price") {
            guard let price = Money(euros: priceText), price.cents >= 0 else {
                throw CLIError.usage("--price \(priceText) is not an amount in euros, e.g. 24 or 3,20")
            }
            fields.append((.price, .int(price.cents)))
        }
        if let category = try invocation.nonEmpty("--category") { fields.append((.category, .text(category))) }
        guard !fields.isEmpty else {
            throw CLIError.usage("`carnet product set` needs at least one of --name, --unit, --price, --category")
        }
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.open(context)
        let existed = Catalog(replica: store.replica).product(sku) != nil
        let operations = fields.map { field, value in
            CatalogWrites.assignment(Catalog.productKey(sku, field), value, replica: store.replica)
        }
        try store.write(operations, wallMillis: context.wallMillis())
        StoreAccess.afterAppend(&store, context: context)
        let written = fields.map { $0.0.rawValue }.joined(separator: ", ")
        context.output.line("\(existed ? "updated" : "created") product \(sku) (\(written))")
    }
}
