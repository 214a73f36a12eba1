import CarnetCore

/// The named fields of a peer's record that `serve` keeps while sessions run (`extra`):
/// whether the peer dials this node rather than the other way round, and the live session
/// with it, if one is open now.
extension PeerRecord {
    private static let dialedInField = "dialed-in"
    private static let liveSinceField = "live-since"
    private static let livePIDField = "live-pid"

    /// The key of a peer that dials in: its node id, since the address it comes from is an
    /// ephemeral port that names nothing the next time.
    public static func dialedInKey(_ node: NodeID) -> String { node.hex }

    /// The peer dialed this node (a farm calling its hub): listed so that a user sees who
    /// syncs here, marked so that nobody thinks this node dials it.
    public var isDialedIn: Bool {
        get { extra[Self.dialedInField] == "1" }
        set { extra[Self.dialedInField] = newValue ? "1" : nil }
    }

    /// When the live session with the peer began (ms since 1970), while one is open.
    public var liveSinceMillis: UInt64? { extra[Self.liveSinceField].flatMap { UInt64($0) } }

    /// The `serve` process that holds that session.
    public var livePID: Int? { extra[Self.livePIDField].flatMap { Int($0) } }

    /// A session with the peer is open now: marked so by a `serve` that still runs (one
    /// that was killed could not take its mark back).
    public var isLive: Bool {
        guard liveSinceMillis != nil, let livePID else { return false }
        return UserFiles.processIsRunning(livePID)
    }

    mutating func markLive(sinceMillis: UInt64, pid: Int) {
        extra[Self.liveSinceField] = String(sinceMillis)
        extra[Self.livePIDField] = String(pid)
    }

    mutating func endLive() {
        extra[Self.liveSinceField] = nil
        extra[Self.livePIDField] = nil
    }

    /// True when a person typed this peer as `peers list` shows it, or by the names
    /// `bundle create --for` takes: a peer that dials in has no address, so its node id,
    /// the id's 8-digit prefix or its label name it.
    public func isDialedIn(named typed: String) -> Bool {
        guard isDialedIn else { return false }
        let hex = typed.lowercased()
        if let node = peerNode, hex == node.hex || (hex.count == 8 && hex == node.short) { return true }
        return peerLabel == typed
    }
}
