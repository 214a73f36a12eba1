import CarnetCore
import CarnetLedger
import CarnetNode
import CarnetWire

/// `carnet bundle apply FILE...`: takes bundles' events. Idempotent: applying one twice
/// adds nothing the second time.
struct BundleApplyCommand: Command {
    static let spec = CommandSpec(
        path: ["bundle", "apply"], summary: "take the events of bundle files (idempotent)",
        arguments: [ArgumentSpec(name: "FILE", help: "a bundle made by `carnet bundle create`; several may be given", repeats: true)],
        options: [.json],
        discussion: """
        Refuses, storing nothing: another ledger's bundle (by ledger id, whatever its name), a
        file altered anywhere or cut short, one not sealed with this ledger's secret, and in a
        signed ledger events their authors did not sign (a bundle of format 1 carries no
        signatures). Reads the file only: read-only media are fine. The new events are
        stored as one durable record. JSON: {added, duplicates, pending, rejected, from, ledger}.

        Several files: each is read before this node is opened; the node is opened once and
        its status, views and entry index are written once at the end (a large hub pays that
        once, not once per farm). Each bundle is taken in turn as if it were the only one, with
        the same checks, and is stored as its own record. One that is refused is named on
        stderr and the others are still taken; what was taken stays. The run then exits with
        the status of the first refused bundle, naming them all. JSON: an array, one object per
        file in the order given: {added, duplicates, pending, rejected, from, ledger} when
        taken, {from, error, status} when not.
        """,
        examples: ["carnet bundle apply /media/usb/for-hub.bundle",
                   "carnet bundle apply inbox/*.bundle --json"]
    )

    var files: [String]
    var json: Bool

    init(_ invocation: Invocation) throws {
        files = invocation.arguments
        json = invocation.flag("--json")
    }

    func run(in context: Context) throws {
        // The node's ledger from its `node` file alone, to read a small bundle's products
        // before the node is opened (the appender then reads only their part of the views).
        let ledger = (try? NodeDirectory.identity(of: context.directory)).map { (id: $0.ledgerID, name: $0.ledger) }
        try SourcesRun(sources: files, json: json, plural: "bundles").run(in: context, prepare: { file in
            try Files.read(file, what: "the bundle")
        }, part: { bytes in
            Self.smallBundleEvents(bytes, ledger: ledger, context: context)
                .map { ViewsPart(entries: $0.compactMap { LedgerRecord(reading: $0)?.entry }) }
        }, writers: { bytes in
            Self.smallBundleEvents(bytes, ledger: ledger, context: context).map { Set($0.map(\.dot.node)) }
        }, takeAppending: { file, bytes, appender in
            let bundle = try Self.bundle(file, bytes: bytes, ledgerID: appender.ledgerID, ledger: appender.ledger, context: context)
            guard bundle.heads.isEmpty, let summary = try appender.take(bundle.events) else { return nil }
            return Self.report(summary, file: file, bundle)
        }, take: { file, bytes, store in
            try Self.take(file, bytes: bytes, into: &store, context: context)
        })
    }

    /// A small bundle's events, read before the node is opened; nil for a large one (it is
    /// not opened twice: every part of the views is read) or one that does not read.
    /// `ledger`: this node's, from its `node` file.
    private static func smallBundleEvents(_ bytes: [UInt8], ledger: (id: LedgerID?, name: String)?, context: Context) -> [Event]? {
        guard bytes.count <= smallBundle, let ledger,
              let bundle = try? bundle("", bytes: bytes, ledgerID: ledger.id, ledger: ledger.name, context: context)
        else { return nil }
        return bundle.events
    }

    /// The size up to which a bundle is opened before the node to name its products: a
    /// day's bundle of a farm is a few KB, a whole history's megabytes.
    static let smallBundle = 1 << 20

    /// The bundle in `bytes`, opened for a node of `ledger` (its id `ledgerID` in a signed
    /// ledger): refused, saying why, when it is a stranger's, damaged or of another ledger.
    private static func bundle(_ file: String, bytes: [UInt8], ledgerID: LedgerID?, ledger: String,
                               context: Context) throws -> BundleFile {
        // The ledger id first: a stranger's bundle is named as such, not as "damaged".
        let nodeLedger = ledgerID ?? BundleSeal.noLedgerID
        if let bundleLedger = BundleSeal.ledgerID(of: bytes), bundleLedger != nodeLedger {
            throw CLIError.data("\(file): this bundle belongs to ledger \(bundleLedger), this node to \(nodeLedger); nothing was applied")
        }
        let bundle: BundleFile
        do {
            let secret = BundleSeal.ledgerID(of: bytes) == nil ? nil : try LedgerSecret.load(directory: context.directory).bytes
            bundle = try BundleFile.decode(bytes, secret: secret)
        } catch let error as BundleFile.Problem {
            throw CLIError.data("\(file) \(error)")
        }
        guard bundle.ledger == ledger else {
            throw CLIError.data("\(file) holds events of ledger \"\(bundle.ledger)\", not of this node's ledger \"\(ledger)\"; nothing was applied")
        }
        return bundle
    }

    private static func report(_ summary: AdmissionCounts, file: String, _ bundle: BundleFile) -> ReceiveReport {
        ReceiveReport(summary: summary, source: "\(file) (from \(bundle.creatorLabel), \(bundle.creator.short))", ledger: bundle.ledger)
    }

    /// One bundle, as `bundle apply` has always taken it.
    private static func take(_ file: String, bytes: [UInt8], into store: inout LocalNode,
                             context: Context) throws -> ReceiveReport {
        let bundle = try bundle(file, bytes: bytes, ledgerID: store.ledgerID, ledger: store.ledger, context: context)
        let summary: AdmissionCounts
        do {
            summary = try store.persist(SignedEvents(events: bundle.events, heads: bundle.heads))
        } catch {
            throw Self.explained(error, file: file, formatOne: bundle.heads.isEmpty && BundleSeal.ledgerID(of: bytes) == nil)
        }
        return report(summary, file: file, bundle)
    }

    /// A signed node's refusal, with what the person can do about it.
    static func explained(_ error: NodeError, file: String, formatOne: Bool) -> any Error {
        guard case let .store(.unsigned(rejection)) = error else { return error }
        let why = formatOne
            ? "a bundle of format 1 carries no signatures, and this node's ledger takes only signed events; ask for a new bundle"
            : "its author did not sign it"
        return CLIError.data("\(file) is refused: \(rejection) (\(why)); nothing was applied")
    }
}

/// What taking events from elsewhere did, shown the same way by `bundle apply` and `merge`.
struct ReceiveReport {
    var summary: AdmissionCounts
    var source: String
    var ledger: String

    /// The `--json` object: one source's, and each taken element of a several-source run's array.
    var json: JSON {
        .object([
            "added": .int(summary.accepted), "duplicates": .int(summary.duplicates),
            "pending": .int(summary.pending), "rejected": .int(summary.rejected),
            "from": .string(source), "ledger": .string(ledger),
        ])
    }

    func show(json: Bool, _ output: Output) {
        if json {
            output.json(self.json)
            return
        }
        var text = "\(source): added \(summary.accepted) new events, \(summary.duplicates) already held"
        if summary.pending > 0 { text += ", \(summary.pending) waiting for earlier events (take those too)" }
        if summary.rejected > 0 { text += ", \(summary.rejected) rejected" }
        output.line(text)
    }
}
