import CarnetCore
import CarnetNode

/// Taking events from several sources in one run (`merge DIR...`, `bundle apply FILE...`).
///
/// Why one run: opening a hub reads its whole checkpoint, and writing its derived files
/// (status, views, entry index) folds every event it holds. A hub of 1M events paid both,
/// seconds each, once per farm; here it pays them once per run, however many farms come in.
///
/// What stays as it was: each source is taken in turn, with the same checks and refusals
/// as when it is the only one, and its events are stored as its own durable record, so a
/// later source's failure never undoes an earlier one's. With one source, the run is
/// exactly the single-source command of before: its errors are thrown as they were, and its
/// report (line or JSON object) is unchanged.
///
/// With several, a source that fails is reported (an error line on stderr at its turn;
/// `{from, error, status}` in `--json`) and the others are still taken; the run then
/// fails, naming every failed source, with the exit status of the first. Every bundle and
/// every directory's log is read before the node is opened, so the files of one run are in
/// memory together.
struct SourcesRun {
    var sources: [String]
    var json: Bool
    /// "directories" or "bundles": how the sources are named in the closing sentence.
    var plural: String

    /// One source's outcome, in the order given.
    private enum Outcome {
        case taken(ReceiveReport)
        case failed(source: String, error: CLIError)

        var json: JSON {
            switch self {
            case let .taken(report): report.json
            case let .failed(source, error):
                .object(["from": .string(source), "error": .string(error.message), "status": .int(Int64(error.code.rawValue))])
            }
        }
    }

    /// Runs `prepare` on every source before the node is opened (what can be checked
    /// without it: a missing directory or unreadable file then costs no opening of a large
    /// hub), then opens the node once and runs `take` on each prepared source in turn, and
    /// writes the node's derived files once at the end when anything new came in.
    ///
    /// `takeAppending`: the same for a node whose files beside the log can take the source's
    /// events without loading any (`EntryAppender.take`: a farm's entries since its last
    /// merge); nil when they cannot, with nothing written. The sources are taken that way in
    /// turn until one cannot be; that one and the rest go through the node as above.
    ///
    /// `part`: what a prepared source's entries name (products, lots, sales paid), when it
    /// can say before the node is opened (`merge`, a small bundle; nil when it cannot); then
    /// the appender reads only the part of the views they need (`EntryAppender.open(part:)`).
    ///
    /// `writers`: the nodes whose events a prepared source holds, when it can say (nil when
    /// it cannot): in a ledger with members, events of a node the views do not know are
    /// judged by a fold, and the node is then opened warm for it
    /// (`StoreAccess.openAddingToViewsFile`).
    func run<Prepared>(in context: Context,
                       prepare: (_ source: String) throws -> Prepared,
                       part: ((_ prepared: Prepared) -> ViewsPart?)? = nil,
                       writers: ((_ prepared: Prepared) -> Set<NodeID>?)? = nil,
                       takeAppending: ((_ source: String, _ prepared: Prepared, _ appender: inout EntryAppender) throws -> ReceiveReport?)? = nil,
                       take: (_ source: String, _ prepared: Prepared, _ node: inout LocalNode) throws -> ReceiveReport) throws {
        guard sources.count > 1 else {
            return try runOne(in: context, prepare: prepare, part: part, writers: writers, takeAppending: takeAppending, take: take)
        }
        var outcomes: [Outcome?] = Array(repeating: nil, count: sources.count)
        // Optional so that each source's bytes are let go once it is taken.
        var prepared: [Prepared?] = Array(repeating: nil, count: sources.count)
        for (index, source) in sources.enumerated() {
            do {
                prepared[index] = try prepare(source)
            } catch {
                outcomes[index] = fail(source, error, context)
            }
        }
        if let takeAppending, prepared.contains(where: { $0 != nil }),
           var appender = Self.appender(context, part: part.flatMap { named in Self.all(prepared.compactMap { $0 }.map(named)) }) {
            for notice in appender.openingNotices { context.output.warn(notice) }
            var changed = false
            for (index, source) in sources.enumerated() {
                guard let ready = prepared[index] else { continue }
                let report: ReceiveReport?
                do {
                    report = try takeAppending(source, ready, &appender)
                } catch {
                    prepared[index] = nil
                    outcomes[index] = fail(source, error, context)
                    continue
                }
                // This source, and every one after it, through the node.
                guard let report else { break }
                prepared[index] = nil
                changed = changed || report.summary.accepted > 0
                if !json { report.show(json: false, context.output) }
                outcomes[index] = .taken(report)
            }
            if changed { for warning in appender.saveDerivedState() { context.output.warn(warning) } }
        }
        if prepared.contains(where: { $0 != nil }) {
            var node = try StoreAccess.openAddingToViewsFile(context, takingEntriesOf: Self.all(prepared.compactMap { $0 }, writers))
            var changed = false
            for (index, source) in sources.enumerated() {
                guard let ready = prepared[index] else { continue }
                prepared[index] = nil
                do {
                    let report = try take(source, ready, &node)
                    changed = changed || report.summary.accepted + report.summary.pending > 0
                    if !json { report.show(json: false, context.output) }
                    outcomes[index] = .taken(report)
                } catch {
                    outcomes[index] = fail(source, error, context)
                }
            }
            if changed { StoreAccess.afterAppend(&node, context: context) }
        }
        let all = outcomes.compactMap { $0 }
        if json { context.output.json(.array(all.map(\.json))) }
        let failed = all.compactMap { outcome -> (String, CLIError)? in
            if case let .failed(source, error) = outcome { return (source, error) }
            return nil
        }
        guard let first = failed.first else { return }
        let names = failed.map(\.0).joined(separator: ", ")
        let kept = failed.count == sources.count
            ? "nothing was taken"
            : "what the other \(sources.count - failed.count) brought is stored"
        throw CLIError(first.1.code, "\(failed.count) of \(sources.count) \(plural) not taken: \(names) (reasons above); \(kept)")
    }

    /// The writers of every source, or nil when one cannot say.
    private static func all<Prepared>(_ prepared: [Prepared], _ writers: ((Prepared) -> Set<NodeID>?)?) -> Set<NodeID>? {
        guard let writers else { return nil }
        var all = Set<NodeID>()
        for source in prepared {
            guard let some = writers(source) else { return nil }
            all.formUnion(some)
        }
        return all
    }

    /// What every source names, or nil when one cannot say.
    private static func all(_ named: [ViewsPart?]) -> ViewsPart? {
        named.contains { $0 == nil } ? nil : named.reduce(ViewsPart()) { $0.adding($1 ?? ViewsPart()) }
    }

    /// The appender of the node, reading the part of the views `part` names when given.
    private static func appender(_ context: Context, part: ViewsPart?) -> EntryAppender? {
        EntryAppender.open(directory: context.directory, wallMillis: context.wallMillis(), part: part)
    }

    /// One source: the command as it always was, its first error thrown as it is.
    private func runOne<Prepared>(in context: Context,
                                  prepare: (_ source: String) throws -> Prepared,
                                  part: ((_ prepared: Prepared) -> ViewsPart?)?,
                                  writers: ((_ prepared: Prepared) -> Set<NodeID>?)?,
                                  takeAppending: ((_ source: String, _ prepared: Prepared, _ appender: inout EntryAppender) throws -> ReceiveReport?)?,
                                  take: (_ source: String, _ prepared: Prepared, _ node: inout LocalNode) throws -> ReceiveReport) throws {
        let source = sources[0]
        let ready = try prepare(source)
        if let takeAppending, var appender = Self.appender(context, part: part.flatMap { $0(ready) }) {
            for notice in appender.openingNotices { context.output.warn(notice) }
            if let report = try takeAppending(source, ready, &appender) {
                if report.summary.accepted > 0 { for warning in appender.saveDerivedState() { context.output.warn(warning) } }
                report.show(json: json, context.output)
                return
            }
        }
        var node = try StoreAccess.openAddingToViewsFile(context, takingEntriesOf: Self.all([ready], writers))
        let report = try take(source, ready, &node)
        if report.summary.accepted + report.summary.pending > 0 { StoreAccess.afterAppend(&node, context: context) }
        report.show(json: json, context.output)
    }

    /// A failed source, told at its turn on stderr as an error line (the sentence names it
    /// when the error does not already); the run goes on with the next source.
    private func fail(_ source: String, _ error: any Error, _ context: Context) -> Outcome {
        let report = ErrorReport.describe(error)
        context.output.error(report.message.contains(source) ? report.message : "\(source): \(report.message)")
        return .failed(source: source, error: report)
    }
}
