import CarnetCore
import CarnetLedger
import CarnetWire

/// The README's main job until the store and TCP sync exist: four in-memory replicas (a hub
/// and three farms, one farm with two devices) that write offline, then sync by exchanging
/// real encoded event batches, and converge to one digest. Everything it prints is computed.
struct Demo {
    let seed: UInt64
    private var now: UInt64 = 1_780_300_800_000  // 2026-06-01 08:00 UTC, a virtual clock

    init(seed: UInt64) { self.seed = seed }

    mutating func tick() -> UInt64 {
        now += 97_000
        return now
    }

    /// Returns true when every replica ended with the same digest and no open conflict.
    mutating func run<Out: TextOutputStream>(printer out: inout Out) -> Bool {
        print("Carnet demo — in-memory replicas (no disk, no TCP yet: those are the store and sync issues).", to: &out)
        print("Sync below moves real encoded event batches between the replicas and counts their bytes.\n", to: &out)
        var hub = Replica(node: NodeID.derived(from: "demo-hub"))
        var col = Replica(node: NodeID.derived(from: "demo-ferme-du-col"))
        var colPhone = Replica(node: NodeID.derived(from: "demo-ferme-du-col-phone"))
        var chevre = Replica(node: NodeID.derived(from: "demo-chevrerie"))
        let names = [hub.node: "hub", col.node: "ferme-du-col (laptop)", colPhone.node: "ferme-du-col (phone)", chevre.node: "chevrerie"]
        let today = CalendarDay(epochMillis: now)

        print("1. The hub creates the catalog and the parties.", to: &out)
        for (sku, name, unit, price) in [("tomme", "Tomme de brebis", "g", Int64(2400)), ("oeufs", "Œufs bio", "pc", 45), ("salade", "Salade batavia", "pc", 120)] {
            hub.assign(Catalog.productKey(sku, .name), .text(name), wallMillis: tick())
            hub.assign(Catalog.productKey(sku, .unit), .text(unit), wallMillis: tick())
            hub.assign(Catalog.productKey(sku, .price), .int(price), wallMillis: tick())
        }
        for (id, name, kind) in [("col", "Ferme du Col", "farm"), ("chevrerie", "Chèvrerie des Pins", "farm"), ("cantine-jaures", "Cantine Jaurès", "canteen")] {
            hub.assign(Catalog.partyKey(id, .name), .text(name), wallMillis: tick())
            hub.assign(Catalog.partyKey(id, .kind), .text(kind), wallMillis: tick())
        }
        var stats = SyncStats()
        syncEveryDevice(&hub, &col, &colPhone, &chevre, stats: &stats)
        print("   every farm device pulled the catalog: \(stats.events) events, \(stats.bytes) bytes.\n", to: &out)
        let chevreBackup = chevre  // the chèvrerie's laptop is backed up tonight

        print("2. Offline, the farms record their morning.", to: &out)
        let harvest = LedgerEntry(id: "col-1", kind: .harvest, producer: "col", date: today, product: "tomme",
                                  quantity: 12_000, unit: .grams, lot: "L-col-07")
        col.write(.append(harvest.coreEntry), wallMillis: tick())
        colPhone.merge(with: col)  // the phone saw the harvest at breakfast, then went to market
        let laptopSale = LedgerEntry(id: "col-2", kind: .sale, producer: "col", date: today, product: "tomme",
                                     quantity: 8_000, unit: .grams, lot: "L-col-07", party: "cantine-jaures", amount: 19_200)
        col.write(.append(laptopSale.coreEntry), wallMillis: tick())
        let phoneSale = LedgerEntry(id: "col-p1", kind: .sale, producer: "col", date: today, product: "tomme",
                                    quantity: 6_000, unit: .grams, lot: "L-col-07", party: "cantine-jaures", amount: 14_400)
        colPhone.write(.append(phoneSale.coreEntry), wallMillis: tick())
        print("   ferme-du-col harvests 12 kg of tomme (lot L-col-07); the laptop sells 8 kg to the canteen,", to: &out)
        print("   and the phone, offline at the market, sells 6 kg of the same lot.", to: &out)
        for n in 1...5 {
            let eggs = LedgerEntry(id: "chv-\(n)", kind: n % 2 == 1 ? .harvest : .sale, producer: "chevrerie", date: today,
                                   product: "oeufs", quantity: Int64(n % 2 == 1 ? 60 : 24), unit: .pieces, lot: "L-chv-\(n / 2 + 1)",
                                   party: n % 2 == 1 ? nil : "cantine-jaures", amount: n % 2 == 1 ? nil : 1_080)
            chevre.write(.append(eggs.coreEntry), wallMillis: tick())
        }
        print("   the chèvrerie records 3 egg harvests and 2 sales.", to: &out)
        col.assign(Catalog.productKey("tomme", .price), .int(2_600), wallMillis: tick())
        chevre.assign(Catalog.productKey("tomme", .price), .int(2_350), wallMillis: tick())
        print("   meanwhile two farms change the price of tomme at once: 26,00 €/kg and 23,50 €/kg.\n", to: &out)

        print("3. Each device syncs with the hub (farm → hub, then hub → farm).", to: &out)
        stats = SyncStats()
        for _ in 0..<2 {
            syncEveryDevice(&hub, &col, &colPhone, &chevre, stats: &stats)
        }
        print("   \(stats.events) events in \(stats.batches) batches, \(stats.bytes) bytes on the wire.", to: &out)
        printDigests([hub, col, colPhone, chevre], names: names, to: &out)

        print("\n4. Conflicts found on the merged ledger (the same list on every node):", to: &out)
        var conflicts = Conflicts.all(replica: hub)
        printConflicts(conflicts, names: names, to: &out)

        print("\n5. The hub resolves them.", to: &out)
        if let price = hub.fieldConflicts.first {
            hub.assign(price.key, .int(2_500), wallMillis: tick())
            print("   price of tomme set to 25,00 €/kg, superseding both values (an auditable event).", to: &out)
        }
        let ledger = LedgerState(replica: hub)
        if let duplicateSale = ledger.records(withID: "col-p1").first {
            let adjust = LedgerEntry(id: "hub-adj-1", kind: .adjust, producer: "col", date: today, product: "tomme",
                                     quantity: 2_000, unit: .grams, lot: "L-col-07",
                                     note: "2 kg found in the cold room, covers sale \(duplicateSale.entry.id)")
            hub.write(.append(adjust.coreEntry), wallMillis: tick())
            print("   the 2 kg oversold are found in the cold room: an `adjust` of +2 kg on lot L-col-07.", to: &out)
        }
        stats = SyncStats()
        syncEveryDevice(&hub, &col, &colPhone, &chevre, stats: &stats)
        print("   synced again: \(stats.events) events, \(stats.bytes) bytes.", to: &out)
        printDigests([hub, col, colPhone, chevre], names: names, to: &out)
        conflicts = Conflicts.all(replica: chevre)
        print("   open conflicts on the chèvrerie now: \(conflicts.count)", to: &out)

        print("\n6. Stock on hand, as every node now computes it:", to: &out)
        for line in LedgerState(replica: colPhone).stock() {
            let quantity = line.unit.map { Quantity(line.quantity, $0).description } ?? "\(line.quantity)"
            print("   \(line.producer.padding(11)) \(line.product.padding(8)) \(line.lot.padding(10)) \(quantity)", to: &out)
        }
        let resolved = conflicts.isEmpty

        print("\n7. A week later the chèvrerie's laptop dies and is restored from the backup.", to: &out)
        var restored = chevreBackup
        let again = LedgerEntry(id: "chv-1", kind: .harvest, producer: "chevrerie", date: today, product: "oeufs",
                                quantity: 48, unit: .pieces, lot: "L-chv-9")
        restored.write(.append(again.coreEntry), wallMillis: tick())
        print("   not knowing, it records a harvest of 48 eggs — reusing sequence number 1 and id chv-1.", to: &out)
        stats = SyncStats()
        exchange(&hub, &restored, stats: &stats)
        print("   it syncs with the hub (\(stats.events) events, \(stats.bytes) bytes) and receives the history it had lost.", to: &out)
        print("   Its own node now has two histories; both are kept, and it reports:", to: &out)
        printConflicts(Conflicts.all(replica: restored).filter { $0.kind == .fork || $0.kind == .duplicateEntry }, names: names, to: &out)
        if restored.hasForkedItself {
            restored = restored.continuing(as: NodeID.derived(from: "demo-chevrerie-restored"), wallMillis: tick())
            print("   the laptop sees its own fork and goes on under a new node id \(restored.node.short), linked to the old one.", to: &out)
        }
        chevre = restored
        for _ in 0..<2 {
            syncEveryDevice(&hub, &col, &colPhone, &chevre, stats: &stats)
        }
        printDigests([hub, col, colPhone, chevre], names: names, to: &out)
        let forksAtHub = Conflicts.all(replica: hub).filter { $0.kind == .fork }.count
        print("   after the next syncs every node lists the fork (\(forksAtHub) at the hub).", to: &out)
        let eggs = LedgerState(replica: hub).stock().filter { $0.product == "oeufs" }.reduce(Int64(0)) { $0 + $1.quantity }
        print("   no egg is lost: the hub counts \(eggs) eggs on hand, both branches included, until someone reviews them.", to: &out)

        let converged = Set([hub, col, colPhone, chevre].map(\.digest)).count == 1
        print(converged ? "\nAll four replicas hold the same events and the same state." : "\nReplicas DIFFER: this is a bug.", to: &out)
        return converged && resolved
    }

    /// Each farm device syncs with the hub in turn, as they do when their links come up.
    private func syncEveryDevice(_ hub: inout Replica, _ a: inout Replica, _ b: inout Replica, _ c: inout Replica,
                                 stats: inout SyncStats) {
        exchange(&hub, &a, stats: &stats)
        exchange(&hub, &b, stats: &stats)
        exchange(&hub, &c, stats: &stats)
    }

    /// One sync between two replicas through the real batch codec: each side sends, as one
    /// encoded batch, the events the other's summary (version vector and heads) says it lacks.
    private func exchange(_ a: inout Replica, _ b: inout Replica, stats: inout SyncStats) {
        for direction in 0..<2 {
            let (from, to) = direction == 0 ? (b, a) : (a, b)
            let missing = from.eventsMissing(from: to.summary)
            guard !missing.isEmpty else { continue }
            let bytes = EventBatch.encode(missing)
            guard let decoded = try? EventBatch.decode(bytes) else { fatalError("a batch we encoded failed to decode") }
            if direction == 0 { a.receive(contentsOf: decoded) } else { b.receive(contentsOf: decoded) }
            stats.events += decoded.count
            stats.bytes += bytes.count
            stats.batches += 1
        }
    }

    private func printDigests<Out: TextOutputStream>(_ replicas: [Replica], names: [NodeID: String], to out: inout Out) {
        for replica in replicas {
            print("   \((names[replica.node] ?? replica.node.short).padding(22)) \(replica.eventCount) events  digest \(replica.digest.short)", to: &out)
        }
    }

    private func printConflicts<Out: TextOutputStream>(_ conflicts: [ConflictReport], names: [NodeID: String], to out: inout Out) {
        for conflict in conflicts {
            print("   [\(conflict.id)] \(conflict.kind.rawValue): \(conflict.summary)", to: &out)
            for side in conflict.sides {
                print("      - \(side.detail)  (by \(names[side.writer] ?? side.writer.short) at \(side.clock.readable))", to: &out)
            }
            print("      → \(conflict.suggestion)", to: &out)
        }
    }
}

struct SyncStats {
    var events = 0
    var bytes = 0
    var batches = 0
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
