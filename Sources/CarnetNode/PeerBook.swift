import CarnetCore
import CarnetNet
import CarnetSystem
import CarnetWire

/// What a node knows about one peer address (or, for a peer that dials in, its node id):
/// when it last synced, the last error, and what the peer was last shown to hold (its
/// summary with what it acknowledged and sent since, kept current while a live session
/// runs), so that `status` can say what it lacks and `bundle create --for` what to carry.
public struct PeerRecord: Sendable, Equatable {
    public var address: String
    public var lastSyncMillis: UInt64?
    public var lastErrorMillis: UInt64?
    public var lastError: String?
    public var peerNode: NodeID?
    public var peerLabel: String?
    public var remembered: HistorySummary?
    /// Named fields after the eight positional ones of a `peer-state` line (`name=value`):
    /// later additions go here, so an older line still reads and an unknown name is kept
    /// as it was. Typed accessors for each live beside what fills them.
    public var extra: [String: String] = [:]

    public init(address: String) {
        self.address = address
    }

    /// Events this node holds beyond the peer's remembered version vector: what the peer
    /// lacked when last seen, plus everything learned since (exact without forks).
    public func lacks(given own: VersionVector) -> UInt64? {
        guard let remembered else { return nil }
        return own.sortedEntries.reduce(0) { $0 + ($1.seq > remembered.versionVector[$1.node] ? $1.seq - remembered.versionVector[$1.node] : 0) }
    }
}

/// The peers `carnet serve` dials (`peers`, one address per line) and what each session
/// taught about each peer (`peer-state`: by address, or by node id for a peer that dials
/// in; `serve` keeps it current while sessions run), both in the node's directory, replaced
/// atomically. Two processes updating at once may lose one update (the later wins); the
/// file is never half-written.
public enum PeerBook {
    public static let peersFile = "peers"
    public static let stateFile = "peer-state"

    public static func configured(directory: String) throws(NodeError) -> [String] {
        let path = directory + "/" + peersFile
        guard Directory.exists(path) else { return [] }
        do {
            let text = String(decoding: try File(readingOnly: path).readAll(), as: UTF8.self)
            return text.split(separator: "\n").map { $0.trimmingSpaces }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        } catch {
            throw .peers("cannot read \(path): \(error)")
        }
    }

    /// Adds `address` (already validated by the caller); false when it was there.
    @discardableResult
    public static func add(_ address: String, directory: String) throws(NodeError) -> Bool {
        var peers = try configured(directory: directory)
        guard !peers.contains(address) else { return false }
        peers.append(address)
        try write(peers, directory: directory)
        return true
    }

    /// Removes `typed` from the dialed peers and forgets what sessions learned about it:
    /// `peers list` shows both, so `peers remove` must take any address it shows. Matched
    /// as written, or as the same host and port once parsed (`hub.local` names the line
    /// `hub.local:7420`, and the other way round), but never by resolving a name: an entry
    /// whose host does not resolve, or that does not parse at all (`127.0.0.1:70000`
    /// written by hand), is removed by its text. A peer that dials in is named by its node
    /// id, the id's prefix or its label (`PeerRecord.isDialedIn(named:)`). False when
    /// nothing matched.
    @discardableResult
    public static func remove(_ typed: String, directory: String) throws(NodeError) -> Bool {
        let peers = try configured(directory: directory)
        let kept = peers.filter { !sameAddress($0, typed) }
        if kept.count != peers.count { try write(kept, directory: directory) }
        let forgotten = try lock.withLock { () throws(NodeError) -> Bool in try forgetLocked(typed, directory: directory) }
        return kept.count != peers.count || forgotten
    }

    /// True when `stored` (a line of `peers`, a key of `peer-state`) is the address a person
    /// typed: the same text, or both parse to the same host and port.
    public static func sameAddress(_ stored: String, _ typed: String) -> Bool {
        if stored == typed { return true }
        guard let left = try? SocketAddress(parsing: stored), let right = try? SocketAddress(parsing: typed) else { return false }
        return left == right
    }

    private static func write(_ peers: [String], directory: String) throws(NodeError) {
        let text = peers.map { $0 + "\n" }.joined()
        do {
            try Directory.writeAtomically(Array(text.utf8), to: directory + "/" + peersFile, in: directory)
        } catch {
            throw .peers("cannot write the peer list: \(error)")
        }
    }

    // MARK: - State

    /// Every peer's record, by address (a missing or damaged file gives none: it is only
    /// a cache of what sessions learned).
    public static func states(directory: String) -> [String: PeerRecord] {
        guard let bytes = try? File(readingOnly: directory + "/" + stateFile).readAll() else { return [:] }
        var records: [String: PeerRecord] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 8, fields[0] == "peer" else { continue }
            var record = PeerRecord(address: fields[1])
            record.lastSyncMillis = UInt64(fields[2])
            record.lastErrorMillis = UInt64(fields[3])
            record.lastError = fields[4].isEmpty ? nil : fields[4]
            record.peerNode = NodeID(hex: fields[5])
            record.peerLabel = fields[6].isEmpty ? nil : fields[6]
            record.remembered = Hex.decode(fields[7]).flatMap { try? SummaryCoding.decode($0) }
            for named in fields.dropFirst(8) {
                guard let equals = named.firstIndex(of: "="), equals != named.startIndex else { continue }
                record.extra[String(named[..<equals])] = String(named[named.index(after: equals)...])
            }
            records[record.address] = record
        }
        return records
    }

    /// Serializes this process's updates (sessions of `serve` end on several threads).
    static let lock = Lock()

    /// Records what a session did with `address`; `adjust` changes the record further in
    /// the same write (`serve` marks its live session ended).
    public static func record(_ report: SessionReport, address: String, directory: String, wallMillis: UInt64,
                              adjust: (inout PeerRecord) -> Void = { _ in }) {
        lock.withLock { recordLocked(report, address: address, directory: directory, wallMillis: wallMillis, adjust: adjust) }
    }

    private static func recordLocked(_ report: SessionReport, address: String, directory: String, wallMillis: UInt64,
                                     adjust: (inout PeerRecord) -> Void) {
        var records = states(directory: directory)
        var record = records[address] ?? PeerRecord(address: address)
        if let peer = report.peer {
            record.peerNode = peer.node
            record.peerLabel = peer.label
        }
        record.noteClock(of: report.statistics, at: wallMillis)
        record.noteTraffic(of: report.statistics)
        if report.succeeded {
            record.lastSyncMillis = wallMillis
            if let summary = report.summaryWhenCaughtUp { record.remembered = summary }
        }
        // What the peer acknowledged and sent, to the end: also after the catch-up, and in a cut session.
        if let held = report.peerHeld { record.remembered = held }
        if let failure = report.failure {
            record.lastError = failure
            record.lastErrorMillis = wallMillis
        } else if report.succeeded {
            record.lastError = nil
            record.lastErrorMillis = nil
        }
        adjust(&record)
        records[address] = record
        writeStates(records, directory: directory)
        if let receipt = report.receipt { ReceiptBook.keep(receipt, directory: directory) }
    }

    /// Drops every state record of `typed`; true when there was one. Called under `lock`.
    private static func forgetLocked(_ typed: String, directory: String) throws(NodeError) -> Bool {
        let records = states(directory: directory)
        let kept = records.filter { !sameAddress($0.key, typed) && !$0.value.isDialedIn(named: typed) }
        guard kept.count != records.count else { return false }
        guard writeStates(kept, directory: directory) else {
            throw .peers("cannot rewrite \(directory)/\(stateFile)")
        }
        return true
    }

    /// Replaces `peer-state` with `records`, one line per peer; false when it failed.
    @discardableResult
    static func writeStates(_ records: [String: PeerRecord], directory: String) -> Bool {
        let text = records.keys.sorted().map { key -> String in
            let r = records[key]!
            return (["peer", r.address, r.lastSyncMillis.map(String.init) ?? "", r.lastErrorMillis.map(String.init) ?? "",
                    (r.lastError ?? "").replacingTabsAndNewlines, r.peerNode?.hex ?? "", (r.peerLabel ?? "").replacingTabsAndNewlines,
                    r.remembered.map { Hex.encode(SummaryCoding.encode($0)) } ?? ""]
                + r.extra.keys.sorted().map { "\($0)=\(r.extra[$0]!.replacingTabsAndNewlines)" }).joined(separator: "\t") + "\n"
        }.joined()
        return (try? Directory.writeAtomically(Array(text.utf8), to: directory + "/" + stateFile, in: directory)) != nil
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}

extension String {
    /// Tabs and line breaks become spaces: the state file is one record per line.
    var replacingTabsAndNewlines: String {
        String(map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
