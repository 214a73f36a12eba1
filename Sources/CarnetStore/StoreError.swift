import CarnetCore
import CarnetSystem

/// Why the store refused: each case reads as a sentence a person can act on.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case system(SystemError)
    /// Damage before the end of the log: never skipped silently. `intactRecords` records
    /// (`intactEvents` events) before `offset` are sound.
    case corrupt(path: String, offset: Int, reason: String, intactRecords: Int, intactEvents: Int)
    case notALog(path: String)
    case unsupportedVersion(path: String, version: Int)
    /// An earlier append failed: the file's state is unknown until the log is reopened.
    case needsReopen(path: String)
    case batchTooLarge(bytes: Int)
    /// An event above the per-event canonical size limit (protocol/SPEC.md §3.2): every
    /// peer would refuse it, so it is never stored.
    /// `local`: this node was about to write it (else it came from elsewhere).
    case eventTooLarge(what: String, bytes: Int, limit: Int, local: Bool)
    case notANode(directory: String)
    case alreadyANode(directory: String)
    case badIdentity(path: String, reason: String)
    /// A checkpoint or status file could not be written. Nothing acknowledged is lost: the
    /// log holds every event, and the old file (or none) is still in place.
    case checkpointFailed(SystemError)
    /// An event kept out of memory could not be read back from where it lies.
    case coldEventUnreadable(String)
    /// Another process held the log's lock past the lock timeout (it is stuck mid-write).
    case busy(path: String)
    /// Events offered to a signed ledger that no valid signature of their author covers:
    /// none of them was stored.
    case unsigned(ChainRejection)

    public var description: String {
        switch self {
        case let .system(error):
            return error.description
        case let .corrupt(path, offset, reason, records, events):
            return "\(path) is damaged at byte \(offset) (\(reason)); the \(records) records (\(events) events) before it are intact. Nothing was changed: `carnet recover` keeps every intact event and sets the damaged bytes aside, then `carnet sync` fetches the rest from a peer."
        case let .notALog(path):
            return "\(path) is not a Carnet event log (wrong magic bytes)"
        case let .unsupportedVersion(path, version):
            return "\(path) uses log format version \(version), which this carnet cannot read; upgrade carnet"
        case let .needsReopen(path):
            return "an earlier write to \(path) failed; reopen the store before writing again"
        case let .batchTooLarge(bytes):
            return "a batch of \(bytes) bytes exceeds the log's record limit"
        case let .eventTooLarge(what, bytes, limit, local):
            return "\(what) would take \(bytes) bytes, above the limit of \(limit) bytes an event may take on every Carnet node; nothing was written"
                + (local ? ": shorten its text (a note?)" : ": no Carnet node accepts it")
        case let .notANode(directory):
            return "\(directory) holds no Carnet node; create one with `carnet init`"
        case let .alreadyANode(directory):
            return "\(directory) already holds a Carnet node; refusing to overwrite it"
        case let .coldEventUnreadable(reason):
            return "an event kept out of memory does not read back (\(reason)); nothing was written: open the node again, and run `carnet verify`"
        case let .checkpointFailed(error):
            return "could not write a checkpoint (\(error)); every event is safe in the log, and opening will be slower until a checkpoint is written"
        case let .busy(path):
            return "another process has held the lock of \(path) for too long (a carnet command stuck while writing?); nothing was written: stop that process and try again"
        case let .unsigned(rejection):
            return "refused events that their author did not sign (\(rejection)); nothing was stored"
        case let .badIdentity(path, reason):
            return "\(path) is not a valid node identity file: \(reason)"
        }
    }
}
