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

    /// What `session` may bring of `offer`: each range this node does not hold (`holds`:
    /// it holds the range's last event, named by its seq and hash prefix, and so the whole
    /// chain up to it), less the seqs reserved for another session. What is granted is
    /// reserved for `session`. The held ranges are returned apart: the sender offers them
    /// no more in this session.
    public mutating func grant(_ offer: [GrantRange], session: Int, holds: (GrantRange) -> Bool)
        -> (granted: [GrantRange], held: [GrantRange]) {
        var granted: [GrantRange] = []
        var held: [GrantRange] = []
        for range in offer {
            if holds(range) {
                held.append(GrantRange(node: range.node, first: range.first, last: range.last))
                continue
            }
            for piece in free(node: range.node, first: range.first, last: range.last, for: session) {
                granted.append(GrantRange(node: range.node, first: piece.first, last: piece.last))
                reserve(node: range.node, first: piece.first, last: piece.last, session: session)
            }
        }
        return (Self.joined(granted), Self.joined(held))
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

    /// The runs of `first...last` not reserved for a session other than `session`.
    private func free(node: UInt64, first: UInt64, last: UInt64, for session: Int) -> [(first: UInt64, last: UInt64)] {
        var pieces: [(first: UInt64, last: UInt64)] = []
        var next = first
        for taken in (reserved[node] ?? []).filter({ $0.session != session && $0.last >= first && $0.first <= last })
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
    /// True when this history holds an event of `node` at `seq` whose hash starts with
    /// `hashPrefix` (on any branch): then it holds that event's whole chain, and a range
    /// ending there is held.
    public func holds(seq: UInt64, hashPrefix: UInt64, of node: NodeID) -> Bool {
        if chainHash(of: node, at: seq)?.w0 == hashPrefix { return true }
        return events(of: node, at: seq).contains { $0.hash.w0 == hashPrefix && !isPending($0) }
    }
}
