import CarnetCore

/// The ledger's views kept current as events are accepted, instead of rebuilt from every
/// event: what `carnet serve` and every writer hold so that leaving the views file current
/// costs what changed, not the size of the ledger.
///
/// Every view is a sum or a set keyed by something (a lot, a producer and a party, an
/// entry id), so the order in which events arrive does not matter: folding a replica's
/// events in any order, in any grouping, gives the views `LedgerState` computes from all
/// of them at once (the property tests hold the two to each other, `verify` too).
///
/// Holds, per entry, only where it is (its event and clock) and what a later void needs
/// to undo without parsing it again (kind, amount); the entry itself is read from the
/// replica when a conflict must show it.
public struct LedgerFold: Sendable {
    /// Which events are folded: each node's chain up to a length, and fork branches by id.
    private var chainFolded: [NodeID: UInt64] = [:]
    private var branchesFolded: Set<EventID> = []

    /// Entry id → the first entry carrying it in record order, as a place in `indexed`.
    /// Ids compare as bytes (SPEC §10), as in `LedgerState`. The entries themselves lie in
    /// one array beside it: kept in the table they made each of its two million slots at
    /// 1M as wide as an entry (285 MB; 67 MB as places, 40 MB as one place each).
    private var byID: [ExactString: Int32] = [:]
    /// The ids more than one entry carries (rare: a duplicate is a conflict), with every
    /// place, in record order.
    private var duplicatePlaces: [ExactString: [Int32]] = [:]
    private var indexed = IndexedEntries()
    /// Target id → the reversals naming it, in record order.
    private var reversalsByTarget: [ExactString: [RecordRef]] = [:]
    /// The reversals that cancel one event of their target id (`ref_event`), and that event.
    /// The others cancel every entry carrying the id.
    private var reversalEvents: [RecordRef: SHA256Digest] = [:]
    /// Each reversal's producer: it cancels only entries of that producer.
    private var reversalProducers: [RecordRef: ExactString] = [:]
    /// The reviews that count, by conflict.
    public private(set) var reviews = ConflictReviews()
    /// The orders and what fulfils them.
    public private(set) var orders = OrderBook()
    private var unreadable: [EventID: String] = [:]
    public private(set) var entryCount = 0
    /// Who may write what, and the events that do not count under it (SPEC §9.5). When the
    /// members change in a way that judges some event differently (rare: an enrolment, a
    /// revocation), the fold starts again from nothing.
    public private(set) var membership = Membership.open
    private var membershipInputs: Membership.Inputs?
    private var setAside: [EventID: SetAsideEvent] = [:]
    /// Why each event set aside does not count.
    public var setAsideVerdicts: [Membership.Verdict] { setAside.values.map(\.verdict) }

    private var stockCells: [StockKey: StockCell] = [:]
    private var balanceCells: [PairKey: CountedSum] = [:]
    private var deliveredCells: [ExactString: CountedSum] = [:]
    /// Sale id → the payments that count naming it, in record order, and their total.
    private var paymentsBySale: [ExactString: [RecordRef]] = [:]
    private var paidBySale: [ExactString: Int64] = [:]
    /// The entries the conflicts showed at the last `domainConflicts`, so that the next
    /// reads back only the new ones.
    private var conflictSides = ConflictSideRecords()

    public init() {}

    public var unreadableCount: Int { unreadable.count }

    /// Reads the replica's history from now on where the fold needs it (the members'
    /// judgements), instead of the copy it last read the members from: after the store
    /// let that history's old events leave memory, the copy would keep them all. Only
    /// when the members read alike in it (what `catchUp` asks to keep a reading); otherwise
    /// the next `catchUp` reads them again anyway.
    public mutating func readHistory(of replica: Replica) {
        guard Membership.inputs(of: replica) == membershipInputs, membership.cutsReadAlike(in: replica.history) else { return }
        membership = membership.reading(replica.history)
    }

    /// Folds every event the replica accepted that is not folded yet: each node's chain
    /// past what was folded, and fork branches not seen. Costs what is new, plus one look
    /// per node.
    public mutating func catchUp(with replica: Replica) {
        let inputs = Membership.inputs(of: replica)
        if inputs != membershipInputs || !membership.cutsReadAlike(in: replica.history) {
            let reading = Membership(replica: replica)
            if !reading.judgesLike(membership) { self = LedgerFold() }
            membership = reading
            membershipInputs = inputs
        }
        let history = replica.history
        // A fold that starts from nothing takes every entry: one table of the right size
        // instead of some twenty doublings of a million-key dictionary.
        if entryCount == 0, byID.isEmpty {
            byID.reserveCapacity(history.count)
            indexed.reserveCapacity(history.count)
        }
        for node in history.nodeIDs {
            let folded = chainFolded[node] ?? 0
            let length = history.chainLength(of: node)
            if length > folded {
                history.forEachChainEvent(of: node, after: folded, max: Int(length - folded)) { event in
                    fold(event, replica: replica)
                }
                chainFolded[node] = length
            }
            for event in history.branchEvents(of: node) where !branchesFolded.contains(event.id) {
                branchesFolded.insert(event.id)
                fold(event, replica: replica)
            }
        }
    }

    // MARK: - Folding one event

    private mutating func fold(_ event: Event, replica: Replica) {
        guard case let .append(core) = event.operation, core.kind != Replica.memberEntryKind else {
            if membership.enforced {
                let verdict = membership.verdict(of: event, entry: nil)
                if verdict != .counts { setAside[event.id] = SetAsideEvent(event, verdict: verdict) }
            }
            return
        }
        let entry: LedgerEntry
        do throws(LedgerError) {
            entry = try LedgerEntry(core)
        } catch {
            unreadable[event.id] = error.message
            return
        }
        let verdict = membership.verdict(of: event, entry: entry)
        guard verdict == .counts else {
            setAside[event.id] = SetAsideEvent(event: event.id, clock: event.clock, detail: entry.oneLine, verdict: verdict)
            return
        }
        let ref = RecordRef(clock: event.clock, event: event.id)
        let indexed = IndexedEntry(ref: ref, kind: entry.kind, amount: entry.amount, producer: ExactString(entry.producer))
        let id = ExactString(entry.id)
        let place: Int32
        if byID[id] != nil {
            var places = self.places(of: id)
            guard !places.contains(where: { self.indexed[Int($0)].ref == ref }) else { return }
            place = self.place(of: indexed)
            places.insertSorted(place) { self.indexed.ref(at: Int($0)) }
            byID[id] = places[0]
            duplicatePlaces[id] = places
        } else {
            place = self.place(of: indexed)
            byID[id] = place
        }
        entryCount += 1
        let record = LedgerRecord(event: event.id, clock: event.clock, entry: entry)
        if entry.kind == .reversal {
            guard let target = entry.ref.map(ExactString.init) else { return }
            let carrying = places(of: target).filter { self.indexed[Int($0)].kind != .reversal }
            let before = carrying.map { isVoided(self.indexed[Int($0)], id: target) }
            reversalsByTarget[target, default: []].insertSorted(ref)
            if let event = entry.refEvent { reversalEvents[ref] = event }
            reversalProducers[ref] = ExactString(entry.producer)
            for (voided, wasVoided) in zip(carrying, before) where !wasVoided && isVoided(self.indexed[Int(voided)], id: target) {
                if let record = Self.record(self.indexed[Int(voided)].ref, in: replica) {
                    apply(record, place: voided, sign: -1, replica: replica)
                }
            }
            return
        }
        if !isVoided(indexed, id: id) { apply(record, place: place, sign: 1, replica: replica) }
    }

    /// The entries carrying `id`, in record order.
    private func carrying(_ id: ExactString) -> [IndexedEntry] {
        places(of: id).map { indexed[Int($0)] }
    }

    /// Where `indexed` keeps the entries carrying `id`, in record order.
    private func places(of id: ExactString) -> [Int32] {
        guard let first = byID[id] else { return [] }
        return duplicatePlaces[id] ?? [first]
    }

    /// Keeps `entry` in `indexed`, and says where.
    private mutating func place(of entry: IndexedEntry) -> Int32 {
        indexed.append(entry)
        return Int32(indexed.count - 1)
    }

    /// Whether a reversal folded so far cancels `entry`, which carries `id` and is not a
    /// reversal: one of the same producer naming the id and no event, or naming its event.
    private func isVoided(_ entry: IndexedEntry, id: ExactString) -> Bool {
        guard let reversals = reversalsByTarget[id] else { return false }
        return reversals.contains {
            reversalProducers[$0] == entry.producer && (reversalEvents[$0].map { $0 == entry.ref.event.hash } ?? true)
        }
    }

    /// The same for a record read back from the replica.
    private func isVoided(_ record: LedgerRecord) -> Bool {
        record.entry.kind != .reversal
            && isVoided(IndexedEntry(ref: RecordRef(clock: record.clock, event: record.event), kind: record.entry.kind,
                                     amount: record.entry.amount, producer: ExactString(record.entry.producer)),
                        id: ExactString(record.entry.id))
    }

    /// Adds (sign 1) or takes away (sign -1) what an entry that counts contributes;
    /// `place`: where `indexed` keeps it.
    private mutating func apply(_ record: LedgerRecord, place: Int32, sign: Int64, replica: Replica) {
        let entry = record.entry
        let ref = RecordRef(clock: record.clock, event: record.event)
        if entry.kind == .review {
            if sign > 0 { reviews.add(record) } else { reviews.remove(record) }
            return
        }
        orders.apply(record, sign: Int(sign))
        if let direction = entry.kind.stockDirection, let product = entry.product {
            let key = StockKey(producer: entry.producer, product: product, lot: entry.lot ?? "")
            var cell = stockCells[key] ?? StockCell()
            if sign > 0 {
                cell.contributors.insertSorted(place) { self.indexed.ref(at: Int($0)) }
            } else {
                cell.contributors.removeAll { $0 == place }
            }
            if let quantity = entry.quantity {
                cell.quantity &+= sign &* direction &* quantity
                cell.measured += Int(sign)
                if let unit = entry.unit {
                    if sign > 0 {
                        if cell.unitSource.map({ indexed.ref(at: Int($0.place)) < ref }) ?? true { cell.unitSource = (place, unit) }
                    } else if cell.unitSource?.place == place {
                        cell.unitSource = latestUnit(among: cell.contributors, replica: replica)
                    }
                }
            }
            stockCells[key] = cell.contributors.isEmpty ? nil : cell
        }
        if let party = entry.party, let amount = entry.amount {
            let direction: Int64? = switch entry.kind {
            case .sale: 1
            case .payment, .purchase: -1
            default: nil
            }
            if let direction {
                balanceCells[PairKey(producer: entry.producer, party: party), default: CountedSum()].add(sign &* direction &* amount, count: Int(sign))
                if balanceCells[PairKey(producer: entry.producer, party: party)]?.count == 0 {
                    balanceCells[PairKey(producer: entry.producer, party: party)] = nil
                }
            }
        }
        if entry.kind == .delivery, let product = entry.product.map(ExactString.init), let quantity = entry.quantity {
            deliveredCells[product, default: CountedSum()].add(sign &* quantity, count: Int(sign))
            if deliveredCells[product]?.count == 0 { deliveredCells[product] = nil }
        }
        if entry.kind == .payment, let sale = entry.ref.map(ExactString.init) {
            if sign > 0 { paymentsBySale[sale, default: []].insertSorted(ref) } else { paymentsBySale[sale]?.removeSorted(ref) }
            paidBySale[sale, default: 0] &+= sign &* (entry.amount ?? 0)
            if paymentsBySale[sale]?.isEmpty == true {
                paymentsBySale[sale] = nil
                paidBySale[sale] = nil
            }
        }
    }

    /// The unit of the latest contributor that gave a quantity and a unit: what a lot is
    /// counted in once the one that set it is voided.
    private func latestUnit(among contributors: [Int32], replica: Replica) -> (place: Int32, unit: QuantityUnit)? {
        for place in contributors.reversed() {
            guard let entry = Self.record(indexed.ref(at: Int(place)), in: replica)?.entry, entry.quantity != nil,
                  let unit = entry.unit else { continue }
            return (place, unit)
        }
        return nil
    }

    private static func record(_ ref: RecordRef, in replica: Replica) -> LedgerRecord? {
        replica.history.event(ref.event).flatMap(record(of:))
    }

    private static func record(of event: Event) -> LedgerRecord? {
        ConflictSideRecords.record(of: event)
    }

    // MARK: - Views

    /// Stock by producer, product and lot, as `LedgerState.stock()` gives it.
    public func stock() -> [StockLine] {
        stockCells.compactMap { key, cell -> StockLine? in
            guard cell.measured > 0 else { return nil }
            return StockLine(producer: key.producer, product: key.product, lot: key.lot, quantity: cell.quantity,
                             unit: cell.unitSource?.unit)
        }.sorted(by: StockLine.precedes)
    }

    /// Money owed between each producer and each party, as `LedgerState.balances()`.
    public func balances() -> [Balance] {
        balanceCells.map { Balance(producer: $0.key.producer, party: $0.key.party, cents: $0.value.sum) }
            .sorted(by: Balance.precedes)
    }

    /// Per product, as `LedgerState.availability()`; from `stock()` when the caller has it
    /// already (sorting every lot again costs more than the rest of the views).
    public func availability(stock: [StockLine]? = nil) -> [Availability] {
        Availability.combine(stock: stock ?? self.stock(), delivered: deliveredCells.mapValues(\.sum))
    }

    /// Every lot made by an entry that counts, with its products, as
    /// `LedgerState.lotProducts()`: from the stock cells, whose contributors are every entry
    /// that counts and names a product (an entry without a lot is in the lot "", which
    /// names no lot).
    public func lotProducts() -> [LotProducts] {
        LotProducts.of(stockCells.lazy.compactMap { key, cell in
            guard cell.contributors.contains(where: { LotProducts.makes(self.indexed[Int($0)].kind) }) else { return nil }
            return (key.producer, key.lot, key.product)
        })
    }

    /// What the payments paid towards each id they name, as `LedgerState.salePayments()`.
    public func salePayments() -> [SalePayments] {
        paidBySale.sorted { $0.key < $1.key }.map { SalePayments(sale: $0.key.text, paid: $0.value) }
    }

    /// The ids payments name and no entry carries, as `LedgerState.unheldPaymentTargets()`.
    public func unheldPaymentTargets() -> [String] {
        paymentsBySale.keys.filter { byID[$0] == nil }.sorted().map(\.text)
    }

    /// The ledger's own conflicts, as `LedgerState.domainConflicts()`; the entries they
    /// show are read from `replica`, the one this fold follows, those shown last time kept
    /// from then (`ConflictSideRecords`). `stock` and `availability` are this fold's, when
    /// the caller made them already.
    public mutating func domainConflicts(replica: Replica, stock: [StockLine]? = nil,
                                         availability: [Availability]? = nil) -> [ConflictReport] {
        let stock = stock ?? self.stock()
        let availability = availability ?? self.availability(stock: stock)
        // Twice: once to learn which entries the reports show, which are then read in the
        // order they lie (scattered over the history, and each read of an event kept out of
        // memory decodes its whole chunk), then to make the reports from them.
        var wanted: [EventID] = []
        _ = domainConflicts(stock: stock, availability: availability) { refs in
            wanted += refs.map(\.event)
            return []
        }
        let read = conflictSides.read(wanted, in: replica.history)
        return domainConflicts(stock: stock, availability: availability) { refs in
            refs.compactMap { ref in read[ref.event] }
        }
    }

    /// How many entries the conflicts showed at the last `domainConflicts(replica:)`, kept
    /// for the next: what this fold holds for them.
    public var conflictSideCount: Int { conflictSides.count }

    private func domainConflicts(stock: [StockLine], availability: [Availability],
                                 records: ([RecordRef]) -> [LedgerRecord]) -> [ConflictReport] {
        var reports: [ConflictReport] = []
        for id in duplicatePlaces.keys.sorted() {
            if let report = DomainConflictReports.duplicate(id: id.text, records: records(carrying(id).map(\.ref)),
                                                            isVoided: isVoided) {
                reports.append(report)
            }
        }
        for (target, reversals) in reversalsByTarget.sorted(by: { $0.key < $1.key }) {
            // Only a reversal's wording needs the entries; most targets have none to report.
            let targets = carrying(target)
            guard targets.isEmpty || targets.contains(where: { $0.kind == .reversal }) || reversals.count > 1
                || reversals.contains(where: { reversalEvents[$0] != nil })
                || reversals.contains(where: { reversal in !targets.contains { $0.producer == reversalProducers[reversal] } })
            else { continue }
            reports += DomainConflictReports.reversal(target: target.text, targets: records(targets.map(\.ref)),
                                                      reversals: records(reversals))
        }
        for (sale, payments) in paymentsBySale.sorted(by: { $0.key < $1.key }) {
            let sales = carrying(sale)
            let due = sales.filter { $0.kind == .reversal || !isVoided($0, id: sale) }.reduce(Int64(0)) { $0 &+ ($1.amount ?? 0) }
            guard sales.isEmpty || (paidBySale[sale] ?? 0) > due else { continue }
            if let report = DomainConflictReports.payment(sale: sale.text, sales: records(sales.map(\.ref)), isVoided: isVoided,
                                                          payments: records(payments)) {
                reports.append(report)
            }
        }
        reports += orders.conflicts(availability: availability, isHeld: { byID[ExactString($0)] != nil })
        for line in stock where line.quantity < 0 {
            let key = StockKey(producer: line.producer, product: line.product, lot: line.lot)
            reports.append(DomainConflictReports.stock(line: line, contributors: records((stockCells[key]?.contributors ?? []).map { indexed[Int($0)].ref })))
        }
        reports += DomainConflictReports.membership(Array(setAside.values))
        return reports
    }
}

/// Where an entry sits in record order (clock, then event id), and its event.
struct RecordRef: Hashable, Comparable, Sendable {
    var clock: HLCTimestamp
    var event: EventID

    static func < (lhs: RecordRef, rhs: RecordRef) -> Bool { (lhs.clock, lhs.event) < (rhs.clock, rhs.event) }
}

struct StockCell: Sendable {
    var quantity: Int64 = 0
    /// Contributors that gave a quantity: a lot is a stock line only when one did.
    var measured = 0
    /// Every entry that counts and moved this lot, in record order (the conflict's sides),
    /// as places in the fold's `indexed` (4 bytes each, not 72).
    var contributors: [Int32] = []
    /// The latest measured contributor with a unit (a place, as `contributors`), and that
    /// unit: kept as a whole record reference it made each of some 300,000 cells at 1M
    /// three times as wide.
    var unitSource: (place: Int32, unit: QuantityUnit)?
}

/// A total and how many entries make it (the key goes when none does).
struct CountedSum: Sendable {
    var sum: Int64 = 0
    var count = 0

    mutating func add(_ value: Int64, count change: Int) {
        sum &+= value
        count += change
    }
}

extension Array where Element == RecordRef {
    mutating func insertSorted(_ ref: RecordRef) {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < ref { low = middle + 1 } else { high = middle }
        }
        if low < count, self[low] == ref { return }
        insert(ref, at: low)
    }

    mutating func removeSorted(_ ref: RecordRef) {
        if let index = firstIndex(of: ref) { remove(at: index) }
    }
}

extension Array where Element == Int32 {
    /// Inserts a place where the record order of the entries puts it (`ref` gives each
    /// place's), once.
    mutating func insertSorted(_ place: Int32, ref: (Int32) -> RecordRef) {
        let new = ref(place)
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if ref(self[middle]) < new { low = middle + 1 } else { high = middle }
        }
        if low < count, ref(self[low]) == new { return }
        insert(place, at: low)
    }
}

extension LedgerViews {
    /// The views of a replica from a fold that follows it (caught up first): what a writer
    /// that holds a fold leaves in the views file, without folding every event again.
    public init(replica: Replica, fold: inout LedgerFold) {
        fold.catchUp(with: replica)
        var labels: [NodeID: String] = [:]
        for node in replica.history.nodeIDs {
            if let label = replica.label(of: node) { labels[node] = label }
        }
        let stock = fold.stock()
        let availability = fold.availability(stock: stock)
        let domain = fold.domainConflicts(replica: replica, stock: stock, availability: availability)
        self.init(stock: stock, balances: fold.balances(), availability: availability,
                  conflicts: Conflicts.all(replica: replica, domain: domain, reviews: fold.reviews, membership: fold.membership),
                  catalog: Catalog(replica: replica, membership: fold.membership), labels: labels, entryCount: fold.entryCount,
                  unreadableCount: fold.unreadableCount,
                  members: MembersView(membership: fold.membership, replica: replica, setAside: fold.setAsideVerdicts),
                  openOrders: fold.orders.openTotals(), unheldPaymentTargets: fold.unheldPaymentTargets(),
                  lotProducts: fold.lotProducts(), salePayments: fold.salePayments(),
                  nodeRecords: NodeRecords.listed(in: replica))
    }
}
