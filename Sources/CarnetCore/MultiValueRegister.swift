/// One value written to a register, with who wrote it and when.
public struct RegisterValue: Hashable, Sendable {
    public var id: EventID
    public var clock: HLCTimestamp
    public var value: Value

    public init(id: EventID, clock: HLCTimestamp, value: Value) {
        self.id = id
        self.clock = clock
        self.value = value
    }

    public var writer: NodeID { id.dot.node }
}

/// A multi-value register: every write that no other held write supersedes stays visible.
///
/// Applying writes is commutative, associative and idempotent: the live set is "all writes
/// held, minus every write named as superseded by a write held", whatever the order of
/// arrival. A write that names a value not yet received still hides it when it arrives.
public struct MultiValueRegister: Hashable, Sendable {
    /// Live values, sorted by event id (a canonical order, not a preference).
    public private(set) var values: [RegisterValue] = []
    /// Every event id named as superseded by a write applied here.
    private var superseded: Set<EventID> = []

    public init() {}

    public mutating func apply(id: EventID, clock: HLCTimestamp, assignment: Assignment) {
        for old in assignment.supersedes {
            superseded.insert(old)
        }
        if !assignment.supersedes.isEmpty {
            values.removeAll { superseded.contains($0.id) }
        }
        guard !superseded.contains(id), !values.contains(where: { $0.id == id }) else { return }
        let value = RegisterValue(id: id, clock: clock, value: assignment.value)
        let index = values.firstIndex { id < $0.id } ?? values.endIndex
        values.insert(value, at: index)
    }

    /// The ids a new write must name to replace everything currently visible.
    public var liveIDs: [EventID] { values.map(\.id) }

    /// True when concurrent writes left different values: a conflict for a person to settle.
    public var isConflicted: Bool { Self.isConflicted(values) }

    /// The same test on a register's live values alone (a read-only copy of them).
    public static func isConflicted(_ values: [RegisterValue]) -> Bool {
        guard let first = values.first?.value else { return false }
        return values.contains { $0.value != first }
    }

    /// The value to show when one must be shown: the latest clock, then the highest node id.
    /// Only a convenience; a conflicted register stays flagged until resolved.
    public var preferred: RegisterValue? { Self.preferred(among: values) }

    /// The same choice among a register's live values alone (a read-only copy of them).
    public static func preferred(among values: [RegisterValue]) -> RegisterValue? {
        values.max { ($0.clock, $0.id.dot.node) < ($1.clock, $1.id.dot.node) }
    }

    /// Checks the register's invariants; used by tests and debug builds.
    public func checkInvariants() -> Bool {
        values == values.sorted { $0.id < $1.id }
            && Set(values.map(\.id)).count == values.count
            && values.allSatisfy { !superseded.contains($0.id) }
    }
}
