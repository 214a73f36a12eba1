import CarnetCore
import CarnetLedger

/// `carnet product list [--json]`: the catalog, conflicting fields marked.
struct ProductListCommand: Command {
    static let spec = CommandSpec(
        path: ["product", "list"], summary: "the catalog, with conflicting fields marked",
        options: [.json],
        discussion: """
        A field that concurrent edits left with several values is marked `*`; the value shown
        is the latest. JSON: an array of {sku, name, unit, priceCents, category, vat (basis
        points: 550 is 5.5 %), active, labels, family, origin, conflictingFields, conflicts:
        {field: [{value, node, label, clock, ...}]}}.
        """,
        examples: ["carnet product list", "carnet product list --json"]
    )

    var json: Bool

    init(_ invocation: Invocation) throws {
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let views = try ViewsAccess.read(context, parts: [.catalog, .labels])
        let products = views.catalog.products
        if json {
            context.output.json(.array(products.map { Self.json($0, labels: views) }))
            return
        }
        guard !products.isEmpty else {
            context.output.line("no products yet; add one with `carnet product set SKU --name N --unit kg --price P`")
            return
        }
        let output = context.output
        var table = Table([("sku", .left), ("name", .left), ("unit", .left), ("price", .right), ("category", .left),
                           ("labels", .left), ("family", .left)])
        var anyConflict = false
        for product in products {
            let conflicted = Set(product.conflictedFields)
            anyConflict = anyConflict || !conflicted.isEmpty
            func cell(_ field: ProductField, _ text: String) -> String {
                conflicted.contains(field.rawValue) ? output.yellow(text + " *") : text
            }
            let unit = views.catalog.unit(of: product.key.id)
            table.add([
                product.key.id,
                cell(.name, product.text("name") ?? ""),
                cell(.unit, unit?.priceBasisName ?? (product.text("unit") ?? "")),
                cell(.price, Display.price(product.int("price"), unit: unit)),
                cell(.category, product.text("category") ?? ""),
                cell(.labels, (product.text(ProductField.labels.rawValue) ?? "").replacingOccurrences(of: ",", with: " ")),
                cell(.family, product.text(ProductField.family.rawValue) ?? ""),
            ])
        }
        table.print(output)
        if anyConflict {
            output.line("\n* concurrent edits left several values; see `carnet conflicts` and settle them with `carnet resolve`")
        }
    }

    static func json(_ product: CatalogRecord, labels: some WriterLabels) -> JSON {
        var conflicts: [String: JSON] = [:]
        for field in product.conflictedFields {
            conflicts[field] = .array(product.values(field).map { value in
                var object = JSONForms.writer(value.id, clock: value.clock, labels: labels)
                object["value"] = JSONForms.value(value.value)
                return .object(object)
            })
        }
        return .object([
            "sku": .string(product.key.id),
            "name": .optional(product.text("name")),
            "unit": .optional(product.text("unit")),
            "priceCents": .optional(product.int("price")),
            "category": .optional(product.text("category")),
            "vat": .optional(product.int("vat")),
            "labels": .array(product.text(ProductField.labels.rawValue).map { QualityLabel.parse(field: $0) }
                .map { $0.labels.map { JSON.string($0.rawValue) } + $0.unknown.map(JSON.string) } ?? []),
            "family": .optional(product.text(ProductField.family.rawValue)),
            "origin": .optional(product.text(ProductField.origin.rawValue)),
            "active": product.bool("active").map(JSON.bool) ?? .null,
            "conflictingFields": .array(product.conflictedFields.map(JSON.string)),
            "conflicts": .object(conflicts),
        ])
    }
}
