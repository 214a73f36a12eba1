import CarnetCore
import CarnetSystem
import CarnetWire

/// What a read-only check of a log found (`carnet verify` reports it).
public struct LogVerification: Sendable, Equatable {
    public var records = 0
    public var events = 0
    /// The first damaged byte, with what is wrong there, if any.
    public var damageOffset: Int?
    public var damageReason: String?
    /// True when the damage is at the end with nothing sound after it (a torn tail that
    /// the next open will cut); false when sound records follow (damage in the middle).
    public var damageIsTornTail = false
    /// Events whose predecessor is not in the log, and events the history refuses.
    public var unchainedEvents = 0
    public var rejectedEvents = 0
    /// Structural problems of the rebuilt history (should never happen; listed if they do).
    public var historyProblems: [String] = []

    /// Sound: every record intact, every event chained.
    public var isSound: Bool {
        damageOffset == nil && unchainedEvents == 0 && rejectedEvents == 0 && historyProblems.isEmpty
    }
}

extension EventLog {
    /// Checks `directory/events.log` without changing it: framing and checksums of every
    /// record, decoding, and the hash chains of the events they hold.
    public static func verify(directory: String, storage: any Storage = PosixStorage()) throws(StoreError) -> LogVerification {
        let path = directory + "/" + fileName
        let bytes: [UInt8]
        do {
            bytes = try storage.openReadOnly(path).readAll()
        } catch {
            throw .system(error)
        }
        if FileHeader.log.read(bytes) == .otherFormat {
            throw .notALog(path: path)
        }
        let scan = LogScanner.scan(bytes, from: LogFormat.headerSize)
        var result = LogVerification(records: scan.records, events: scan.events.count)
        if let damage = scan.damage {
            result.damageOffset = damage.offset
            result.damageReason = damage.reason
            result.damageIsTornTail = !LogScanner.hasValidRecord(bytes, after: damage.offset)
        }
        var replica = Replica(node: NodeID(high: 0, low: 0))
        let summary = replica.admit(contentsOf: scan.events)
        result.unchainedEvents = summary.pending
        result.rejectedEvents = summary.rejected
        result.historyProblems = replica.history.invariantViolations()
        return result
    }
}
