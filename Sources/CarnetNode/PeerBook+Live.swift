import CarnetCore
import CarnetWire
import CarnetSync

/// What one running session of `serve` has to say to peer-state.
struct LivePeerUpdate {
    /// The record's key: the dialed address, or the node id of a peer that dialed in.
    var key: String
    var dialedIn: Bool
    var peer: SummaryMessage
    /// What the peer is shown to hold now; nil before its summary came.
    var held: HistorySummary?
    /// The session caught up at least once: the peer has been in sync since.
    var caughtUp: Bool
    var sinceMillis: UInt64
    /// The session's figures so far: its handshake measured the peer's clock, which a hub
    /// shows for a farm that dials in without waiting for the session to end.
    var statistics = SessionStatistics()
    /// The peer's custody receipt for this node's events, once the session got one.
    var receipt: CustodyReceipt?
}

extension PeerBook {
    /// Records running sessions, all in one rewrite: who each peer is, what it holds now,
    /// that a session with it is open (held by process `pid`) and, once it caught up, that
    /// it is in sync now. A live session never ends while both servers run, so without this
    /// `peers list` did not show a peer dialed with `--peer` at all, and `status` said the
    /// peer lacked what it had acknowledged long since.
    static func recordLive(_ updates: [LivePeerUpdate], directory: String, wallMillis: UInt64, pid: Int) {
        lock.withLock {
            var records = states(directory: directory)
            for update in updates {
                var record = records[update.key] ?? PeerRecord(address: update.key)
                record.peerNode = update.peer.node
                record.peerLabel = update.peer.label
                if let held = update.held { record.remembered = held }
                if update.caughtUp {
                    record.lastSyncMillis = wallMillis
                    record.lastError = nil
                    record.lastErrorMillis = nil
                }
                if update.dialedIn { record.isDialedIn = true }
                record.noteClock(of: update.statistics, at: wallMillis)
                record.markLive(sinceMillis: update.sinceMillis, pid: pid)
                records[update.key] = record
            }
            writeStates(records, directory: directory)
            for receipt in updates.compactMap(\.receipt) { ReceiptBook.keep(receipt, directory: directory) }
        }
    }
}
