#if canImport(Glibc)
import Glibc
#endif
import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetWire

/// The events of another node's `events.log`, for `merge`, read without changing anything.
///
/// Opening a log the store's way (`EventLog.open`) recovers it: it takes the lock, cuts a
/// torn tail and creates a missing file. That is right for the node's own log and wrong
/// for a colleague's directory on a USB stick, a restored backup or a mounted read-only
/// image: `merge` must leave the source byte for byte as it was, and work when it cannot
/// write there at all. So the log is opened read-only and parsed by `LogReader`; whatever
/// follows the first unsound record (a torn tail, or damage) is not read and is reported.
///
/// A symbolic link as the log is refused, not followed: the directory is someone else's,
/// and a link would make `merge` read a file the person did not name (OpenSSH refuses the
/// same way for files it must trust).
public struct ForeignLog: Sendable {
    public var events: [Event]
    /// The signed heads its records carry (a signed ledger's): a signed node takes in only
    /// what they vouch for.
    public var heads: [SignedHead] = []
    /// What of the log was left out, as a sentence; nil when every byte was read.
    public var unread: String?

    public static func read(directory: String) throws(NodeError) -> ForeignLog {
        let path = directory + "/" + EventLog.fileName
        let bytes: [UInt8]
        let isRegularFile: Bool
        do throws(SystemError) {
            let file = try File(readingOnly: path, followingSymlink: false)
            isRegularFile = try file.metadata().isRegularFile
            bytes = isRegularFile ? try file.readAll() : []
        } catch {
            switch error.errno {
            case ELOOP:
                throw .file(FileProblem(.damaged, """
                    \(path) is a symbolic link; merge reads only a node directory's own log and does not \
                    follow links there (merge the directory the link points into instead); nothing was merged
                    """))
            case ENOENT: throw .file(FileProblem(.missing, "\(path) does not exist: \(directory) holds no event log"))
            default: throw .file(FileProblem(.io, "cannot read \(path): \(error)"))
            }
        }
        guard isRegularFile else {
            throw .file(FileProblem(.damaged, "\(path) is not a regular file; nothing was merged"))
        }
        switch FileHeader.log.read(bytes) {
        case .matches: break
        case let .otherVersion(version):
            throw .file(FileProblem(.damaged, "\(path) is an event log of version \(version), written by a newer Carnet; update carnet to merge it"))
        case .otherFormat:
            // A log torn while it was being created (a prefix of the header) holds nothing.
            if bytes.count < FileHeader.size, FileHeader.log.bytes.starts(with: bytes) {
                return ForeignLog(events: [], unread: nil)
            }
            throw .file(FileProblem(.damaged, "\(path) is not a Carnet event log (wrong magic bytes); nothing was merged"))
        }
        let reader = LogReader(bytes)
        let unread = reader.damage.map { damage in
            "\(path): its last \(bytes.count - damage.offset) bytes, from byte \(damage.offset), were not read "
                + "(\(damage.reason)): an unfinished write or damage (`carnet verify --dir \(directory)` tells which); "
                + "\(directory) was left as it is"
        }
        return ForeignLog(events: reader.allEvents, heads: reader.records.flatMap(\.heads), unread: unread)
    }
}
