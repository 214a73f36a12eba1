import CarnetCore

extension LedgerViews {
    /// These views with one more entry, made from the views alone, or nil when the views
    /// cannot tell what the entry changes. What `carnet record` does on a hub of a million
    /// entries, where folding every event again for one harvest took seconds; on nil the
    /// writer folds as before, so a nil costs time and never exactness.
    ///
    /// Every view is a sum or a set keyed by something, and a new entry adds to the sums
    /// it names. What the views alone cannot tell, and so gives nil:
    /// - in a ledger with members, an entry that does not count, or whose standing the
    ///   views do not know (`countsAmongMembers`);
    /// - an entry that names another (`ref`, `ref_event`, an order line), or whose id
    ///   another entry carries or a reversal or payment names (`idIsNamed`, from the entry
    ///   index; `unheldPaymentTargets`): its conflicts need those entries;
    /// - a stock line below zero before or after (the conflict lists every contributor);
    /// - open orders of its product that exceed what the producers hold, before or after;
    /// - a unit other than its lot's (the lot's unit is its latest contributor's, and the
    ///   new entry may not be the latest: a peer's clock can run ahead of this node's).
    ///
    /// `record`: the entry as written, with its event and clock; `writerLabel`: its
    /// writer's label as the replica gives it after the write (`Replica.label(of:)`).
    public func appending(_ record: LedgerRecord, writerLabel: String?, idIsNamed: Bool, writtenHere: Bool = false) -> LedgerViews? {
        var next = self
        return next.append(record, writerLabel: writerLabel, idIsNamed: idIsNamed, writtenHere: writtenHere) ? next : nil
    }

    /// `appending` in place: true when the entry is added, false with these views left as
    /// they were. Worth it for a writer holding the only copy of large views: at ten
    /// million entries, `appending` copied every stock line and lot for one harvest.
    ///
    /// `saleWorth`: for a payment settling a sale (`ref`), what the entries held that carry
    /// that id and are not voided are worth (the sum of their amounts; nil when none is
    /// held). It is taken when what payments then paid towards that id (`salePayments`)
    /// stays at or below it: no overpayment conflict before or after, none changed.
    /// `writtenHere`: the entry is this node's own write (in a ledger with members, what
    /// views without chain ends know the standing of).
    public mutating func append(_ record: LedgerRecord, writerLabel: String?, idIsNamed: Bool,
                                saleWorth: Int64? = nil, writtenHere: Bool = false) -> Bool {
        let entry = record.entry
        guard Self.countsAmongMembers(record, members, writtenHere: writtenHere), !idIsNamed, Self.addsToSums(entry),
              !Self.sortedContains(unheldPaymentTargets, entry.id) else { return false }
        if let sale = entry.ref {
            let amount = entry.amount ?? 0
            guard let saleWorth, amount >= 0, !Self.sortedContains(unheldPaymentTargets, sale),
                  paid(towards: sale) &+ amount <= saleWorth else { return false }
        }
        let writer = record.writer
        let relabel = labels[writer] != writerLabel
        if relabel {
            guard labels[writer] == nil, writerLabel != nil else { return false }
        }
        // The one step that can still refuse, and undoes itself when it does.
        if let direction = entry.kind.stockDirection, let product = entry.product, let quantity = entry.quantity {
            guard addStock(entry, product: product, quantity: direction &* quantity) else { return false }
        }
        if relabel { labels[writer] = writerLabel }
        var pending = PendingLines()
        addLotAndBalance(entry, pending: &pending)
        mergePending(pending)
        return true
    }

    /// Adds entries a writer already added with `append` (the views then took them), in
    /// order, as `append` adds them but without its checks: what a reader does with the
    /// entries the log holds past the views file's stamp (`DerivedTail`), on views of which
    /// it decoded only what it shows. A part it did not decode gets lines that mean
    /// nothing, and is not shown.
    ///
    /// `stockIsTotals`: the stock holds the totals over lots (`StockTotals`, the section a
    /// reader decodes without `--by-lot`) rather than the lots. Then false when the totals
    /// alone cannot say what an entry does: a product the producer has no total of (its
    /// lots may sum to zero, and their units decide the total's), or a unit other than the
    /// total's. The reader decodes the lots instead.
    public mutating func addTaken(_ records: [LedgerRecord], stockIsTotals: Bool) -> Bool {
        // Each product's availability is made again once, from the stock as the entries leave it.
        var delivered: [ExactString: (product: String, added: Int64)] = [:]
        var pending = PendingLines()
        for record in records {
            let entry = record.entry
            if let direction = entry.kind.stockDirection, let product = entry.product, let quantity = entry.quantity {
                guard addTakenStock(entry, product: product, change: direction &* quantity, stockIsTotals: stockIsTotals,
                                    pending: &pending) else {
                    return false
                }
                delivered[ExactString(product), default: (product, 0)].added &+= entry.kind == .delivery ? quantity : 0
            }
            addLotAndBalance(entry, pending: &pending)
        }
        mergePending(pending)
        if !stockIsTotals, !delivered.isEmpty { remakeAvailability(delivered) }
        return true
    }

    /// The lines a batch adds that the views did not hold, merged in once at its end
    /// (`Array.merge(sorted:by:)`).
    private struct PendingLines {
        var stock: [StockLine] = []
        var lots: [LotProducts] = []
        var paid: [SalePayments] = []
    }

    private mutating func mergePending(_ pending: PendingLines) {
        stock.merge(sorted: pending.stock, by: StockLine.precedes)
        lotProducts.merge(sorted: pending.lots, by: LotProducts.precedes)
        salePayments.merge(sorted: pending.paid, by: Self.salePrecedes)
    }

    private static func salePrecedes(_ lhs: SalePayments, _ rhs: SalePayments) -> Bool { ExactString.less(lhs.sale, rhs.sale) }

    /// `change` added to the entry's stock line (of its lot, or the total over its lots).
    private mutating func addTakenStock(_ entry: LedgerEntry, product: String, change: Int64, stockIsTotals: Bool,
                                        pending: inout PendingLines) -> Bool {
        let line = StockLine(producer: entry.producer, product: product, lot: stockIsTotals ? "" : entry.lot ?? "",
                             quantity: 0, unit: nil)
        let index = Self.insertionPoint(of: line, in: stock)
        let held = index < stock.count && !StockLine.precedes(line, stock[index])
        if stockIsTotals {
            guard held, entry.unit == nil || stock[index].unit == nil || stock[index].unit == entry.unit else { return false }
            stock[index].quantity &+= change
            if stock[index].unit == nil { stock[index].unit = entry.unit }
            if stock[index].quantity == 0 { stock.remove(at: index) }
            return true
        }
        stock.update(matching: line, pending: &pending.stock, by: StockLine.precedes) { line in
            line.quantity &+= change
            if line.unit == nil, let unit = entry.unit { line.unit = unit }
        }
        return true
    }

    /// The availability of each product of `delivered` made again from the stock lines in
    /// one pass, as `availability(of:in:delivered:)` makes one, its deliveries added.
    private mutating func remakeAvailability(_ delivered: [ExactString: (product: String, added: Int64)]) {
        var items: [ExactString: Availability] = [:]
        var producers: [ExactString: Set<ExactString>] = [:]
        for (key, value) in delivered {
            let before = availability.first { ExactString($0.product) == key }?.delivered ?? 0
            items[key] = Availability(product: value.product, unit: nil, atProducers: 0, delivered: before &+ value.added, producers: [])
        }
        for line in stock {
            let key = ExactString(line.product)
            guard items[key] != nil else { continue }
            items[key]!.atProducers &+= line.quantity
            if line.quantity > 0 { producers[key, default: []].insert(ExactString(line.producer)) }
            if items[key]!.unit == nil { items[key]!.unit = line.unit }
        }
        for (key, var item) in items {
            item.producers = (producers[key] ?? []).sorted().map(\.text)
            if let place = availability.firstIndex(where: { ExactString($0.product) == key }) {
                availability[place] = item
            } else {
                availability.insert(item, at: availability.firstIndex { ExactString.less(item.product, $0.product) } ?? availability.endIndex)
            }
        }
    }

    /// These views with the catalog, the writers' labels and the field conflicts made again
    /// from `replica`'s registers: all that a write to a product, a party or a node's label
    /// changes (a field conflict is settled by a new value, never by a review, so none is
    /// hidden). Nil in a ledger with members, where a write's standing decides whether it
    /// counts.
    public func withRegisters(of replica: Replica) -> LedgerViews? {
        guard !members.enforced else { return nil }
        var next = self
        next.catalog = Catalog(replica: replica, membership: .open)
        next.labels = [:]
        for node in replica.history.nodeIDs {
            if let label = replica.label(of: node) { next.labels[node] = label }
        }
        next.conflicts = Conflicts.sorted(conflicts.filter { $0.kind != .field } + replica.fieldConflicts.map(Conflicts.fieldReport))
        next.nodeRecords = NodeRecords.listed(in: replica)
        return next
    }

    /// Whether an assignment writes what `withRegisters(of:)` makes again, and nothing else:
    /// a product's or a party's field, or a node's label (not the record of a node it
    /// continues, nor members, keys or the ledger's genesis).
    public static func registersAlone(_ key: FieldKey) -> Bool {
        key.record.type == RecordType.product || key.record.type == RecordType.party
            || key.record.type == Replica.incarnationRecordType && key.field == NodeLabels.field
    }

    /// Whether the views can say that `record` counts. Without members every entry does.
    /// With members (SPEC §9.5), an entry past its node's head does when the node's chain
    /// end (`MembersView.chainEnds`, from judging every member record when the views were
    /// made) covers its seq and its standing lets it write the entry: what judging it among
    /// the members gives. Views of a file without chain ends know only this node's own
    /// next write (`MembersView.ownRoles`).
    public static func countsAmongMembers(_ record: LedgerRecord, _ members: MembersView, writtenHere: Bool) -> Bool {
        guard members.enforced else { return true }
        if let end = members.chainEnds?[record.writer] {
            return end.covers(seq: record.event.dot.seq) && end.counts(record.entry)
        }
        guard writtenHere, let roles = members.ownRoles, !members.ownRevoked else { return false }
        switch record.entry.kind {
        case .review, .order: return false
        default: return roles.mayWrite(for: record.entry.producer)
        }
    }

    /// Kinds that only add to stock and balances, naming no other entry but a payment's
    /// sale (which `append` takes only with what the sale is worth).
    public static func addsToSums(_ entry: LedgerEntry) -> Bool {
        switch entry.kind {
        case .harvest, .production, .delivery, .sale, .purchase, .payment, .loss, .adjust:
            (entry.ref == nil || entry.kind == .payment) && entry.refEvent == nil && entry.order == nil && entry.line == nil
        case .reversal, .review, .order, .uncollected:
            false
        }
    }

    /// Adds `change` to the entry's lot, and the product's availability with it; false, with
    /// the stock as it was, when the views cannot say what that does to the conflicts.
    private mutating func addStock(_ entry: LedgerEntry, product: String, quantity change: Int64) -> Bool {
        var line = StockLine(producer: entry.producer, product: product, lot: entry.lot ?? "", quantity: 0, unit: nil)
        let index = Self.insertionPoint(of: line, in: stock)
        let held = index < stock.count && !StockLine.precedes(line, stock[index])
        if held { line = stock[index] }
        let previous = line
        let after = line.quantity &+ change
        guard line.quantity >= 0, after >= 0 else { return false }
        if let unit = entry.unit {
            guard line.unit == nil || line.unit == unit else { return false }
            line.unit = unit
        }
        line.quantity = after
        if held { stock[index] = line } else { stock.insert(line, at: index) }
        guard addAvailability(entry, product: product) else {
            if held { stock[index] = previous } else { stock.remove(at: index) }
            return false
        }
        return true
    }

    /// The product's availability made again from the stock (its line just changed);
    /// false, with the availability as it was, when open orders of the product exceed what
    /// producers hold before or after.
    private mutating func addAvailability(_ entry: LedgerEntry, product: String) -> Bool {
        let key = ExactString(product)
        let place = availability.firstIndex { ExactString($0.product) == key }
        let before = place.map { availability[$0] }
        let delivered = (before?.delivered ?? 0) &+ (entry.kind == .delivery ? entry.quantity ?? 0 : 0)
        let item = Self.availability(of: product, in: stock, delivered: delivered)
        if let open = openOrders.first(where: { ExactString($0.product) == key }),
           OrderBook.shortfall(open: open.quantity, unit: open.unit, held: before) != nil
            || OrderBook.shortfall(open: open.quantity, unit: open.unit, held: item) != nil {
            return false
        }
        if let place {
            availability[place] = item
        } else {
            let at = availability.firstIndex { ExactString.less(product, $0.product) } ?? availability.endIndex
            availability.insert(item, at: at)
        }
        return true
    }

    /// One product's availability from the stock lines, as `Availability.combine` makes it.
    private static func availability(of product: String, in stock: [StockLine], delivered: Int64) -> Availability {
        let key = ExactString(product)
        var item = Availability(product: product, unit: nil, atProducers: 0, delivered: delivered, producers: [])
        var producers = Set<ExactString>()
        for line in stock where ExactString(line.product) == key {
            item.atProducers &+= line.quantity
            if line.quantity > 0 { producers.insert(ExactString(line.producer)) }
            if item.unit == nil { item.unit = line.unit }
        }
        item.producers = producers.sorted().map(\.text)
        return item
    }

    /// What every entry the views take adds beyond the stock: its lot's product, its
    /// balance, and one to the entries.
    private mutating func addLotAndBalance(_ entry: LedgerEntry, pending: inout PendingLines) {
        if LotProducts.makes(entry.kind), let lot = entry.lot, !lot.isEmpty, let product = entry.product {
            lotProducts.update(matching: LotProducts(producer: entry.producer, lot: lot, products: []), pending: &pending.lots,
                               by: LotProducts.precedes) { made in
                guard !Self.sortedContains(made.products, product) else { return }
                made.products.insert(product, at: made.products.firstIndex { ExactString.less(product, $0) } ?? made.products.endIndex)
            }
        }
        if let party = entry.party, let amount = entry.amount {
            switch entry.kind {
            case .sale: addBalance(producer: entry.producer, party: party, cents: amount)
            case .payment, .purchase: addBalance(producer: entry.producer, party: party, cents: 0 &- amount)
            default: break
            }
        }
        if entry.kind == .payment, let sale = entry.ref {
            salePayments.update(matching: SalePayments(sale: sale, paid: 0), pending: &pending.paid, by: Self.salePrecedes) {
                $0.paid &+= entry.amount ?? 0
            }
        }
        entryCount += 1
    }

    /// What `salePayments` says the payments paid towards `sale` (0 without a line).
    public func paid(towards sale: String) -> Int64 {
        let at = Self.salePaymentsPoint(of: sale, in: salePayments)
        return at < salePayments.count && ExactString(salePayments[at].sale) == ExactString(sale) ? salePayments[at].paid : 0
    }

    private static func salePaymentsPoint(of sale: String, in lines: [SalePayments]) -> Int {
        var low = 0, high = lines.count
        while low < high {
            let middle = (low + high) / 2
            if ExactString.less(lines[middle].sale, sale) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private mutating func addBalance(producer: String, party: String, cents: Int64) {
        let balance = Balance(producer: producer, party: party, cents: cents)
        var low = 0, high = balances.count
        while low < high {
            let middle = (low + high) / 2
            if Balance.precedes(balances[middle], balance) { low = middle + 1 } else { high = middle }
        }
        if low < balances.count, !Balance.precedes(balance, balances[low]) {
            balances[low].cents &+= cents
        } else {
            balances.insert(balance, at: low)
        }
    }

    /// Where `line` belongs among the sorted lines: at a line of its key, or where it goes.
    private static func insertionPoint(of line: StockLine, in lines: [StockLine]) -> Int {
        var low = 0, high = lines.count
        while low < high {
            let middle = (low + high) / 2
            if StockLine.precedes(lines[middle], line) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private static func sortedContains(_ ids: [String], _ id: String) -> Bool {
        var low = 0, high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ExactString.less(ids[middle], id) { low = middle + 1 } else { high = middle }
        }
        return low < ids.count && ExactString(ids[low]) == ExactString(id)
    }
}
