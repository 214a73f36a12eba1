import CarnetCore

/// Human labels of nodes ("laptop at the Ferme du Col"), carried by the ledger itself so
/// that every node can name the writer of a conflicting value, not only its own label.
///
/// A node writes `node/<hex>.label` once, when it is created. A node that continued under
/// a new id (see `Replica.continuing`) has no label of its own: its predecessors' is used.
public enum NodeLabels {
    public static let field = "label"

    public static func key(_ node: NodeID) -> FieldKey {
        FieldKey(Replica.incarnationRecordType, node.hex, field)
    }
}

extension Replica {
    /// The label a node gave itself, or the one of the node it continues; nil if unknown.
    public func label(of node: NodeID) -> String? {
        for candidate in [node] + predecessors(of: node) {
            if let text = registers[NodeLabels.key(candidate)]?.preferred?.value.textValue { return text }
        }
        return nil
    }
}
