import CarnetCore
import CarnetWire

/// The reservations of one receiving node, shared by all its sessions (SPEC 8.3 rule 8,
/// "Grants"): which seqs of which node each session was granted and has not yet brought.
/// A receiver grants a seq only when it neither holds it nor has it reserved for another
/// of its sessions, so that each event reaches it at most once (plus the batch in flight
/// when a session is cut). A reservation ends when its event is stored, or when its
/// session ends: what the dead session did not bring can then be granted to another.
///
/// A value without locks: a store that sessions share on several threads (`SharedStore`)
/// keeps it under its own lock; the simulation and tests call it from one thread.
/// Every field states its invariant.
public struct GrantTable: Sendable {
    /// Per node prefix, the reserved seq runs with their session; runs of one node never
    /// overlap (a seq is reserved for at most one session).
    private var reserved: [UInt64: [Reservation]] = [:]

    struct Reservation: Sendable {
        var first: UInt64
        var last: UInt64
        var session: Int
    }

    public init() {}

    /// Seqs reserved in all (for tests and reports).
    public var reservedCount: UInt64 {
        reserved.values.joined().reduce(0) { $0 + $1.last - $1.first + 1 }
    }

    /// What `session` may bring of `offer`: each range less what this node holds
    /// (`holding`: the parts of a range it holds, each with its last event's hash prefix),
    /// less the seqs reserved for another session. What is granted is reserved for
    /// `session`. The held parts are returned apart with their hashes: the sender checks
    /// them against its own chain, offers no more what the peer holds, and offers again at
    /// once what turns out to be another branch at those seqs.
    public mutating func grant(_ offer: [GrantRange], session: Int, holding: (GrantRange) -> [GrantRange])
        -> (granted: [GrantRange], held: [GrantRange]) {
        var granted: [GrantRange] = []
        var held: [GrantRange] = []
        for range in offer {
            let parts = holding(range)
            held += parts
            var pieces = [(first: range.first, last: range.last)]
            for part in parts {
                pieces = pieces.flatMap { piece -> [(first: UInt64, last: UInt64)] in
                    guard part.last >= piece.first, part.first <= piece.last else { return [piece] }
                    var rest: [(first: UInt64, last: UInt64)] = []
                    if part.first > piece.first { rest.append((piece.first, part.first - 1)) }
                    if part.last < piece.last { rest.append((part.last + 1, piece.last)) }
                    return rest
                }
            }
            for piece in pieces {
                for free in free(node: range.node, first: piece.first, last: piece.last, for: session) {
                    granted.append(GrantRange(node: range.node, first: free.first, last: free.last))
                    reserve(node: range.node, first: free.first, last: free.last, session: session)
                }
            }
        }
        return (Self.joined(granted), held.sorted())
    }

    /// Ranges in order, those of one node that overlap or touch joined: a GRANT's lists.
    static func joined(_ ranges: [GrantRange]) -> [GrantRange] {
        var result: [GrantRange] = []
        for range in ranges.sorted() {
            if let last = result.last, last.node == range.node, range.first <= last.last + 1 {
                result[result.count - 1].last = max(last.last, range.last)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// The runs of `first...last` not reserved. Seqs reserved for `session` itself are not
    /// granted again either: an earlier GRANT gave them and they may be in flight, and a
    /// second grant would let the sender queue them again once the first copy is
    /// acknowledged (the simulation's seed 199 with three hubs: one event twice in one
    /// session). The sender counts them refused, which costs a live session a re-offer.
    private func free(node: UInt64, first: UInt64, last: UInt64, for session: Int) -> [(first: UInt64, last: UInt64)] {
        var pieces: [(first: UInt64, last: UInt64)] = []
        var next = first
        for taken in (reserved[node] ?? []).filter({ $0.last >= first && $0.first <= last })
            .sorted(by: { $0.first < $1.first }) {
            if taken.first > next { pieces.append((next, taken.first - 1)) }
            next = max(next, taken.last + 1)
            if next > last { return pieces }
        }
        if next <= last { pieces.append((next, last)) }
        return pieces
    }

    private mutating func reserve(node: UInt64, first: UInt64, last: UInt64, session: Int) {
        // The session's own earlier reservation of these seqs is replaced, never doubled.
        remove(node: node, first: first, last: last) { $0 == session }
        reserved[node, default: []].append(Reservation(first: first, last: last, session: session))
    }

    /// `session` brought these seqs (stored, or refused by the store): their reservation ends.
    public mutating func release(node: UInt64, seqs: [UInt64], session: Int) {
        for seq in seqs { remove(node: node, first: seq, last: seq) { $0 == session } }
    }

    /// `session` ended: whatever it had not brought may be granted to another.
    public mutating func releaseAll(session: Int) {
        for node in Array(reserved.keys) {
            reserved[node]?.removeAll { $0.session == session }
            if reserved[node]?.isEmpty == true { reserved[node] = nil }
        }
    }

    /// Cuts `first...last` out of the reservations of `node` whose session `matches`.
    private mutating func remove(node: UInt64, first: UInt64, last: UInt64, where matches: (Int) -> Bool) {
        guard let runs = reserved[node] else { return }
        var kept: [Reservation] = []
        for run in runs {
            guard matches(run.session), run.last >= first, run.first <= last else {
                kept.append(run)
                continue
            }
            if run.first < first { kept.append(Reservation(first: run.first, last: first - 1, session: run.session)) }
            if run.last > last { kept.append(Reservation(first: last + 1, last: run.last, session: run.session)) }
        }
        reserved[node] = kept.isEmpty ? nil : kept
    }
}

extension History {
    /// The parts of an offered range of `node` this history holds (`GrantTable.grant`),
    /// each with its last event's hash prefix: the whole range when it holds its last event
    /// (on any branch); else its first branch through a seq inside the range, when the node
    /// has one branch here (the sender's chain may pass there, or be another branch, which
    /// only the sender can tell); and the runs of events waiting for a predecessor inside
    /// the range, claimed the same way.
    public func holding(_ range: GrantRange, of node: NodeID) -> [GrantRange] {
        if chainHashPrefix(of: node, at: range.last) == range.lastHash
            || events(of: node, at: range.last).contains(where: { $0.hash.w0 == range.lastHash }) {
            return [range]
        }
        var parts: [GrantRange] = []
        let length = chainLength(of: node)
        if !branchedNodes.contains(node), length >= range.first, length < range.last, let prefix = chainHashPrefix(of: node, at: length) {
            parts.append(GrantRange(node: range.node, first: range.first, last: length, lastHash: prefix))
        }
        // Runs of events waiting for a predecessor (a batch granted above a gap another
        // session was to fill): claimed with their last event's hash, as the first branch
        // is, for the sender to check. One that reaches the range's end is claimed only
        // when it ends with the range's own last event, so that a re-offer of another
        // branch at those seqs (which ends there) is granted, never claimed again.
        let waiting = pendingCount > 0 ? pendingEvents.filter { $0.dot.node == node } : []
        let byPredecessor = Dictionary(waiting.map { (EventID(dot: Dot(node: node, seq: $0.dot.seq - 1), hash: $0.previous), $0) },
                                       uniquingKeysWith: { first, _ in first })
        let ids = Set(waiting.map(\.id))
        for start in waiting where !ids.contains(EventID(dot: Dot(node: node, seq: start.dot.seq - 1), hash: start.previous)) {
            var run = [start]
            while let next = byPredecessor[run.last!.id] { run.append(next) }
            let inside = run.filter { $0.dot.seq >= range.first && $0.dot.seq <= range.last }
            guard let end = inside.last, let begin = inside.first else { continue }
            if end.dot.seq == range.last && end.hash.w0 != range.lastHash { continue }
            // A run that passes a part claimed already (its first branch, a fork the run
            // does not follow) is claimed above it: skipped whole, its upper seqs were
            // granted and brought again each time the sender offered the range (the
            // signed simulation's seed 100011, a farm restored from a backup).
            var from = begin.dot.seq
            if let top = parts.filter({ $0.last >= begin.dot.seq && $0.first <= end.dot.seq }).map(\.last).max() {
                from = top + 1
            }
            guard from <= end.dot.seq, !parts.contains(where: { $0.last >= from && $0.first <= end.dot.seq }) else { continue }
            parts.append(GrantRange(node: range.node, first: from, last: end.dot.seq, lastHash: end.hash.w0))
        }
        return parts
    }
}
