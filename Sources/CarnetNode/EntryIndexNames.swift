import CarnetCore
import CarnetLedger
import CarnetWire

/// The names `show` and `log` print beside entries, kept in the entry index (SPEC §6.7):
/// each product's name and unit, each party's name, each writer's label, as the catalog
/// and the replica resolve them. A few kilobytes however long the ledger, so that the two
/// commands need not read the views file, which grows with the stock lines.
public struct EntryIndexNames: Sendable, Equatable, WriterLabels {
    public struct Product: Sendable, Equatable {
        public var sku: String
        public var name: String?
        public var unit: QuantityUnit?
    }

    public struct Party: Sendable, Equatable {
        public var id: String
        public var name: String?
    }

    /// In the catalog's order (ascending id, as bytes).
    public private(set) var products: [Product]
    public private(set) var parties: [Party]
    /// In node order.
    public private(set) var labels: [(node: NodeID, label: String)]

    private var productPositions: [ExactString: Int] = [:]
    private var partyPositions: [ExactString: Int] = [:]
    private var labelsByNode: [NodeID: String] = [:]

    /// The names as the views of `replica` give them (`LedgerViews`: the catalog under the
    /// ledger's members, each node's label), read without a fold: a writer can build the
    /// entry index before its fold catches up, and the two need not be in memory at once.
    init(replica: Replica) {
        var labels: [NodeID: String] = [:]
        for node in replica.history.nodeIDs {
            if let label = replica.label(of: node) { labels[node] = label }
        }
        self.init(catalog: Catalog(replica: replica, membership: Membership(replica: replica)), labels: labels)
    }

    /// The names as `catalog` and `labels` (the views' own) give them.
    init(catalog: Catalog, labels: [NodeID: String]) {
        self.init(products: catalog.products.map { Product(sku: $0.key.id, name: catalog.productName($0.key.id),
                                                            unit: catalog.unit(of: $0.key.id)) },
                  parties: catalog.parties.map { Party(id: $0.key.id, name: catalog.partyName($0.key.id)) },
                  labels: labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    init(products: [Product], parties: [Party], labels: [(node: NodeID, label: String)]) {
        self.products = products
        self.parties = parties
        self.labels = labels
        for (position, product) in products.enumerated() { productPositions[ExactString(product.sku)] = position }
        for (position, party) in parties.enumerated() { partyPositions[ExactString(party.id)] = position }
        for (node, label) in labels { labelsByNode[node] = label }
    }

    /// As `Catalog.productName`, `Catalog.unit(of:)`, `Catalog.partyName`.
    public func productName(_ sku: String) -> String? { productPositions[ExactString(sku)].flatMap { products[$0].name } }
    public func unit(of sku: String) -> QuantityUnit? { productPositions[ExactString(sku)].flatMap { products[$0].unit } }
    public func partyName(_ id: String) -> String? { partyPositions[ExactString(id)].flatMap { parties[$0].name } }
    /// As `Replica.label(of:)`.
    public func label(of node: NodeID) -> String? { labelsByNode[node] }

    /// These names with `added` labels set (the log past the index holding nodes' writes of
    /// their own labels, SPEC §6.8).
    func adding(labels added: [NodeID: String]) -> EntryIndexNames {
        guard !added.isEmpty else { return self }
        var merged = labelsByNode
        for (node, label) in added { merged[node] = label }
        return EntryIndexNames(products: products, parties: parties, labels: merged.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    public static func == (a: EntryIndexNames, b: EntryIndexNames) -> Bool {
        a.encoded == b.encoded
    }

    // MARK: - Bytes (SPEC §6.7, `names`)

    var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 4096)
        writer.varint(UInt64(products.count))
        for product in products {
            writer.string(product.sku)
            Self.optional(product.name, &writer)
            Self.optional(product.unit?.rawValue, &writer)
        }
        writer.varint(UInt64(parties.count))
        for party in parties {
            writer.string(party.id)
            Self.optional(party.name, &writer)
        }
        writer.varint(UInt64(labels.count))
        for (node, label) in labels {
            writer.nodeID(node)
            writer.string(label)
        }
        return writer.bytes
    }

    private static func optional(_ text: String?, _ writer: inout ByteWriter) {
        guard let text else { return writer.byte(0) }
        writer.byte(1)
        writer.string(text)
    }

    /// Nil when the bytes do not read exactly as written.
    static func decode(_ bytes: [UInt8]) -> EntryIndexNames? {
        var reader = ByteReader(bytes)
        do throws(WireError) {
            var products: [Product] = []
            for _ in 0..<(try reader.count(limit: bytes.count, "products")) {
                let sku = try reader.string()
                let name = try optional(&reader)
                let unitText = try optional(&reader)
                let unit = unitText.flatMap(QuantityUnit.init(rawValue:))
                guard unitText == nil || unit != nil else { return nil }
                products.append(Product(sku: sku, name: name, unit: unit))
            }
            var parties: [Party] = []
            for _ in 0..<(try reader.count(limit: bytes.count, "parties")) {
                parties.append(Party(id: try reader.string(), name: try optional(&reader)))
            }
            var labels: [(node: NodeID, label: String)] = []
            for _ in 0..<(try reader.count(limit: bytes.count, "labels")) {
                labels.append((try reader.nodeID(), try reader.string()))
            }
            guard reader.isAtEnd else { return nil }
            return EntryIndexNames(products: products, parties: parties, labels: labels)
        } catch {
            return nil
        }
    }

    private static func optional(_ reader: inout ByteReader) throws(WireError) -> String? {
        switch try reader.byte() {
        case 0: return nil
        case 1: return try reader.string()
        default: throw .malformed("an optional name is neither 00 nor 01", at: reader.offset)
        }
    }
}
