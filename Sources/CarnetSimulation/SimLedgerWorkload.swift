import CarnetCore
import CarnetTestKit

/// A local write as the simulation asks for it. Its event is made only when the write
/// reaches the disk, so an assignment supersedes what the node sees at that moment.
public enum SimOperation: Sendable {
    /// A multi-value register set (`Replica.assign`): catalogue prices and names, party
    /// details. Concurrent sets of one field on different nodes become conflicts.
    case assign(FieldKey, Value)
    /// A ledger-like entry (`Replica.write(.append)`): harvests, sales, deliveries.
    case append(Entry)
    /// A member record the first hub of a signed campaign writes (`SimMembers`): its cut
    /// is what the hub's store holds when it writes.
    case member(SimMembers.Action)
}

/// Random writes in the shape of a producers' ledger: a few products whose price and
/// name every node edits (so field conflicts happen), and entries that only append.
public struct SimLedgerWorkload: Sendable {
    private var rng: SplitMix64
    private var counters: [Int]
    private static let products = ["P0", "P1", "P2", "P3", "P4", "P5"]
    private static let names = ["Tomme", "Chèvre frais", "Miel de châtaignier", "Œufs", "Pommes", "Noix"]
    private static let parties = ["cantine-jaures", "epicerie", "marche-samedi", "HUB"]

    /// A signed campaign's members: then entries are real ledger entries, and the first hub
    /// writes the genesis and member records (from a stream of their own).
    var members: SimMembers?
    private var memberStream: SplitMix64

    public init(seed: UInt64, nodeCount: Int) {
        rng = SplitMix64(seed: seed)
        memberStream = SplitMix64(seed: seed ^ 0x5EED_3E3B)
        counters = [Int](repeating: 0, count: nodeCount)
    }

    /// The next write of node `node` (labelled `label` in entry ids).
    public mutating func next(node: Int, label: String) -> SimOperation {
        counters[node] += 1
        if var members {
            defer { self.members = members }
            if node == 0, let write = members.hubWrite(using: &memberStream) { return write }
            if node >= members.hubs, memberStream.int(0...99) < 60 {
                return members.entry(node: node, number: counters[node], wallMillis: UInt64(counters[node]) * 60_000 + 1_780_000_000_000,
                                     using: &memberStream)
            }
        }
        let product = Self.products[rng.int(0...(Self.products.count - 1))]
        switch rng.int(0...99) {
        case 0..<25:
            return .assign(FieldKey("product", product, "price"), .int(Int64(rng.int(100...2_000))))
        case 25..<35:
            return .assign(FieldKey("product", product, "name"), .text(Self.names[rng.int(0...(Self.names.count - 1))]))
        case 35..<42:
            let party = Self.parties[rng.int(0...(Self.parties.count - 1))]
            return .assign(FieldKey("party", party, "phone"), .text("06 \(rng.int(10...99)) \(rng.int(10...99)) \(rng.int(10...99))"))
        default:
            let kinds = ["harvest", "sale", "delivery"]
            let kind = kinds[rng.int(0...2)]
            var fields: [Field] = [
                Field("product", .text(product)),
                Field("lot", .text("L\(rng.int(1...9))")),
                Field("quantity", .int(Int64(rng.int(1...60)) * 100)),
                Field("unit", .text("g")),
            ]
            if kind != "harvest" {
                fields.append(Field("party", .text(Self.parties[rng.int(0...(Self.parties.count - 1))])))
                fields.append(Field("amount", .int(Int64(rng.int(100...9_000)))))
            }
            return .append(Entry(id: "\(label)-\(counters[node])", kind: kind, fields: Fields(fields)))
        }
    }
}
