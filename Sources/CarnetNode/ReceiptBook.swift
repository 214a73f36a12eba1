import CarnetCore
import CarnetSystem

/// The custody receipts this node keeps (protocol/SPEC.md 9.6): the latest one from each
/// peer that stored its events, in the file `receipts` of the node's directory, replaced
/// atomically. The file is the receipts' text forms one after the other, ordered by
/// holder, so that a person can read it and `carnet receipt show` can print one as it is.
///
/// Receipts are checked when they arrive (the session refuses one that does not verify)
/// and again by `carnet receipt verify`: the file is a copy anyone could edit, so nothing
/// read from it is trusted unchecked.
public enum ReceiptBook {
    public static let file = "receipts"

    /// Every receipt kept, by holder. No file: none. A file that does not read as receipts
    /// is an error that names it: it is evidence a farm may need, so it is never dropped
    /// or rewritten silently.
    public static func load(directory: String) throws(NodeError) -> [CustodyReceipt] {
        let path = directory + "/" + file
        guard Directory.exists(path) else { return [] }
        let bytes: [UInt8]
        do {
            bytes = try File(readingOnly: path).readAll()
        } catch {
            throw .file(FileProblem(.io, "cannot read \(path): \(error)"))
        }
        let magic = Array((CustodyReceipt.textMagic + "\n").utf8)
        var blocks: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            let lineEnd = bytes[index...].firstIndex(of: 0x0A).map { $0 + 1 } ?? bytes.count
            let line = Array(bytes[index..<lineEnd])
            if line == magic || line == Array(magic.dropLast()) + [0x0D, 0x0A] || blocks.isEmpty { blocks.append([]) }
            blocks[blocks.count - 1] += line
            index = lineEnd
        }
        var receipts: [CustodyReceipt] = []
        for (number, block) in blocks.enumerated() {
            do {
                receipts.append(try CustodyReceipt(text: String(decoding: block, as: UTF8.self)))
            } catch {
                throw .file(FileProblem(.damaged, "\(path) is damaged: receipt \(number + 1) does not read (\(error)); "
                                            + "the next receipt moves it aside to \(file).damaged"))
            }
        }
        return receipts
    }

    /// Keeps `receipt` as the latest from its holder, replacing the one held before (a
    /// session gives one only for what its holder stores now). Called under
    /// `PeerBook.lock`, which serializes this process's writers. A damaged file is moved
    /// aside to `receipts.damaged` (for a person to read), never overwritten: false says a
    /// write failed.
    @discardableResult
    static func keep(_ receipt: CustodyReceipt, directory: String) -> Bool {
        let kept: [CustodyReceipt]
        do {
            kept = try load(directory: directory)
        } catch {
            let path = directory + "/" + file
            guard (try? Directory.rename(path, to: path + ".damaged")) != nil else { return false }
            kept = []
        }
        // A live session's heartbeat repeats the receipt it holds: nothing to write.
        if kept.contains(receipt) { return true }
        var receipts = kept.filter { $0.holder != receipt.holder }
        receipts.append(receipt)
        receipts.sort { $0.holder < $1.holder }
        let text = receipts.map(\.text).joined()
        return (try? Directory.writeAtomically(Array(text.utf8), to: directory + "/" + file, in: directory)) != nil
    }

    /// Whether a session with the peer last known at `address` should ask for a receipt:
    /// this node's ledger is signed and its latest receipt from that peer does not cover
    /// its newest own event (another id, a lower seq, or none). An in-sync farm with a
    /// receipt that covers it asks for nothing, so its sessions cost what they did.
    public static func wanted(address: String, store: SharedStore) -> Bool {
        guard store.signsBatches else { return false }
        let own = store.node
        let newest = store.summary.versionVector[own]
        guard newest > 0 else { return false }
        guard let holder = PeerBook.states(directory: store.directory).first(where: { PeerBook.sameAddress($0.key, address) })?
            .value.peerNode else { return true }
        guard let held = (try? load(directory: store.directory))?.first(where: { $0.holder == holder }) else { return true }
        return held.subject != own || held.seq < newest
    }
}
