/// The 16 bytes every Carnet file begins with (protocol/SPEC.md §6):
///
///     header = magic(8 ASCII bytes naming the format) u16(version, big endian) 6 × 00
///
/// One codec for the six formats (event log, checkpoint, status file, views file, entry index,
/// bundle), so that
/// they agree on how a file says what it is and which version wrote it, and so that a
/// reader tells "not this kind of file" from "a newer version of it".
public struct FileHeader: Sendable, Equatable {
    public static let size = 16

    public let magic: [UInt8]
    public let version: UInt16

    public init(magic: String, version: UInt16) {
        precondition(magic.utf8.count == 8, "a file magic is 8 bytes")
        self.magic = Array(magic.utf8)
        self.version = version
    }

    /// The event log, `events.log`.
    public static let log = FileHeader(magic: "CARNETLG", version: 1)
    /// The checkpoint of the log's state, `checkpoint`.
    public static let checkpoint = FileHeader(magic: "CARNETCK", version: 1)
    /// The status file that lets `status` answer without reading the log. Version 3 adds
    /// the heads' clocks and the checkpoint's event count (a writer that appends without
    /// loading the replica); a file of an earlier version is ignored and rewritten.
    public static let status = FileHeader(magic: "CARNETST", version: 3)
    /// The ledger's views (stock, balances, conflicts, catalog) that reading commands
    /// answer from without reading the log, `views`.
    public static let views = FileHeader(magic: "CARNETVW", version: 8)
    /// Where each entry lies in the log and the order `log` prints them in, so that `show`
    /// and `log --limit` read a few records instead of opening the store, `entries`.
    public static let entries = FileHeader(magic: "CARNETIX", version: 2)
    /// A bundle carried between nodes on a stick.
    public static let bundle = FileHeader(magic: "CARNETBN", version: 1)

    /// The 16 header bytes.
    public var bytes: [UInt8] {
        magic + [UInt8(version >> 8), UInt8(version & 0xFF)] + [UInt8](repeating: 0, count: 6)
    }

    /// What a file's first bytes say about it.
    public enum Reading: Sendable, Equatable {
        /// This format at this version.
        case matches
        /// Too short or another magic: not a file of this format.
        case otherFormat
        /// This format at a version this code does not read.
        case otherVersion(Int)
    }

    /// Reads the header at the start of `bytes`. The six reserved bytes are not checked:
    /// a later version may use them without making older files unreadable.
    public func read<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> Reading where Bytes.Index == Int {
        guard bytes.count >= Self.size else { return .otherFormat }
        let start = bytes.startIndex
        guard bytes[start..<(start + 8)].elementsEqual(magic) else { return .otherFormat }
        let found = Int(bytes[start + 8]) << 8 | Int(bytes[start + 9])
        return found == Int(version) ? .matches : .otherVersion(found)
    }
}
