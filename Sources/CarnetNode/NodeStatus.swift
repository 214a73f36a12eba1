import CarnetCore
import CarnetStore

/// What `status` shows of a node, from the status file when it is current (no need to
/// read the log) or from the opened store.
public struct NodeStatus: Sendable {
    /// The derived count the status file carries for `status`.
    static let conflictsKey = "conflicts"
    /// Who the node is (its `node` file), for callers that do not import the store.
    public typealias Identity = NodeIdentity
    /// The store's figures (the status file's contents), for the same callers.
    public typealias Summary = StoreStatus
    /// What `verify` last found (`verified`), for the same callers.
    public typealias Verification = VerificationRecord

    public var identity: NodeIdentity
    public var summary: StoreStatus
    /// True when read from the status file without opening the store.
    public var fromStatusFile: Bool
    /// Only known when the store was opened.
    public var eventsSinceCheckpoint: Int?

    public var conflicts: Int { summary.derived[Self.conflictsKey] ?? 0 }

    /// The status of the node in `directory`: the status file when it is current, else
    /// the store opened (and the status file rewritten, for next time).
    public static func read(directory: String, wallMillis: UInt64) throws(NodeError) -> (status: NodeStatus, notices: [String]) {
        if let summary = StoreStatus.current(directory: directory), summary.derived[conflictsKey] != nil {
            do {
                let identity = try NodeIdentity.load(directory: directory)
                return (NodeStatus(identity: identity, summary: summary, fromStatusFile: true), [])
            } catch {
                throw .store(error)
            }
        }
        var node = try LocalNode(directory: directory, wallMillis: wallMillis)
        let (status, warning) = node.status()
        return (status, node.openingNotices + (warning.map { [$0] } ?? []))
    }

    /// The version vector of the status file, when it is current: what this node holds,
    /// without opening the store.
    public static func currentVersionVector(directory: String) -> VersionVector? {
        StoreStatus.current(directory: directory)?.history.versionVector
    }
}

/// Who a node is, read from its `node` file without opening its store.
public enum NodeDirectory {
    public static func identity(of directory: String) throws(NodeError) -> NodeIdentity {
        do {
            return try NodeIdentity.load(directory: directory)
        } catch {
            throw .store(error)
        }
    }

    /// True when `directory` holds a node (its `node` file).
    public static func holdsNode(_ directory: String) -> Bool {
        UserFiles.exists(directory + "/" + NodeIdentity.fileName)
    }

    /// Every event held in another node's directory, for `merge`: read-only, nothing there
    /// is written, cut or created (see `ForeignLog`).
    public static func events(of directory: String) throws(NodeError) -> ForeignLog {
        try ForeignLog.read(directory: directory)
    }
}
