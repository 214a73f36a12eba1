import CarnetCore
import CarnetStore
import Foundation

/// `carnet recover` for a node directory: checks the store, recovers its log when it is
/// damaged (`StoreRecovery`), rewrites the derived files, and checks again, so that the
/// person sees what was kept, what was set aside, and that the result is sound.
///
/// It refuses while a `carnet serve` holds the directory: the server keeps the old log
/// open and would go on appending to the file recovery replaces.
public enum NodeRecovery {
    public struct Outcome: Sendable {
        /// The store needed nothing: sound, no torn tail. Then nothing was changed.
        public var wasSound: Bool
        /// What the check before recovery found (nil when it could not read the log).
        public var before: StoreAudit?
        public var store: StoreRecovery.Report?
        /// The check after recovery: `carnet verify`'s findings on the result.
        public var after: StoreAudit
        /// Peers this node knows, for the "what next" line.
        public var peers: [String]
    }

    /// Recovers the node in `directory`. `now` names the aside file; `wallMillis` and
    /// `freshNodeID` are as for opening a store.
    public static func run(directory: String, now: Date = Date(), wallMillis: UInt64,
                           freshNodeID: @escaping () -> NodeID = LocalNode.randomNodeID) throws(NodeError) -> Outcome {
        _ = try NodeDirectory.identity(of: directory)
        let peers = Self.knownPeers(directory: directory)
        // Read-only first: a sound store is left exactly as it is (not even a lock file).
        // Not repeated under the lock: whatever changed meanwhile, recovery reads the log
        // again under its own lock, and drops derived files whenever this check failed.
        let before = try? StoreAudit.run(directory: directory)
        if let before, before.isSound, !before.tornTail {
            return Outcome(wasSound: true, before: before, store: nil, after: before, peers: peers)
        }
        let serving = try ServeLock(directory: directory, command: "recover")
        defer { serving.release() }
        let report: StoreRecovery.Report
        do {
            report = try StoreRecovery.run(directory: directory, asideSuffix: Self.timestamp(now),
                                           dropCheckpoint: before?.isSound != true, wallMillis: wallMillis,
                                           freshNodeID: freshNodeID)
        } catch {
            throw .store(error)
        }
        // Opening writes a fresh checkpoint when due; `status` rewrites the status file.
        var node = try LocalNode(directory: directory, wallMillis: wallMillis, freshNodeID: freshNodeID)
        _ = node.saveDerivedState()
        _ = node.status()
        let after = try StoreAudit.run(directory: directory)
        return Outcome(wasSound: false, before: before, store: report, after: after, peers: peers)
    }

    /// The files recovery moved damaged bytes into, in `directory`, oldest first.
    public static func asideFiles(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix(StoreRecovery.asidePrefix) && !$0.hasSuffix(".tmp") }.sorted()
    }

    /// `20261205T231502Z`: sorts by time, and has no character a file system refuses.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(parts.year ?? 0)\(two(parts.month))\(two(parts.day))T\(two(parts.hour))\(two(parts.minute))\(two(parts.second))Z"
    }

    /// The dialed peers first, then those a session met (not those that dialed in: their
    /// record is keyed by node id, which no `carnet sync` can dial).
    static func knownPeers(directory: String) -> [String] {
        let configured = (try? PeerBook.configured(directory: directory)) ?? []
        let met = PeerBook.states(directory: directory).values.filter { $0.lastSyncMillis != nil && !$0.isDialedIn }
            .map(\.address).sorted()
        return configured + met.filter { !configured.contains($0) }
    }
}
