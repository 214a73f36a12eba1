import CarnetCore
import CarnetLedger

/// `carnet product set SKU [--name N] [--unit U] [--price P] [--category C] [--vat RATE]
/// [--label L]... [--family F] [--origin PLACE]`.
struct ProductSetCommand: Command {
    static let spec = CommandSpec(
        path: ["product", "set"], summary: "create or edit a catalog product (each attribute is its own field)",
        arguments: [ArgumentSpec(name: "SKU", help: "the product's code, e.g. tomme-brebis or P0042", identifier: true)],
        options: [
            .value("--name", "N", "the name people read"),
            .value("--unit", "U", "what it is counted in: kg or g (stored as g), l or ml (ml), piece (pc)"),
            .value("--price", "P", "price in euros per kg, per litre or per piece, e.g. 24 or 3,20"),
            .value("--category", "C", "legume, fruit, laitier, epicerie, ..."),
            .value("--vat", "RATE", "VAT rate in percent for its sales, e.g. 5.5 (the food rate, the default), 10 or 20"),
            OptionSpec(name: "--label", value: "LABEL", help: "a quality or origin label (repeat for several; `none` clears them): "
                       + QualityLabel.allCases.map(\.rawValue).joined(separator: ", "), repeatable: true),
            .value("--family", "F", "the EGalim product family: " + ProductFamily.allCases.map(\.rawValue).joined(separator: ", ")),
            .value("--origin", "PLACE", "where it comes from: a commune, a département, a country"),
        ],
        discussion: """
        Only the attributes given are written; two nodes editing different attributes never
        conflict. --label replaces the product's whole set of labels. The labels are the
        categories the EGalim law counts, as the "ma cantine" declaration names them
        (organic and organic-conversion count towards the 20 % organic share; all but
        france, short-circuit and local towards the 50 % quality share); the family decides
        the meat-and-fish share (meat-poultry, seafood).
        """,
        examples: ["carnet product set tomme-brebis --name \"Tomme de brebis\" --unit kg --price 24,00",
                   "carnet product set yaourt --label organic --label fermier --family dairy --origin \"Ardèche\""]
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
        if let rateText = invocation.value("--vat") {
            guard let rate = VAT.parseRate(rateText) else {
                throw CLIError.usage("--vat \(rateText) is not a VAT rate: write a percentage such as 5.5, 10 or 20")
            }
            fields.append((.vat, .int(rate)))
        }
        let labelTexts = invocation.all("--label")
        if !labelTexts.isEmpty {
            fields.append((.labels, .text(try Self.labels(labelTexts))))
        }
        if let familyText = invocation.value("--family") {
            guard let family = ProductFamily(rawValue: familyText) else {
                let hint = Suggestion.closest(to: familyText, among: ProductFamily.allCases.map(\.rawValue)).map { "; did you mean \($0)?" } ?? ""
                throw CLIError.usage("--family \(familyText) is not a product family (\(ProductFamily.allCases.map(\.rawValue).joined(separator: ", ")))\(hint)")
            }
            fields.append((.family, .text(family.rawValue)))
        }
        if let origin = try invocation.nonEmpty("--origin") { fields.append((.origin, .text(origin))) }
        guard !fields.isEmpty else {
            throw CLIError.usage("`carnet product set` needs at least one of --name, --unit, --price, --category, --vat, --label, --family, --origin")
        }
    }

    /// Names people type for a label, in French or after its logo.
    static let labelAliases: [String: QualityLabel] = [
        "bio": .organic, "ab": .organic, "conversion": .organicConversion, "aoc": .aop, "aop-aoc": .aop,
        "labelrouge": .labelRouge, "peche-durable": .ecolabelPeche, "msc": .ecolabelPeche, "hve3": .hve,
    ]

    /// The labels field for what was typed: every label known, `none` alone for none.
    static func labels(_ texts: [String]) throws -> String {
        if texts == ["none"] { return "" }
        var labels = Set<QualityLabel>()
        for text in texts {
            guard let label = QualityLabel(rawValue: text) ?? Self.labelAliases[text.lowercased()] else {
                let hint = Suggestion.closest(to: text, among: QualityLabel.allCases.map(\.rawValue)).map { "; did you mean \($0)?" } ?? ""
                throw CLIError.usage("--label \(text) is not a label Carnet knows (\(QualityLabel.allCases.map(\.rawValue).joined(separator: ", ")), or none)\(hint)")
            }
            labels.insert(label)
        }
        return QualityLabel.field(labels)
    }

    func run(in context: Context) throws {
        var store = try StoreAccess.openAddingToViewsFile(context)
        try RoleCheck.require(.catalog, store: store, context: context)
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
