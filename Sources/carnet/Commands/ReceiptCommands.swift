import CarnetCore
import CarnetNode

/// `carnet receipt show [PEER] [--json]`: the custody receipts this node keeps, in the
/// text form a treasurer can take away and check elsewhere (SPEC 9.6).
struct ReceiptShowCommand: Command {
    static let spec = CommandSpec(
        path: ["receipt", "show"],
        summary: "the custody receipts peers signed for this node's events, as text to check elsewhere",
        arguments: [ArgumentSpec(name: "PEER", help: "only the receipt of this peer: its label, node id (or a prefix) or address",
                                 optional: true)],
        options: [.json],
        discussion: """
        A custody receipt is a peer's signed statement that it has stored this node's events \
        up to a seq (signed ledgers; `carnet sync` asks for one when the latest does not cover \
        this node's newest event). The text printed is the receipt itself (protocol/SPEC.md \
        9.6): save it to a file and `carnet receipt verify FILE` on any node of the ledger \
        checks it. JSON: an array of {node, label, seq, time, timeMillis, subject, head, \
        coversAll, signature} (node: the holder).
        """,
        examples: ["carnet receipt show", "carnet receipt show hub > receipt.txt", "carnet receipt show --json"]
    )

    var peer: String?
    var json: Bool

    init(_ invocation: Invocation) throws {
        peer = invocation.argument(0)
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        let identity = try NodeDirectory.identity(of: context.directory)
        guard identity.ledgerID != nil else {
            throw CLIError(.noInput, "this node's ledger is format 1 (unsigned): custody receipts exist only in signed ledgers")
        }
        var receipts = try PeerReceipt.all(directory: context.directory,
                                           own: NodeStatus.currentVersionVector(directory: context.directory))
        if let peer {
            let states = PeerBook.states(directory: context.directory)
            let byAddress = states.filter { PeerBook.sameAddress($0.key, peer) }.compactMap(\.value.peerNode)
            receipts = receipts.filter { kept in
                kept.label == peer || kept.receipt.holder.hex.hasPrefix(peer.lowercased()) || byAddress.contains(kept.receipt.holder)
            }
            guard !receipts.isEmpty else {
                throw CLIError(.noInput, "no custody receipt from \(peer): `carnet receipt show` lists the ones kept")
            }
        }
        if json {
            context.output.json(.array(receipts.map(\.json)))
            return
        }
        guard !receipts.isEmpty else {
            throw CLIError(.noInput, "no custody receipt kept yet: a sync with a peer that stores this node's events brings one")
        }
        for kept in receipts {
            // Exactly the receipt's text, so that the output can be saved and checked.
            for line in kept.receipt.text.split(separator: "\n") { context.output.line(String(line)) }
        }
    }
}

/// `carnet receipt verify [FILE]`: checks custody receipts against this node's copy of
/// the ledger: the holder's declared key must verify the signature, and this node must
/// hold the subject's event the receipt names. Without FILE, the receipts this node keeps.
struct ReceiptVerifyCommand: Command {
    static let spec = CommandSpec(
        path: ["receipt", "verify"],
        summary: "check custody receipts against the ledger: the holder's signature and the head it names",
        arguments: [ArgumentSpec(name: "FILE", help: "receipts in the text form of `carnet receipt show` (default: this node's own)",
                                 optional: true)],
        discussion: """
        Works offline on any node of the ledger (a treasurer's): the holder's key is the one \
        its node declared in its first event, and the head must be the subject's event at \
        that seq as this node holds it. Exit status 0 when every receipt verifies; 1 when one \
        does not (altered, signed by another key, naming a head the subject never wrote) or \
        cannot be checked here (this node lacks the holder's key or the subject's event: sync \
        first); 65 when the file is not receipts.
        """,
        examples: ["carnet receipt verify", "carnet receipt verify receipt.txt"]
    )

    var file: String?

    init(_ invocation: Invocation) throws {
        file = invocation.argument(0)
    }

    func run(in context: Context) throws {
        let receipts: [CustodyReceipt]
        if let file {
            let text = String(decoding: try Files.read(file, what: "receipt file"), as: UTF8.self)
            receipts = try Self.parse(text, from: file)
        } else {
            receipts = try ReceiptBook.load(directory: context.directory)
            guard !receipts.isEmpty else {
                throw CLIError(.noInput, "no custody receipt kept yet: a sync with a peer that stores this node's events brings one")
            }
        }
        let node = try StoreAccess.open(context)
        guard let ledger = node.ledgerID else {
            throw CLIError(.noInput, "this node's ledger is format 1 (unsigned): custody receipts exist only in signed ledgers")
        }
        var failures = 0
        for receipt in receipts {
            if let problem = Self.problem(with: receipt, ledger: ledger, replica: node.replica) {
                failures += 1
                context.output.line(context.output.red("NOT VALID") + ": receipt from \(receipt.holder.hex) for node "
                                    + "\(receipt.subject.hex) up to seq \(receipt.seq): \(problem)")
            } else {
                let time = HLCTimestamp(physical: receipt.heldAtMillis, logical: 0).readable
                context.output.line(context.output.green("valid") + ": node \(receipt.holder.hex) signed that it holds node "
                                    + "\(receipt.subject.hex) up to seq \(receipt.seq) (head \(receipt.head.short)), as of \(time) UTC")
            }
        }
        if failures > 0 {
            throw CLIError(.failure, "\(failures) of \(receipts.count) custody receipt(s) did not verify")
        }
    }

    /// Receipts in a file: one or more text forms, one after the other.
    static func parse(_ text: String, from file: String) throws -> [CustodyReceipt] {
        var blocks: [[Substring]] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed == CustodyReceipt.textMagic || blocks.isEmpty { blocks.append([]) }
            blocks[blocks.count - 1].append(trimmed)
        }
        var receipts: [CustodyReceipt] = []
        for (index, block) in blocks.enumerated() {
            do {
                receipts.append(try CustodyReceipt(text: block.joined(separator: "\n")))
            } catch {
                throw CLIError(.dataError, "\(file): receipt \(index + 1) does not read: \(error)")
            }
        }
        return receipts
    }

    /// Why `receipt` is not valid against this node's copy of the ledger, or nil.
    static func problem(with receipt: CustodyReceipt, ledger: LedgerID, replica: Replica) -> String? {
        guard receipt.ledger == ledger else {
            return "it is for another ledger (id \(receipt.ledger.hex)); this node's ledger is \(ledger.hex)"
        }
        let history = replica.history
        guard let key = history.events(of: receipt.holder, at: 1).lazy.compactMap(NodeKey.declared(by:)).first else {
            return "this node does not hold the key node \(receipt.holder.hex) declared (its first event): sync, then check again"
        }
        guard receipt.isValid(for: key) else {
            return "the signature does not verify under the key node \(receipt.holder.hex) declared in this ledger: the receipt "
                + "was altered, or that node did not sign it"
        }
        let atSeq = history.events(of: receipt.subject, at: receipt.seq)
        guard atSeq.contains(where: { $0.hash == receipt.head }) else {
            if atSeq.isEmpty {
                return "this node does not hold node \(receipt.subject.hex)'s event at seq \(receipt.seq), so it cannot tell what "
                    + "the receipt covers: sync, then check again"
            }
            return "it names head \(receipt.head.short) at seq \(receipt.seq), which node \(receipt.subject.hex) never wrote"
        }
        return nil
    }
}
