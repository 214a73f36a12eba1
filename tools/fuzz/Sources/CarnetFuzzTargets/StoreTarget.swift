import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetWire

/// Fuzz target (d): opening a store whose files hold arbitrary bytes: the event log's
/// recovery, the checkpoint, the status file, the node identity, and all of them at once
/// through `NodeStore`. Each input writes its files into a scratch directory and opens
/// them as `carnet` would after a crash, a bit flip or a hand edit.
///
/// Input: a selector byte, then the file(s). Selector bit 0: raw (0) or valid envelope
/// (1: true lengths, CRCs and headers written by the harness, see `StoreFiles`); bit 4:
/// in an envelope log, the last record is torn. Bits 1...3 pick the variant:
///
/// - 0, 5: `events.log` = rest; `EventLog.verify`, then `EventLog` open, then open again;
/// - 1, 6: `checkpoint` = rest, beside the fixture log; `Checkpoint.read`, then the log
///   opened resuming at its stamp;
/// - 2: `status` = rest, beside an empty log; `StoreStatus.current`;
/// - 3: `node` = rest; `NodeIdentity.load`;
/// - 4, 7: `length() checkpoint` then `events.log` = rest, with a valid identity; `NodeStore`.
///
/// Properties: no crash; `verify` and open agree on where damage is and whether it is a
/// torn tail; recovery is idempotent (a second open cuts nothing and finds the same
/// events); the events recovered, written as a new log, read back identical; a checkpoint,
/// status file or identity that reads rewrites to one that reads back equal.
public struct StoreTarget: Sendable {
    static let name = "store"
    let scratch: ScratchDirectory

    public init(scratch: ScratchDirectory) {
        self.scratch = scratch
    }

    public func run(_ input: [UInt8]) throws(FuzzViolation) {
        guard let selector = input.first else { return }
        let envelope = selector & 1 == 1
        var source = FuzzInput(input, offset: 1)
        scratch.clear()
        switch [0, 1, 2, 3, 4, 0, 1, 4][Int(selector >> 1) & 7] {
        case 0:
            try write("events.log", envelope ? StoreFiles.logEnvelope(&source, torn: selector & 16 != 0) : source.rest())
            try log()
        case 1:
            try write("events.log", StoreFixtures.log)
            try write("checkpoint", envelope ? StoreFiles.checkpointEnvelope(&source) : source.rest())
            try checkpoint()
        case 2:
            try write("events.log", StoreFiles.logHeader)
            try write("status", envelope ? StoreFiles.statusEnvelope(source.rest()) : source.rest())
            try status()
        case 3:
            try write("node", envelope ? Array("carnet-node 1\n".utf8) + source.rest() : source.rest())
            try identity()
        default:
            var part = FuzzInput(source.take(source.length()))
            try write("checkpoint", envelope ? StoreFiles.checkpointEnvelope(&part) : part.rest())
            try write("events.log", envelope ? StoreFiles.logEnvelope(&source, torn: selector & 16 != 0) : source.rest())
            try store(seed: input)
        }
    }

    private var directory: String { scratch.path }

    private func write(_ name: String, _ bytes: [UInt8]) throws(FuzzViolation) {
        do {
            let file = try File(path: directory + "/" + name, create: true, truncate: true)
            try file.write(bytes, at: 0)
        } catch {
            throw FuzzViolation(Self.name, "the harness could not write its scratch file: \(error)")
        }
    }

    private func read(_ name: String) -> [UInt8] {
        (try? File(path: directory + "/" + name).readAll()) ?? []
    }

    /// What an open found, kept after the log (a non-copyable file owner) is closed.
    private struct Opened {
        var report: RecoveryReport
        var events: [Event]
    }

    private func open(resumingAt stamp: LogStamp? = nil) -> Result<Opened, StoreError> {
        do throws(StoreError) {
            let log = try EventLog.open(directory: directory, resumingAt: stamp)
            return .success(Opened(report: log.report, events: log.recovered))
        } catch {
            return .failure(error)
        }
    }

    private func log() throws(FuzzViolation) {
        let verified = Result { () throws(StoreError) in try EventLog.verify(directory: directory) }
        let first = open()
        switch (verified, first) {
        case let (.success(check), .success(opened)):
            try require(check.records == opened.report.records && check.events == opened.report.events, Self.name,
                        "verify read \(check.records) records (\(check.events) events), open \(opened.report.records) (\(opened.report.events))")
            try require(check.damageOffset == opened.report.cutAt, Self.name,
                        "verify found damage at \(String(describing: check.damageOffset)), open cut at \(String(describing: opened.report.cutAt))")
            try require(opened.report.cutAt == nil || check.damageIsTornTail, Self.name,
                        "open cut a tail that verify calls damage in the middle")
        case let (.success(check), .failure(.corrupt(_, offset, _, _, _))):
            try require(check.damageOffset == offset && !check.damageIsTornTail, Self.name,
                        "open refused damage at \(offset), verify says \(String(describing: check.damageOffset)) (torn tail: \(check.damageIsTornTail))")
        default:
            break
        }
        guard case let .success(opened) = first else { return }
        guard case let .success(again) = open() else {
            throw FuzzViolation(Self.name, "a log that opened does not open again")
        }
        try require(again.report.cutBytes == 0 && again.report.records == opened.report.records
                    && EventComparison.identical(again.events, opened.events), Self.name,
                    "recovery is not idempotent: the second open cut \(again.report.cutBytes) bytes, read \(again.report.records) records, "
                    + EventComparison.firstDifference(opened.events, again.events))
        guard !opened.events.isEmpty else { return }
        try write("events.log", StoreFiles.logHeader + StoreFiles.logRecord(EventBatch.encode(opened.events)))
        guard case let .success(rewritten) = open() else {
            throw FuzzViolation(Self.name, "the recovered events, written as a new log, do not open")
        }
        try require(EventComparison.identical(rewritten.events, opened.events), Self.name,
                    "log round trip: " + EventComparison.firstDifference(opened.events, rewritten.events))
    }

    private func checkpoint() throws(FuzzViolation) {
        guard let contents = try? Checkpoint.read(directory: directory) else { return }
        do {
            try Checkpoint.write(contents.events, stamp: contents.stamp, directory: directory)
        } catch {
            throw FuzzViolation(Self.name, "a checkpoint that reads cannot be written again: \(error)")
        }
        let again: Checkpoint.Contents
        do {
            again = try Checkpoint.read(directory: directory)
        } catch {
            throw FuzzViolation(Self.name, "a rewritten checkpoint does not read: \(error)")
        }
        try require(again.stamp == contents.stamp && EventComparison.identical(again.events, contents.events), Self.name,
                    "checkpoint round trip: " + EventComparison.firstDifference(contents.events, again.events))
        if case let .success(opened) = open(resumingAt: contents.stamp), let resumedAt = opened.report.resumedAt {
            try require(resumedAt == contents.stamp.size, Self.name, "the log resumed at \(resumedAt), not at the checkpoint's stamp")
        }
    }

    private func status() throws(FuzzViolation) {
        guard let summary = StoreStatus.current(directory: directory) else { return }
        try write("status", StoreFiles.status(summary))
        guard let again = StoreStatus.current(directory: directory) else {
            throw FuzzViolation(Self.name, "a status file rewritten from the spec does not read")
        }
        try require(again == summary, Self.name, "status file round trip changed it")
    }

    private func identity() throws(FuzzViolation) {
        guard let identity = try? NodeIdentity.load(directory: directory) else { return }
        try write("node", StoreFiles.identity(identity))
        let again: NodeIdentity
        do {
            again = try NodeIdentity.load(directory: directory)
        } catch {
            throw FuzzViolation(Self.name, "an identity rewritten in its own format does not load: \(error)")
        }
        if !(again == identity && again.ledger.utf8.elementsEqual(identity.ledger.utf8)
             && again.label.utf8.elementsEqual(identity.label.utf8)) {
            throw FuzzViolation(Self.name, "identity round trip changed it")
        }
    }

    /// The whole store: a valid identity for this directory, then `NodeStore` opened twice.
    private func store(seed input: [UInt8]) throws(FuzzViolation) {
        guard let home = try? Directory.identity(directory) else {
            throw FuzzViolation(Self.name, "the harness cannot stat its scratch directory")
        }
        try write("node", Array(["carnet-node 1", "node \(SessionFixtures.farmNode.hex)", "ledger \(SessionFixtures.ledger)",
                                 "label fuzz", "home \(home.device):\(home.inode)", ""].joined(separator: "\n").utf8))
        // Fresh ids that fuzz bytes cannot name (they change with every byte of the input),
        // as random ids cannot collide in the product; one per open, as in the product.
        var random = SplitMix64(seed: ChunkPlan.fingerprint(input))
        let fresh = (NodeID(using: &random), NodeID(using: &random))
        let first: (count: Int, continued: Bool)
        do {
            let store = try NodeStore(directory: directory, wallMillis: SessionFixtures.t0, freshNodeID: { fresh.0 })
            first = (store.replica.eventCount, store.opening.continuedFrom != nil)
        } catch {
            return
        }
        let second: Int
        do {
            let store = try NodeStore(directory: directory, wallMillis: SessionFixtures.t0, freshNodeID: { fresh.1 })
            second = store.replica.eventCount
        } catch {
            throw FuzzViolation(Self.name, "a store that opened does not open again: \(error)")
        }
        try require(first.continued || second == first.count, Self.name,
                    "the store held \(first.count) events at its first open and \(second) at its second")
    }
}
