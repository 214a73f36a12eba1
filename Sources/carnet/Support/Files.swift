import CarnetNode

/// Files the command line reads and writes itself (secrets, bundles, CSV, imports): the
/// node's `UserFiles`, with its errors turned into the command line's.
enum Files {
    /// The whole file; a missing file is "missing input" (66), not an I/O failure.
    static func read(_ path: String, what: String) throws -> [UInt8] {
        try UserFiles.read(path, what: what)
    }

    /// Creates `path` with mode 0600, failing if anything is already there, and makes it
    /// durable. For secrets: a secret is never overwritten by mistake.
    static func createExclusive(_ path: String, _ bytes: [UInt8], what: String) throws {
        try UserFiles.createExclusive(path, bytes, what: what)
    }

    /// Replaces `path` atomically: a reader never sees half a bundle or half a CSV.
    static func replace(_ path: String, _ bytes: [UInt8]) throws {
        try UserFiles.replace(path, bytes)
    }

    /// An export or a report page: readable as any document is (0644 under the usual umask).
    static func replaceDocument(_ path: String, _ bytes: [UInt8]) throws {
        try UserFiles.replaceDocument(path, bytes)
    }
}
