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
}

/// The attributes of a party (a farm, the hub, a canteen, a shop, a customer).
public enum PartyField: String, CaseIterable, Sendable {
    case name, kind
}

/// One mutable record with every field's register: a product, a party.
public struct CatalogRecord: Hashable, Sendable {
    public var key: RecordKey
    /// Field name → register, for every field ever written.
    public var fields: [String: MultiValueRegister]

    /// The value to show for a field (see `MultiValueRegister.preferred`).
    public func value(_ field: String) -> Value? { fields[field]?.preferred?.value }
    public func text(_ field: String) -> String? { value(field)?.textValue }
    public func int(_ field: String) -> Int64? { value(field)?.intValue }
    public func bool(_ field: String) -> Bool? { value(field)?.boolValue }

    /// Field names whose register holds different concurrent values.
    public var conflictedFields: [String] {
        fields.filter { $0.value.isConflicted }.keys.sorted()
    }
}

/// Products and parties as the merged registers say.
public struct Catalog: Sendable {
    public private(set) var products: [CatalogRecord] = []
    public private(set) var parties: [CatalogRecord] = []

    public init(replica: Replica) {
        var records: [RecordKey: [String: MultiValueRegister]] = [:]
        for (key, register) in replica.registers {
            records[key.record, default: [:]][key.field] = register
        }
        for (key, fields) in records.sorted(by: { $0.key < $1.key }) {
            let record = CatalogRecord(key: key, fields: fields)
            switch key.type {
            case RecordType.product: products.append(record)
            case RecordType.party: parties.append(record)
            default: break
            }
        }
    }

    public func product(_ sku: String) -> CatalogRecord? { products.first { $0.key.id == sku } }
    public func party(_ id: String) -> CatalogRecord? { parties.first { $0.key.id == id } }

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
