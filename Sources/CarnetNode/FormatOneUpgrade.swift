import CarnetCore
import CarnetLedger
import CarnetSystem

/// The directory work of `carnet ledger upgrade` (SPEC 9.7): a node of the new signed
/// ledger is built beside the format-1 one, takes in the adopted history, writes the
/// genesis, and only then takes the old one's place, which stays beside it.
///
/// Why beside and then renamed: an interruption at any point before the swap leaves the
/// format-1 node as it was, and the swap is two renames in one directory.
public enum FormatOneUpgrade {
    /// Where the new node is built, and where the format-1 node is kept after the swap.
    public static func paths(of directory: String) -> (staging: String, archive: String) {
        var directory = directory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        return (directory + ".upgrading", directory + ".format-1")
    }

    /// Refuses to start over what an earlier run left: the person decides what to keep.
    public static func refuseLeftovers(of directory: String) throws(NodeError) {
        let (staging, archive) = paths(of: directory)
        for path in [staging, archive] where Directory.exists(path) {
            throw .file(FileProblem(.exists, "\(path) exists (left by an earlier upgrade?): move it away, then run the upgrade again"))
        }
    }

    public struct Outcome: Sendable {
        public var adopted: Int
        public var nodes: Int
        public var tips: Int
        public var archive: String
        /// Warnings about derived files of the new node (its events are durable).
        public var warnings: [String]
    }

    /// Builds the new node of `file`'s ledger for `device` (its creator) holding `history`
    /// adopted, then puts it in `directory`'s place.
    public static func run(history: History, directory: String, file: LedgerFile, device: DeviceSigner, label: String,
                           wallMillis: () -> UInt64, freshNodeID: @escaping () -> NodeID) throws(NodeError) -> Outcome {
        guard let creator = file.creator else { preconditionFailure("an upgrade's ledger file names its creator") }
        let (staging, archive) = paths(of: directory)
        let legacy = history.nodeIDs
        try UserFiles.createDirectory(staging)
        try file.secret.save(directory: staging)
        try LocalNode.createSigned(directory: staging, ledger: file.name, ledgerID: file.id, label: label,
                                   wallMillis: wallMillis(), device: device, creator: creator)
        var node = try LocalNode(directory: staging, wallMillis: wallMillis(), freshNodeID: freshNodeID)
        var adopted = 0
        for batch in FormatOneAdoption.batches(of: history, nodes: legacy, by: device, ledger: file.id) {
            adopted += try node.persist(batch).accepted
        }
        let tips = FormatOneAdoption.tips(of: history, nodes: legacy)
            .map { MemberCut(node: $0.dot.node, seq: $0.dot.seq, head: $0.hash) }
        try node.write([.assign(Assignment(key: NodeLabels.key(device.node), value: .text(label)))]
                           + LedgerGenesis.operations(ledger: file.id, name: file.name, creator: creator.publicKey,
                                                      salt: creator.salt, adopted: tips),
                       wallMillis: wallMillis())
        let warnings = node.saveDerivedState()
        var trimmed = directory
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        do throws(SystemError) {
            try Directory.rename(trimmed, to: archive)
            try Directory.rename(staging, to: trimmed)
            try Directory.sync(parent(of: trimmed))
        } catch {
            throw .file(FileProblem(.io, """
                the new node is complete in \(staging) but could not take the place of \(trimmed) (\(error)); \
                the format-1 node is \(Directory.exists(archive) ? archive : trimmed): move the directories by hand
                """))
        }
        return Outcome(adopted: adopted, nodes: legacy.count, tips: tips.count, archive: archive, warnings: warnings)
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
