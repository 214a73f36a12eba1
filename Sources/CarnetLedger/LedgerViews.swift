import CarnetCore

/// What the reading commands show (stock, balances, availability, open conflicts, the
/// catalog, who wrote what), as one value that can be kept beside the log.
///
/// Computing it needs every event; showing it needs none. Kept in the views file
/// (protocol/SPEC.md §6.5) whenever a writer leaves the store, so that `carnet stock` on a
/// hub of a million entries reads a few hundred kilobytes instead of rebuilding the ledger.
public struct LedgerViews: Sendable, Equatable {
    /// Stock by producer, product and lot (`LedgerState.stock()`), zero lines included.
    public var stock: [StockLine]
    public var balances: [Balance]
    public var availability: [Availability]
    /// Every open conflict, as `Conflicts.all` gives them.
    public var conflicts: [ConflictReport]
    public var catalog: Catalog
    /// The label of every node that wrote something, by node id, resolved through the
    /// nodes it continues (`Replica.label(of:)`).
    public var labels: [NodeID: String]
    /// Entries that count, before voids and reversals are set aside.
    public var entryCount: Int
    /// Entries this version cannot read (a newer version's kinds).
    public var unreadableCount: Int
    /// This node's standing among the ledger's members, and the events that do not count.
    public var members: MembersView
    /// What open orders still ask of each product. Shown by no command: kept so that an
    /// entry can be added to these views without the order book (`appending`), which must
    /// know whether it makes open orders exceed what the producers hold.
    public var openOrders: [OpenOrderTotal]
    /// The ids that payments name (`ref`) and no entry that counts carries, in byte order:
    /// kept for `appending`, as an entry carrying one of them changes a payment conflict.
    public var unheldPaymentTargets: [String]
    /// Every lot made by an entry that counts, with its products, in (producer, lot) order:
    /// what `carnet record` checks the lot a sale draws from against, without the entries.
    public var lotProducts: [LotProducts]
    /// What the payments that count paid towards each id they name, in byte order of the
    /// id: what a writer checks a payment settling a sale against (`appending`).
    public var salePayments: [SalePayments]
    /// Every node whose label register holds a write, and every node a `continues` value
    /// names (`NodeRecords.listed`), in node order; nil when not known (a views file of
    /// an earlier build). A label written for a node outside it changes that node's label
    /// alone: what lets a writer take a new farm's label without the registers.
    public var nodeRecords: [NodeID]?

    public init(stock: [StockLine], balances: [Balance], availability: [Availability], conflicts: [ConflictReport],
                catalog: Catalog, labels: [NodeID: String], entryCount: Int, unreadableCount: Int,
                members: MembersView = .open, openOrders: [OpenOrderTotal] = [], unheldPaymentTargets: [String] = [],
                lotProducts: [LotProducts] = [], salePayments: [SalePayments] = [], nodeRecords: [NodeID]? = nil) {
        self.nodeRecords = nodeRecords
        self.members = members
        self.salePayments = salePayments
        self.lotProducts = lotProducts
        self.openOrders = openOrders
        self.unheldPaymentTargets = unheldPaymentTargets
        self.stock = stock
        self.balances = balances
        self.availability = availability
        self.conflicts = conflicts
        self.catalog = catalog
        self.labels = labels
        self.entryCount = entryCount
        self.unreadableCount = unreadableCount
    }

    /// Views holding nothing (no node records known): what a reader fills section by section.
    public static var empty: LedgerViews {
        LedgerViews(stock: [], balances: [], availability: [], conflicts: [], catalog: Catalog(products: [], parties: []),
                    labels: [:], entryCount: 0, unreadableCount: 0)
    }

    /// The views of a replica, from its ledger state when the caller already built it.
    public init(replica: Replica, ledger: LedgerState? = nil) {
        let state = ledger ?? LedgerState(replica: replica)
        var labels: [NodeID: String] = [:]
        for node in replica.history.nodeIDs {
            if let label = replica.label(of: node) { labels[node] = label }
        }
        let stock = state.stock()
        let availability = state.availability(stock: stock)
        let domain = state.domainConflicts(stock: stock, availability: availability)
        self.init(stock: stock, balances: state.balances(), availability: availability,
                  conflicts: Conflicts.all(replica: replica, domain: domain, reviews: state.reviews, membership: state.membership),
                  catalog: Catalog(replica: replica, membership: state.membership),
                  labels: labels, entryCount: state.records.count, unreadableCount: state.unreadable.count,
                  members: MembersView(membership: state.membership, replica: replica,
                                       setAside: state.setAsideEvents.map(\.verdict)),
                  openOrders: state.orders.openTotals(), unheldPaymentTargets: state.unheldPaymentTargets(),
                  lotProducts: state.lotProducts(), salePayments: state.salePayments(),
                  nodeRecords: NodeRecords.listed(in: replica))
    }
}

extension LedgerViews {
    /// The parts that differ from `other`, by name: what `verify` reports when the views
    /// file disagrees with the views folded from the log.
    public func differences(from other: LedgerViews) -> [String] {
        var parts: [String] = []
        if stock != other.stock { parts.append("stock") }
        if balances != other.balances { parts.append("balances") }
        if availability != other.availability { parts.append("availability") }
        if conflicts != other.conflicts { parts.append("conflicts") }
        if catalog != other.catalog { parts.append("catalog") }
        if labels != other.labels { parts.append("node labels") }
        if members != other.members { parts.append("members") }
        if entryCount != other.entryCount || unreadableCount != other.unreadableCount { parts.append("entry counts") }
        if openOrders != other.openOrders { parts.append("open orders") }
        if unheldPaymentTargets != other.unheldPaymentTargets { parts.append("payments of entries not held") }
        if lotProducts != other.lotProducts { parts.append("lot products") }
        if salePayments != other.salePayments { parts.append("sale payments") }
        // Optional in the file: compared when both say.
        if let mine = nodeRecords, let theirs = other.nodeRecords, mine != theirs { parts.append("node records") }
        return parts
    }
}

/// Whatever can name the node that wrote an event: the replica itself, or the views kept
/// from it. Lets the command line show writers the same way from either.
public protocol WriterLabels {
    func label(of node: NodeID) -> String?
}

extension Replica: WriterLabels {}

extension LedgerViews: WriterLabels {
    public func label(of node: NodeID) -> String? { labels[node] }
}
