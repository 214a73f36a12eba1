import CarnetCore
import CarnetLedger
import CarnetNode

/// The labels `status` puts beside each node of the version vector. Node labels are
/// carried in the ledger (each node writes its own), and the views file keeps them, so
/// they are read from there: `status` stays as fast as its status file, never opening the
/// store for them. When the views file is stale (a write is under way, or it could not be
/// saved), only this node's own label is known, from its identity: an unknown label is
/// shown blank rather than guessed.
enum NodeLabelsFromViews {
    /// `views`: the views file's, with the labels section read (nil when it is stale).
    static func labels(_ views: LedgerViews?, own identity: NodeStatus.Identity) -> [NodeID: String] {
        var labels = views?.labels ?? [:]
        labels[identity.node] = identity.label
        return labels
    }
}
