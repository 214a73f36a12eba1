import CarnetCore
import CarnetWire

extension NodeStore {
    /// The first of `operations` whose event would pass the per-event canonical size limit
    /// (protocol/SPEC.md §3.2), as the error to throw; nil when all fit. Checked before
    /// any event is made, with the clocks the events will get, so the size is exact and
    /// a refused write leaves the replica untouched: stored, such an event would be
    /// refused by every peer, and its node could never sync it.
    static func oversized(_ operations: [Operation], first: Dot, clock: HybridClock, wallMillis: UInt64) -> StoreError? {
        var clock = clock
        for (index, operation) in operations.enumerated() {
            let size = CanonicalSize.header(seq: first.seq + UInt64(index), clock: clock.tick(wallMillis: wallMillis))
                + CanonicalSize.operation(operation)
            if size > WireLimits.maxEventCanonicalBytes {
                return .eventTooLarge(what: subject(of: operation), bytes: size, limit: WireLimits.maxEventCanonicalBytes, local: true)
            }
        }
        return nil
    }

    /// The first of `events` (from a peer, a bundle, another directory) above the limit.
    static func oversized(_ events: [Event]) -> StoreError? {
        guard let event = events.first(where: { $0.canonicalSize > WireLimits.maxEventCanonicalBytes }) else { return nil }
        return .eventTooLarge(what: "event \(event.dot) (\(subject(of: event.operation)))", bytes: event.canonicalSize,
                              limit: WireLimits.maxEventCanonicalBytes, local: false)
    }

    private static func subject(of operation: Operation) -> String {
        switch operation {
        case let .append(entry): "entry \(entry.id.count > 40 ? String(entry.id.prefix(40)) + "…" : entry.id)"
        case let .assign(assignment): "the write to \(assignment.key)"
        }
    }
}
