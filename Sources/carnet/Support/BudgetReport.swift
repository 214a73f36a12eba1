import CarnetNode

/// How `carnet sync --budget` tells what a budget left (protocol/SPEC.md 8.3.9).
enum BudgetReport {
    /// "sent 1,203 of 4,000 own events; 2,797 left and 812 to receive within the budget of
    /// 200,000 bytes: run `carnet sync hub:7420` again".
    static func sentence(_ left: SyncLeftovers, budget: UInt32, peer: String) -> String {
        func g(_ value: some BinaryInteger) -> String { ByteSize.grouped(value) }
        return "the budget of \(g(budget)) bytes is spent: sent \(g(left.ownSent)) of \(g(left.ownToSend)) own events; "
            + "\(g(left.ownLeft)) left and \(g(left.toReceive)) to receive: run `carnet sync \(peer)` again"
    }

    static func json(budget: UInt32, _ left: SyncLeftovers?) -> JSON {
        .object([
            "bytes": .int(Int64(budget)),
            "ownToSend": left.map { .int($0.ownToSend) } ?? .null,
            "ownSent": left.map { .int($0.ownSent) } ?? .null,
            "ownLeft": left.map { .int($0.ownLeft) } ?? .null,
            "toReceive": left.map { .int($0.toReceive) } ?? .null,
            "complete": .bool(left?.isEmpty ?? false),
        ])
    }
}
