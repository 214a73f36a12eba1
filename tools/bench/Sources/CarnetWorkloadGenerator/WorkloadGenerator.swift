import CarnetCore
import CarnetLedger
import CarnetWorkload

/// Writes workloads in the `producer-ledger-workload/1` format for people who do not have
/// the reference generator: same line types, fields, order and causality rules, from a
/// seed. The files are not byte-identical to the reference generator's (published figures
/// should use the reference files), but every reader and benchmark accepts them.
public struct WorkloadGenerator: Sendable {
    public var entries: Int
    public var farms = 20
    public var days = 60
    public var products = 200
    public var seed: UInt64 = 42
    public var start = CalendarDay(iso: "2026-03-02")!

    public init(entries: Int) { self.entries = entries }

    /// The whole file, ready to write.
    public func generate() -> [UInt8] {
        precondition(entries >= 1 && (1...100).contains(farms) && (2...255).contains(days) && (1...256).contains(products),
                     "entries ≥ 1, 1–100 farms, 2–255 days, 1–256 products")
        var rng = SplitMix64(seed: seed ^ 0x5EED_CA7A_1065)
        var catalog = GeneratedCatalog(count: products, using: &rng)
        var farmStates = (0..<farms).map { FarmState(index: $0, products: catalog.codes, using: &rng) }
        let perDay = Self.entriesPerDayAndFarm(entries: entries, days: days, farms: farms, using: &rng)
        var body: [WorkloadLine] = []
        var kinds: [String: Int] = [:]
        var catalogLines = 0, conflictGroups = 0
        for day in 0..<days {
            let date = CalendarDay(daysSinceEpoch: start.daysSinceEpoch + Int32(day)).iso
            var edits = day == 0 ? catalog.creations(date: date) : catalog.edits(day: day, date: date, farms: farmStates, using: &rng)
            if day > 0, day % 2 == 1 {
                edits += catalog.concurrentGroup(date: date, farms: farmStates, using: &rng)
                conflictGroups += 1
            }
            // Hub first, then farms in order; each actor's catalog lines, then its entries.
            for actor in [-1] + Array(0..<farms) {
                let name = actor < 0 ? "HUB" : farmStates[actor].name
                for edit in edits where edit.actor == name { body.append(.catalog(edit)) }
                guard actor >= 0 else { continue }
                for _ in 0..<perDay[day][actor] {
                    let entry = farmStates[actor].nextEntry(date: date, catalog: catalog, using: &rng)
                    kinds[entry.kind, default: 0] += 1
                    body.append(.entry(entry))
                }
            }
            catalogLines += edits.count
            body.append(.sync(day: day))
        }
        let kindOrder = ["harvest", "delivery", "sale", "payment", "reversal"]
        let meta = WorkloadMeta(
            seed: Int(truncatingIfNeeded: seed), farms: farms, days: days, products: products, entries: entries,
            start: start.iso, hub: "HUB", actors: ["HUB"] + farmStates.map(\.name),
            counts: [("entry", entries), ("cat", catalogLines), ("sync", days)],
            kinds: kindOrder.compactMap { kind in kinds[kind].map { (kind, $0) } },
            conflictGroups: conflictGroups
        )
        var out: [UInt8] = []
        out.reserveCapacity(entries * 170 + 100_000)
        for line in [WorkloadLine.meta(meta)] + body {
            line.appendEncoded(to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// Spreads the entries over days (busier at the end of the week) and farms (some farms
    /// are bigger), exactly `entries` in all.
    static func entriesPerDayAndFarm<R: RandomNumberGenerator>(entries: Int, days: Int, farms: Int, using rng: inout R) -> [[Int]] {
        let weekday = [1.0, 1.1, 0.9, 1.2, 1.3, 1.5, 0.3]
        let farmWeights = (0..<farms).map { _ in Double.random(in: 0.4...1.6, using: &rng) }
        var weights: [Double] = []
        for day in 0..<days { for farm in 0..<farms { weights.append(weekday[day % 7] * farmWeights[farm]) } }
        let total = weights.reduce(0, +)
        var counts = weights.map { Int(Double(entries) * $0 / total) }
        var remainders = weights.enumerated().map { (index: $0.offset, rest: Double(entries) * $0.element / total - Double(counts[$0.offset])) }
        remainders.sort { ($0.rest, -$0.index) > ($1.rest, -$1.index) }
        for item in remainders.prefix(entries - counts.reduce(0, +)) { counts[item.index] += 1 }
        return (0..<days).map { day in Array(counts[(day * farms)..<((day + 1) * farms)]) }
    }
}
