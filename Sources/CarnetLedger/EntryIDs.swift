import CarnetCore

/// Ids of entries recorded by hand. They must be unique across every device of the
/// ledger without asking anyone: `<kind>-<first 8 hex digits of the node id>-<seq>`, where
/// seq is the sequence number of the event that carries the entry. Two devices have
/// different node ids (random, 128 bits), and one device never reuses a seq (a restored
/// device continues under a new id), so two devices never mint the same id.
public enum EntryIDs {
    public static func make(kind: EntryKind, node: NodeID, seq: UInt64) -> String {
        "\(kind.rawValue)-\(node.short)-\(seq)"
    }
}
