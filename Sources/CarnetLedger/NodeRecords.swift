import CarnetCore

/// The nodes whose label a write to another node's record could change (SPEC §6.5,
/// section 17 of the views file): every node whose label register holds a write, and
/// every node a `continues` value names (a node continuing it shows its label).
///
/// Why it is kept: a new farm's first bundle carries its label. Outside this list, that
/// label's register is empty and nobody inherits it, so the label taken is the farm's
/// own write and changes nothing else; a hub can then take the farm without reading the
/// registers (at ten million entries, opening them took 18 s).
public enum NodeRecords {
    /// The list for `replica`'s registers, in node order.
    public static func listed(in replica: Replica) -> [NodeID] {
        var nodes = Set<NodeID>()
        for (key, register) in replica.registers
        where key.record.type == Replica.incarnationRecordType && !register.values.isEmpty {
            if key.field == NodeLabels.field {
                // Only the spelling `label(of:)` reads: 32 lowercase hex digits.
                if let node = NodeID(hex: key.record.id), node.hex == key.record.id { nodes.insert(node) }
            } else if key.field == Replica.incarnationField {
                for written in register.values {
                    if case let .text(hex) = written.value, let node = NodeID(hex: hex) { nodes.insert(node) }
                }
            }
        }
        return nodes.sorted()
    }
}

/// A node's write of its own label (`node/<its id>.label`, a text): the one register write
/// a writer without the registers may take (`LedgerViews.takeLabels`).
public struct OwnLabelWrite: Sendable, Equatable {
    public var id: EventID
    public var clock: HLCTimestamp
    public var assignment: Assignment

    public var node: NodeID { id.dot.node }

    /// The write `event` makes, when it is one; nil for any other event.
    public init?(_ event: Event) {
        guard case let .assign(assignment) = event.operation, assignment.key == NodeLabels.key(event.dot.node),
              case .text = assignment.value else { return nil }
        id = event.id
        clock = event.clock
        self.assignment = assignment
    }

    /// Each node's label after `writes`, taken in order into an empty register; nil when
    /// one node's writes leave a conflict (different values live) or no text.
    public static func labels(_ writes: [OwnLabelWrite]) -> [NodeID: String]? {
        var registers: [NodeID: MultiValueRegister] = [:]
        for write in writes {
            registers[write.node, default: MultiValueRegister()].apply(id: write.id, clock: write.clock, assignment: write.assignment)
        }
        var labels: [NodeID: String] = [:]
        for (node, register) in registers {
            guard !register.isConflicted, case let .text(label)? = register.preferred?.value else { return nil }
            labels[node] = label
        }
        return labels
    }
}

extension LedgerViews {
    /// Takes nodes' writes of their own labels, in log order, as a writer that has not the
    /// registers may (SPEC §6.5, section 17): each node's writes go into an empty register,
    /// which must then hold one text (equal values included); the node's label is that text,
    /// and the node joins `nodeRecords`. False, with the views unchanged, when that cannot
    /// be told: `nodeRecords` unknown or listing the node (`knownEmpty`), or the writes leave
    /// a conflict.
    ///
    /// `knownEmpty`: a writer checks that the list is known and lacks the node; a reader
    /// adding the log past the file (`DerivedTail`) trusts its writer for that, and checks
    /// only a list it decoded.
    public mutating func takeLabels(_ writes: [OwnLabelWrite], knownEmpty: Bool) -> Bool {
        guard !writes.isEmpty else { return true }
        if knownEmpty, nodeRecords == nil { return false }
        guard let labelled = OwnLabelWrite.labels(writes),
              !labelled.keys.contains(where: { node in nodeRecords.map { Self.lists($0, node) } ?? false }) else { return false }
        for (node, label) in labelled {
            labels[node] = label
            if nodeRecords != nil {
                let place = nodeRecords!.firstIndex { node < $0 } ?? nodeRecords!.endIndex
                nodeRecords!.insert(node, at: place)
            }
        }
        return true
    }

    private static func lists(_ nodes: [NodeID], _ node: NodeID) -> Bool {
        var low = 0, high = nodes.count
        while low < high {
            let middle = (low + high) / 2
            if nodes[middle] < node { low = middle + 1 } else { high = middle }
        }
        return low < nodes.count && nodes[low] == node
    }
}
