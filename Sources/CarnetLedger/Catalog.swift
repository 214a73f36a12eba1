import CarnetCore

/// Record types of the mutable part of the ledger.
public enum RecordType {
    public static let product = "product"
    public static let party = "party"
}

/// The attributes a product has. Each is its own multi-value register, so two people
/// editing the price and the name at once do not conflict.
public enum ProductField: String, CaseIterable, Sendable {
    case name, unit, price, category, vat, active
    /// Quality and origin labels (`QualityLabel.field`), the EGalim family
    /// (`ProductFamily`) and where it comes from (free text: a commune, a département).
    case labels, family, origin
}

/// The attributes of a party (a farm, the hub, a canteen, a shop, a customer).
public enum PartyField: String, CaseIterable, Sendable {
    case name, kind
    /// Where the party is: a commune or an EPCI (the rural territory, the metropolis), for
    /// the flows report.
    case territory
}

/// One mutable record with the live values of every field: a product, a party.
///
/// Holds what the registers show (their live values), not what they superseded: enough to
/// show and to flag conflicts, and small enough to keep in the views file.
public struct CatalogRecord: Hashable, Sendable {
    public var key: RecordKey
    /// Field name → live values (sorted by event id), for every field ever written. Names
    /// are keys as bytes (SPEC §10.4): two spellings of one name are two fields.
    public var fields: [ExactString: [RegisterValue]]

    public init(key: RecordKey, fields: [ExactString: [RegisterValue]]) {
        self.key = key
        self.fields = fields
    }

    /// The live values of a field.
    public func values(_ field: String) -> [RegisterValue] { fields[ExactString(field)] ?? [] }

    /// The value to show for a field (see `MultiValueRegister.preferred(among:)`).
    public func value(_ field: String) -> Value? {
        MultiValueRegister.preferred(among: values(field))?.value
    }
    public func text(_ field: String) -> String? { value(field)?.textValue }
    public func int(_ field: String) -> Int64? { value(field)?.intValue }
    public func bool(_ field: String) -> Bool? { value(field)?.boolValue }

    /// Field names whose register holds different concurrent values.
    public var conflictedFields: [String] {
        fields.filter { MultiValueRegister.isConflicted($0.value) }.keys.sorted().map(\.text)
    }
}

/// Products and parties as the merged registers say.
public struct Catalog: Sendable, Equatable {
    public private(set) var products: [CatalogRecord] = []
    public private(set) var parties: [CatalogRecord] = []

    /// The catalog as the registers say, less the writes of devices without the catalog
    /// role where the ledger has members (`Membership.correctedRegisters`).
    public init(replica: Replica, membership: Membership? = nil) {
        let corrected = (membership ?? Membership(replica: replica)).correctedRegisters(of: replica)
        var records: [RecordKey: [ExactString: [RegisterValue]]] = [:]
        for (key, register) in replica.registers
        where key.record.type == RecordType.product || key.record.type == RecordType.party {
            let values = corrected[key] ?? register.values
            guard !values.isEmpty else { continue }
            records[key.record, default: [:]][ExactString(key.field)] = values
        }
        for (key, fields) in records.sorted(by: { $0.key < $1.key }) {
            let record = CatalogRecord(key: key, fields: fields)
            switch key.type {
            case RecordType.product: products.append(record)
            case RecordType.party: parties.append(record)
            default: break
            }
        }
        index()
    }

    /// A catalog read back from the views file: products and parties in key order.
    public init(products: [CatalogRecord], parties: [CatalogRecord]) {
        self.products = products
        self.parties = parties
        index()
    }

    /// Id → position, so that a table of 100,000 stock lines names its products without
    /// scanning the catalog for each.
    private var productPositions: [ExactString: Int] = [:]
    private var partyPositions: [ExactString: Int] = [:]

    private mutating func index() {
        for (position, record) in products.enumerated() { productPositions[ExactString(record.key.id)] = position }
        for (position, record) in parties.enumerated() { partyPositions[ExactString(record.key.id)] = position }
    }

    public func product(_ sku: String) -> CatalogRecord? { productPositions[ExactString(sku)].map { products[$0] } }
    public func party(_ id: String) -> CatalogRecord? { partyPositions[ExactString(id)].map { parties[$0] } }

    /// A product's name, for tables.
    public func productName(_ sku: String) -> String? { product(sku)?.text(ProductField.name.rawValue) }

    /// A party's name, for tables.
    public func partyName(_ id: String) -> String? { party(id)?.text(PartyField.name.rawValue) }

    /// A party's kind, when it is one this version knows.
    public func kind(of id: String) -> PartyKind? {
        party(id)?.text(PartyField.kind.rawValue).flatMap(PartyKind.init(rawValue:))
    }

    /// A product's labels, in list order (codes a newer version wrote are left out).
    public func labels(of sku: String) -> [QualityLabel] {
        product(sku)?.text(ProductField.labels.rawValue).map { QualityLabel.parse(field: $0).labels } ?? []
    }

    /// A product's family, when set to one this version knows.
    public func family(of sku: String) -> ProductFamily? {
        product(sku)?.text(ProductField.family.rawValue).flatMap(ProductFamily.init(rawValue:))
    }

    /// The unit a product is counted in, if the catalog knows it.
    public func unit(of sku: String) -> QuantityUnit? {
        product(sku)?.text(ProductField.unit.rawValue).flatMap(QuantityUnit.init(rawValue:))
    }

    public static func productKey(_ sku: String, _ field: ProductField) -> FieldKey {
        FieldKey(RecordType.product, sku, field.rawValue)
    }

    public static func partyKey(_ id: String, _ field: PartyField) -> FieldKey {
        FieldKey(RecordType.party, id, field.rawValue)
    }
}
