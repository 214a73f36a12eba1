import CarnetCore
import CarnetLedger

/// Builds random but realistic histories for property tests: a few nodes writing ledger
/// entries and catalog edits on their own, syncing with each other now and then, with
/// skewed clocks, and sometimes restored from an old backup (which forks them).
///
/// The result is the set of every event any node ever wrote; a test then delivers it in
/// different orders, duplications and groupings and checks that the outcome never changes.
public struct RandomHistory: Sendable {
    public let seed: UInt64
    /// Every event written, in the order they were written (a valid causal order).
    public private(set) var events: [Event] = []
    /// The writers' replicas at the end.
    public private(set) var replicas: [Replica] = []
    /// With members: the signed ledger the writers belong to (writer 0 created it), whose
    /// member records and verdicts the history exercises; nil otherwise.
    public let ledger: LedgerID?

    /// `members`: the writers are devices of a ledger with members. Writer 0 creates it;
    /// enrolments, changes of roles and revocations (some by devices that may not write
    /// them, some with cuts behind what the writer wrote since), entries for another
    /// producer and catalog edits without the role come in at random, from a stream of
    /// their own, so that the main stream and every history pinned by seed stay as they were.
    ///
    /// `adoption` (with `members`): the last writer is a format-1 node, with no key, and the
    /// creator (sometimes another writer, whose adoption counts for nothing) adopts the
    /// heads of it that it holds, at random, from a stream of its own (SPEC 9.7).
    public init(seed: UInt64, nodes nodeCount: Int = 4, steps: Int = 60, members: Bool = false, adoption: Bool = false) {
        self.seed = seed
        var rng = SplitMix64(seed: seed)
        var writers: [Writer] = (0..<nodeCount).map { index in
            Writer(replica: Replica(node: NodeID(using: &rng)), label: "N\(index)",
                   skewMillis: UInt64.random(in: 0...5_000_000, using: &rng))
        }
        var memberStream = SplitMix64(seed: seed ^ 0x3E3B_E125_D00D_F00D)
        var now: UInt64 = 1_780_000_000_000
        if members {
            let founded = MemberHistory.found(&writers, wallMillis: now, using: &memberStream,
                                              formatOne: adoption ? nodeCount - 1 : nil)
            ledger = founded.ledger
            events += founded.events
        } else {
            ledger = nil
        }
        var adoptionStream = SplitMix64(seed: seed ^ 0xAD0B_7ED0_F0E1_0001)
        var backups: [Int: Writer] = [:]
        for _ in 0..<steps {
            now += UInt64.random(in: 1...600_000, using: &rng)
            let index = Int.random(in: 0..<nodeCount, using: &rng)
            let roll = Int.random(in: 0..<100, using: &rng)
            let wall = now + writers[index].skewMillis
            if members, let event = MemberHistory.step(&writers, index: index, wallMillis: wall, using: &memberStream) {
                events.append(event)
            }
            if members, adoption, let ledger,
               let event = MemberHistory.adopt(&writers, formatOne: nodeCount - 1, ledger: ledger, wallMillis: wall,
                                               using: &adoptionStream) {
                events.append(event)
            }
            switch roll {
            case 0..<45:
                if let event = writers[index].appendRandomEntry(wallMillis: wall, using: &rng) { events.append(event) }
            case 45..<68:
                let product = "P\(Int.random(in: 0..<3, using: &rng))"
                let field = Bool.random(using: &rng) ? ProductField.price : ProductField.name
                let value: Value = field == .price
                    ? .int(Int64.random(in: 100...900, using: &rng))
                    : .text(["Tomme", "Chèvre", "Miel", "Œufs"].randomElement(using: &rng)!)
                events.append(writers[index].replica.assign(Catalog.productKey(product, field), value, wallMillis: wall))
            case 68..<90:
                let other = Int.random(in: 0..<nodeCount, using: &rng)
                writers[index].replica.merge(with: writers[other].replica)
            case 90..<95:
                backups[index] = writers[index]
            default:
                if let backup = backups[index] { writers[index] = backup }
            }
        }
        replicas = writers.map(\.replica)
    }

    struct Writer {
        /// A review of a conflict `replica` shows (a kind settled by review), sometimes of
        /// fewer sides than it has (which settles nothing) or of one already settled; nil
        /// when it shows none.
        static func randomReview<R: RandomNumberGenerator>(id: String, day: CalendarDay, of replica: Replica,
                                                           using rng: inout R) -> LedgerEntry? {
            let reviewable = Conflicts.every(replica: replica, domain: LedgerState(replica: replica).domainConflicts())
                .filter(\.kind.settledByReview)
            guard let conflict = reviewable.randomElement(using: &rng) else { return nil }
            var sides = conflict.sides.map(\.event.hash)
            if sides.count > 1, Int.random(in: 0..<4, using: &rng) == 0 { sides.removeLast() }
            return LedgerEntry(id: id, kind: .review, producer: "", date: day, ref: conflict.id, sides: sides, note: "vu")
        }

        var replica: Replica
        var label: String
        var skewMillis: UInt64
        var counter = 0

        mutating func appendRandomEntry<R: RandomNumberGenerator>(wallMillis: UInt64, using rng: inout R) -> Event? {
            counter += 1
            let id = "\(label)-\(counter)"
            let day = CalendarDay(epochMillis: wallMillis)
            let lot = "L\(Int.random(in: 0..<4, using: &rng))"
            let product = "P\(Int.random(in: 0..<3, using: &rng))"
            // Only entries of this replica's own ledger view can be settled or reversed.
            var known: [LedgerRecord] { LedgerState(replica: replica).records }
            let entry: LedgerEntry
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<3:
                entry = LedgerEntry(id: id, kind: .harvest, producer: label, date: day, product: product,
                                    quantity: Int64.random(in: 1...50, using: &rng) * 100, unit: .grams, lot: lot)
            case 3..<5:
                var sale = LedgerEntry(id: id, kind: .sale, producer: label, date: day, product: product,
                                       quantity: Int64.random(in: 1...30, using: &rng) * 100, unit: .grams, lot: lot,
                                       party: "cantine", amount: Int64.random(in: 100...5000, using: &rng))
                // One sale in three fulfils an order line for its product, if one is known
                // (from a stream of its own: the main stream stays as it was).
                var own = SplitMix64(seed: replica.node.low ^ UInt64(counter) &* 0xA24B_AED4_963E_E407)
                let lines = known.filter { $0.entry.kind == .order && $0.entry.product == product }
                if Int.random(in: 0..<3, using: &own) == 0, let line = lines.randomElement(using: &own) {
                    sale.order = line.entry.order
                    sale.line = line.entry.line
                }
                entry = sale
            case 5:
                entry = LedgerEntry(id: id, kind: .delivery, producer: label, date: day, product: product,
                                    quantity: Int64.random(in: 1...30, using: &rng) * 100, unit: .grams, lot: lot, party: "HUB")
            case 6..<8:
                let sales = known.filter { $0.entry.kind == .sale }
                let sale = sales.randomElement(using: &rng)
                entry = LedgerEntry(id: id, kind: .payment, producer: label, date: day, party: "cantine",
                                    amount: Int64.random(in: 100...5000, using: &rng), method: "cash",
                                    ref: sale?.entry.id ?? "missing-\(counter)")
            default:
                guard let target = known.randomElement(using: &rng) else { return nil }
                // What kind of void or review this is comes from a stream of its own, so
                // that the main stream, and every history the tests pin by seed, stays as
                // it was before reviews and event voids existed.
                var own = SplitMix64(seed: replica.node.high ^ replica.node.low &+ UInt64(counter) &* 0x9E37_79B9_7F4A_7C15)
                let roll = Int.random(in: 0..<9, using: &own)
                let orders = known.filter { $0.entry.kind == .order }
                if roll < 2, let review = Self.randomReview(id: id, day: day, of: replica, using: &own) {
                    entry = review
                } else if roll == 3 {
                    // An order of one line, which sales may fulfil, twice or in excess.
                    entry = LedgerEntry(id: OrderLineID.make(order: id, line: 1), kind: .order, producer: label, date: day,
                                        product: "P\(Int.random(in: 0..<3, using: &own))",
                                        quantity: Int64.random(in: 1...40, using: &own) * 100, unit: .grams, party: "cantine",
                                        amount: Int64.random(in: 100...5000, using: &own), order: id, line: 1)
                } else if roll == 4, let order = orders.randomElement(using: &own)?.entry.order {
                    entry = LedgerEntry(id: id, kind: .uncollected, producer: label, date: day, party: "cantine", ref: order)
                } else {
                    // One in nine cancels the target's own event, not every entry with its id.
                    entry = target.entry.reversal(id: id, date: day, reason: "erreur de saisie",
                                                  event: roll == 2 ? target.event.hash : nil)
                }
            }
            return replica.write(.append(entry.coreEntry), wallMillis: wallMillis)
        }
    }
}

/// Delivery schedules for the same set of events: what a network might do to them.
public enum Delivery {
    /// The events in a random order.
    public static func shuffled<R: RandomNumberGenerator>(_ events: [Event], using rng: inout R) -> [Event] {
        events.shuffled(using: &rng)
    }

    /// A random order in which some events arrive two or three times.
    public static func withDuplicates<R: RandomNumberGenerator>(_ events: [Event], using rng: inout R) -> [Event] {
        var out = events
        for event in events where Int.random(in: 0..<3, using: &rng) == 0 {
            out.append(event)
            if Bool.random(using: &rng) { out.append(event) }
        }
        return out.shuffled(using: &rng)
    }

    /// The events split into random groups (possibly overlapping), each group in its own order.
    public static func grouped<R: RandomNumberGenerator>(_ events: [Event], using rng: inout R) -> [[Event]] {
        var groups: [[Event]] = []
        var remaining = events.shuffled(using: &rng)
        while !remaining.isEmpty {
            let size = Int.random(in: 1...max(1, remaining.count), using: &rng)
            var group = Array(remaining.prefix(size))
            remaining.removeFirst(size)
            if let extra = events.randomElement(using: &rng), Bool.random(using: &rng) { group.append(extra) }
            groups.append(group)
        }
        return groups
    }
}
