import CarnetCore
import CarnetSystem
import CarnetWire

/// The sessions a `serve` runs now, so that what it publishes follows them while they run:
/// the events and bytes of `serve-stats`, and each peer's record in peer-state (who it is,
/// what it holds, that a session with it is open). Sessions are live for as long as both
/// servers run; figures written only when a session ended stayed at zero, or at what the
/// peer held when the session began.
///
/// `@unchecked Sendable` is sound: `entries` and `lastWrite` are only touched under
/// `lock`. `writing` orders the peer-state writes, so that a session's end is never
/// overwritten by a live update read before it (which would mark it open again); it is
/// never held by the accepting thread, which a slow disk must not hold up.
final class LiveSessions: @unchecked Sendable {
    private struct Entry {
        let runner: SessionRunner
        /// The dialed address; nil for a peer that dialed in (recorded by its node id).
        let dialed: String?
        let sinceMillis: UInt64
        /// The `SessionProgress.Snapshot.peerChanges` last written to peer-state, and when.
        var written = -1
        var writtenMillis: UInt64 = 0

        /// The record's key, once the peer is known.
        var key: String? {
            dialed ?? runner.progress.snapshot.peer.map { PeerRecord.dialedInKey($0.node) }
        }
    }

    /// At most one peer-state rewrite per `minimumInterval` for changes (a new session is
    /// written at once), and each live peer's last sync refreshed every `heartbeat`: the file
    /// holds every peer's holdings, so rewriting it at every acknowledgement would cost a
    /// hub's disk more than its sessions do.
    static let minimumInterval: UInt64 = 5_000
    static let heartbeat: UInt64 = 30_000

    private let lock = Lock()
    private let writing = Lock()
    private var entries: [ObjectIdentifier: Entry] = [:]
    private var lastWrite: UInt64 = 0
    private let directory: String
    private let pid: Int

    init(directory: String, pid: Int) {
        self.directory = directory
        self.pid = pid
    }

    func began(_ runner: SessionRunner, dialed: String?, sinceMillis: UInt64) {
        lock.withLock { entries[ObjectIdentifier(runner)] = Entry(runner: runner, dialed: dialed, sinceMillis: sinceMillis) }
    }

    /// Every running session with its figures so far (the runner kept with them, so that its
    /// identity cannot be reused by a new session while the caller works with them).
    func snapshots() -> [(runner: SessionRunner, progress: SessionProgress.Snapshot)] {
        lock.withLock { entries.values.map { ($0.runner, $0.runner.progress.snapshot) } }
    }

    /// Writes the peer-state of the running sessions whose peer changed since their last
    /// write (or whose heartbeat is due); what each peer holds is named against `store`.
    func recordDue(store: SharedStore, wallMillis: UInt64) {
        writing.withLock {
            let due = lock.withLock { () -> [(update: LivePeerUpdate, holdings: CompactSummary?)] in
                var due: [(LivePeerUpdate, CompactSummary?)] = []
                let mayRewrite = wallMillis >= lastWrite + Self.minimumInterval
                for (id, var entry) in entries {
                    let snapshot = entry.runner.progress.snapshot
                    guard let peer = snapshot.peer,
                          snapshot.peerChanges != entry.written || wallMillis >= entry.writtenMillis + Self.heartbeat,
                          entry.written < 0 || mayRewrite else { continue }
                    due.append((LivePeerUpdate(key: entry.dialed ?? PeerRecord.dialedInKey(peer.node), dialedIn: entry.dialed == nil,
                                               peer: peer, held: nil, caughtUp: snapshot.caughtUp, sinceMillis: entry.sinceMillis,
                                               statistics: snapshot.statistics, receipt: snapshot.receipt),
                                snapshot.peerHoldings))
                    entry.written = snapshot.peerChanges
                    entry.writtenMillis = wallMillis
                    entries[id] = entry
                }
                if !due.isEmpty { lastWrite = wallMillis }
                return due
            }
            guard !due.isEmpty else { return }
            let updates = due.map { item in
                var update = item.update
                update.held = item.holdings.map(store.expand)
                return update
            }
            PeerBook.recordLive(updates, directory: directory, wallMillis: wallMillis, pid: pid)
        }
    }

    /// The session ended: it leaves the running ones and its report goes to peer-state. A
    /// connection that never authenticated names no peer and records nothing. The live
    /// mark stays while another session with the same peer runs.
    func ended(_ runner: SessionRunner, _ report: SessionReport, wallMillis: UInt64) {
        writing.withLock {
            let ended = lock.withLock { () -> (entry: Entry, key: String, stillLive: Bool)? in
                guard let entry = entries.removeValue(forKey: ObjectIdentifier(runner)),
                      let key = entry.dialed ?? report.peer.map({ PeerRecord.dialedInKey($0.node) }) else { return nil }
                return (entry, key, entries.values.contains { $0.key == key })
            }
            guard let ended else { return }
            PeerBook.record(report, address: ended.key, directory: directory, wallMillis: wallMillis) { record in
                if ended.entry.dialed == nil { record.isDialedIn = true }
                if !ended.stillLive { record.endLive() }
                if Self.endedInSyncByAStop(report) {
                    record.lastError = nil
                    record.lastErrorMillis = nil
                }
            }
        }
    }

    /// A live session that caught up and ended because one of the two servers stopped:
    /// the way every live session ends, not an error for `peers list` to show.
    static func endedInSyncByAStop(_ report: SessionReport) -> Bool {
        guard report.succeeded, report.transportError == nil else { return false }
        switch report.end?.outcome {
        case .failed(.shuttingDown, _)?, .closedByPeer(.shuttingDown, _)?: return true
        default: return false
        }
    }
}
