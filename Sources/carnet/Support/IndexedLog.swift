import CarnetCore
import CarnetLedger
import CarnetNode

/// `log` answered from the entry index (§6.7) by walking it newest first
/// (`EntryIndex.forEachNewest`): every entry, one producer's, or the newest N, in memory
/// bounded by a block of slots whatever the ledger's size, printed as it is read.
///
/// The table walks twice. The first walk prints nothing: it checks every block and record
/// the answer needs and measures the columns (they need the widest cell), so that damage
/// found at the oldest entry still sends the whole answer to the store instead of leaving
/// half of it printed. The second prints. Between the two nothing the walk reads can
/// change: the index file is open (a writer replaces it by renaming) and the log records
/// within its stamp are never rewritten. JSON walks once (`printJSON`).
struct IndexedLog {
    var ledger: IndexedLedger
    var producer: String?
    var limit: Int

    private func walk(_ body: (LedgerRecord, LedgerRecord?, EntryStanding?) throws(EntryIndex.Damage) -> Void)
        throws(EntryIndex.Damage) -> Int {
        try ledger.index.forEachNewest(producer: producer, limit: limit) { (record, voidedBy, standing) throws(EntryIndex.Damage) in
            try body(record, voidedBy, standing.map(EntryStanding.init))
        }
    }

    /// Prints the entries as one JSON array, as `Output.json` prints it whole; false (with
    /// the warning said) when the index does not check, and nothing was printed.
    ///
    /// One walk, not two: the entries are what costs (a million decoded, their hashes
    /// computed), and JSON needs no widths. The first 64 KB are held back; an answer that
    /// fits in them (`--limit 20`, a small producer's) is checked whole before a byte goes
    /// out. One that does not is checked for storage damage before its first byte goes
    /// out: `checkStorage` reads every index block and log record the walk will read (a
    /// flipped byte, a record cut short), so that such damage still gives the store's whole
    /// answer; damage that only decoding shows, found past that, ends the command with an
    /// error after a partial array (SPEC §6.7).
    func printJSON(_ context: Context) throws -> Bool {
        var stream = JSONArrayStream(context.output, holding: true)
        let names = ledger.names
        do {
            // Each entry's text is made on every core a block at a time (half the time of
            // a million entries), and appended in order as if made here.
            _ = try ledger.index.forEachNewest(producer: producer, limit: limit, making: { entries in
                Self.texts(of: entries, labels: names)
            }) { (text) throws(EntryIndex.Damage) in
                stream.append(written: text)
                guard stream.held >= JSONArrayStream.flushAt, !stream.wrote else { return }
                try ledger.index.checkStorage(producer: producer, limit: limit)
                stream.release()
            }
        } catch {
            guard stream.wrote else {
                context.output.warn("the entry index does not check (\(error)); reading the store instead")
                return false
            }
            throw Self.cutShort(error)
        }
        stream.finish()
        return true
    }

    /// The JSON text of each of `entries`, as `JSONArrayStream.append` writes it, in one
    /// buffer they share (made on another core: one allocation a piece, not one an entry).
    private static func texts(of entries: ArraySlice<EntryIndex.NewestEntry>, labels: EntryIndexNames) -> [ArraySlice<UInt8>] {
        var text: [UInt8] = []
        text.reserveCapacity(entries.count * 1_024)  // an entry is some 700 bytes
        var ends: [Int] = []
        ends.reserveCapacity(entries.count)
        for (record, voidedBy, standing) in entries {
            let fields = JSONForms.entryFields(record, voidedBy: voidedBy, labels: labels, standing: standing.map(EntryStanding.init))
            JSONArrayStream.write(.fields(fields), into: &text)
            ends.append(text.count)
        }
        return ends.indices.map { text[($0 == 0 ? 0 : ends[$0 - 1])..<ends[$0]] }
    }

    /// Prints the entries as `log`'s table (`row` gives a row's cells), then what `footer`
    /// prints with the latest catalog changes; `empty` instead when no entry is shown.
    /// False (with the warning said) when the index does not check, and nothing was printed.
    func printTable(_ context: Context, columns: [(String, Table.Alignment)],
                    row: (LedgerRecord, LedgerRecord?, EntryStanding?) -> [String], empty: () -> Void,
                    footer: ([Event]) -> Void) throws -> Bool {
        var table = StreamedTable(columns)
        guard let (count, recent) = IndexedReading.answer(context, { () throws(EntryIndex.Damage) in
            (try walk { table.measure(row($0, $1, $2)) }, try ledger.index.newestChanges(5))
        }) else { return false }
        guard count > 0 else {
            empty()
            return true
        }
        let output = context.output
        table.printHeader(output)
        try Self.second { () throws(EntryIndex.Damage) in try walk { table.print(row($0, $1, $2), output) } }
        footer(recent)
        return true
    }

    /// The printing walk: it read the same blocks and records as the first, which checked,
    /// so it fails only if the files changed under the command (a disk error); the lines
    /// printed cannot be taken back, and the command fails saying the answer is cut short.
    private static func second(_ walk: () throws(EntryIndex.Damage) -> Int) throws {
        do {
            _ = try walk()
        } catch {
            throw cutShort(error)
        }
    }

    private static func cutShort(_ damage: EntryIndex.Damage) -> CLIError {
        CLIError(.dataError, "the entry index does not check (\(damage)) after part of the answer was printed; "
            + "what was printed is incomplete: `carnet verify` checks the index, and the next write makes it again")
    }
}
