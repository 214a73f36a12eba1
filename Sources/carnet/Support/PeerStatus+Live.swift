import CarnetNode

/// How `peers list` and `status` show the peers that dial in and the sessions open now.
extension PeerStatus {
    /// This row with what `serve` marked in the peer's record: dialed in, live since when,
    /// and dialed while `serve` dials it.
    func followingLive(_ record: PeerRecord?) -> PeerStatus {
        var row = self
        row.dialedIn = record?.isDialedIn ?? false
        row.liveSince = record.flatMap { $0.isLive ? $0.liveSinceMillis.map(PeerStatus.iso) : nil }
        // Only `serve` keeps a session live: one it did not accept, it dialed (maybe from
        // `serve --peer`, which the peers file does not list).
        if row.liveSince != nil, !row.dialedIn { row.dialed = true }
        return row
    }

    /// Who dials whom: `yes` (this node's `serve` dials it), `dialed in` (it dials this
    /// node, so that nobody looks for its address here), `no` (met in a `carnet sync`).
    var dialedColumn: String { dialed ? "yes" : dialedIn ? "dialed in" : "no" }

    /// The last sync, and `live` while a session with the peer is open.
    var lastSyncColumn: String {
        let last = lastSync ?? "never"
        return liveSince == nil ? last : "\(last) (live)"
    }

    /// The peer as `status` names it: its address, or for one that dials in its node id,
    /// said so (`peers remove` takes either as shown by `peers list`).
    var peerColumn: String { dialedIn ? "\(address) (dialed in)" : address }
}
