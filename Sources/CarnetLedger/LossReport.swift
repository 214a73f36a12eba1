import CarnetCore

/// Stock lost, by actor, product and reason: what the evaluation groups waste by. Losses
/// recorded before the reasons were a fixed list (free text) count as `other`.
public struct LossLine: Sendable, Equatable {
    public var actor: String
    public var product: String
    public var reason: LossReason
    public var unit: QuantityUnit?
    public var quantity: Int64
    public var entries: Int
}

public enum LossReport {
    /// Every loss that counts (voided ones do not) dated from `from` to `to` included, in
    /// (actor, product, reason) order.
    public static func lines(state: LedgerState, from: CalendarDay? = nil, to: CalendarDay? = nil) -> [LossLine] {
        var byKey: [LossKey: LossLine] = [:]
        for record in state.effectiveRecords where record.entry.kind == .loss {
            let entry = record.entry
            guard let product = entry.product, let quantity = entry.quantity else { continue }
            if let from, entry.date < from { continue }
            if let to, entry.date > to { continue }
            let reason = entry.reason.flatMap(LossReason.init(rawValue:)) ?? .other
            let key = LossKey(actor: ExactString(entry.producer), product: ExactString(product), reason: reason)
            var line = byKey[key] ?? LossLine(actor: entry.producer, product: product, reason: reason, unit: entry.unit,
                                              quantity: 0, entries: 0)
            line.quantity &+= quantity
            line.entries += 1
            if line.unit == nil { line.unit = entry.unit }
            byKey[key] = line
        }
        return byKey.sorted { $0.key < $1.key }.map(\.value)
    }
}

struct LossKey: Hashable, Comparable {
    var actor: ExactString
    var product: ExactString
    var reason: LossReason

    static func < (lhs: LossKey, rhs: LossKey) -> Bool {
        if lhs.actor != rhs.actor { return lhs.actor < rhs.actor }
        if lhs.product != rhs.product { return lhs.product < rhs.product }
        return LossReason.allCases.firstIndex(of: lhs.reason)! < LossReason.allCases.firstIndex(of: rhs.reason)!
    }
}
