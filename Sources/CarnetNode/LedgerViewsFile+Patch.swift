import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem
import CarnetWire

/// The views file written again by a writer that read only a part of it (`EntryAppender`,
/// every `DerivedTail.writersRewriteAbove` events): made from the file itself and the
/// entries the log holds past it, re-encoding only the groups of lines those entries touch.
///
/// Why: at ten million entries, reading every section into the views, adding the tail and
/// encoding them all again took 2.4 of that write's 6.1 s and most of its 1.4 GB, while 256
/// entries touch a few hundred of the 1.4 million lines. The blocks (SPEC §6.5, sections
/// 14 to 16) begin at every group, so a group's lines make the same blocks wherever they
/// are encoded, and the other blocks are copied with their table rows as they were. The
/// result is the bytes a whole rewrite writes (`ViewsPatchTests` holds the two equal).
extension LedgerViewsFile {
    /// The file's sections for the log at `end`, made from the views file of `directory`
    /// stamped `fileStamp` and the log's entries past it (`DerivedTail`, which must end at
    /// `end`), or nil when that cannot be done (the file changed or has no block tables, a
    /// section or block fails its checksum, the tail is not one readers add): then the
    /// caller reads the whole file instead.
    ///
    /// `views`: the writer's views for the state at `end`, whose small sections (counts,
    /// balances, availability, labels, node records) are exact; the other small ones are
    /// copied, as no entry changes them.
    static func patchedSections(directory: String, storage: any Storage, views: LedgerViews, fileStamp: LogStamp,
                                end: LogStamp) -> [(id: UInt8, bytes: [UInt8])]? {
        guard let tail = DerivedTail.after(fileStamp, directory: directory, storage: storage), tail.end == end,
              let entries = tail.entries() else { return nil }
        return patchedSections(directory: directory, storage: storage, views: views, fileStamp: fileStamp, entries: entries)
    }

    /// The same with the entries past the file given, in log order: a server that checked
    /// what its sessions appended (`ServedFilesSave`) before any status file named it.
    static func patchedSections(directory: String, storage: any Storage, views: LedgerViews, fileStamp: LogStamp,
                                entries: [LedgerRecord]) -> [(id: UInt8, bytes: [UInt8])]? {
        let tables = Set(Part.blockTables.map(\.rawValue))
        guard let (file, open) = StampedSections.opened(fileName, as: .views, directory: directory,
                                                        wanted: tables.union([Part.stockTotals.rawValue]), storage: storage,
                                                        acceptingPrefix: true),
              file.stamp == fileStamp, tables.allSatisfy({ file.sections[$0] != nil }) else { return nil }
        var made: [Part: [UInt8]] = [:]
        var touchedStock: [StockLine] = []
        for blocked in ViewsBlocks.Blocked.allCases {
            guard let old = open.section(blocked.section.rawValue),
                  let oldTable = file.sections[blocked.table.rawValue],
                  let blocks = ViewsBlocks.blocks(blocked, table: oldTable, sectionLength: old.count),
                  let new = patched(blocked, old: old, blocks: blocks, entries: entries) else { return nil }
            made[blocked.section] = new.section
            made[blocked.table] = new.table
            if blocked == .stock { touchedStock = new.lines.stock }
        }
        guard let totals = file.sections[Part.stockTotals.rawValue],
              let newTotals = patchedTotals(totals, touched: touchedStock) else { return nil }
        made[.stockTotals] = newTotals
        var sections: [(id: UInt8, bytes: [UInt8])] = []
        for part in Part.allCases {
            switch part {
            case .counts, .balances, .availability, .labels:
                sections.append((part.rawValue, section(part, of: views)))
            case .nodeRecords:
                if views.nodeRecords != nil { sections.append((part.rawValue, section(part, of: views))) }
            case .memberChains:
                // A new node taken changes them (`MembersView.takeNewNode`); entries do not.
                if views.members.chainEnds != nil { sections.append((part.rawValue, section(part, of: views))) }
            case .conflicts, .catalog, .members, .openOrders, .unheldPaymentTargets:
                guard let bytes = open.section(part.rawValue) else { return nil }
                sections.append((part.rawValue, bytes))
            case .stock, .stockTotals, .lotProducts, .salePayments, .stockBlocks, .lotProductBlocks, .salePaymentBlocks:
                guard let bytes = made[part] else { return nil }
                sections.append((part.rawValue, bytes))
            }
        }
        return sections
    }

    /// What the new section is made of, in order: blocks kept as they were (by index), or
    /// lines encoded afresh as a section of their own (`varint(n)` and the lines).
    private enum Piece {
        case kept(Range<Int>)
        case made([UInt8])
    }

    /// `old` (a section of `kind`, cut into `blocks`) with `entries` added, its table, and
    /// the lines of the groups made again (in `lines`' part of `kind`); nil when a block it
    /// reads does not decode as its table says.
    private static func patched(_ kind: ViewsBlocks.Blocked, old: [UInt8], blocks: [ViewsBlocks.Block],
                                entries: [LedgerRecord]) -> (section: [UInt8], table: [UInt8], lines: LedgerViews)? {
        // Which blocks are made again: every block of a group the entries touch (sale
        // payments, one group: from the block holding the first sale paid to the end).
        var scratch = LedgerViews.empty
        let touched = touchedKeys(kind, entries)
        guard !touched.isEmpty else { return (old, ViewsBlocks.encodedTable(blocks), scratch) }
        var replaced: [Range<Int>] = []
        var groups: [[[UInt8]]] = []
        switch kind {
        case .salePayments:
            let from = ViewsBlocks.lastAtOrBefore(touched[0], in: blocks) ?? 0
            replaced = [from..<blocks.count]
            groups = [[]]
        case .stock, .lotProducts:
            var index = 0
            for key in touched {
                while index < blocks.count, precedes(Array(blocks[index].key.prefix(kind.groupCount)), key) { index += 1 }
                let start = index
                while index < blocks.count, blocks[index].key.prefix(kind.groupCount).elementsEqual(key) { index += 1 }
                replaced.append(start..<index)
                groups.append(key)
            }
        }
        // The lines of the blocks replaced, with the entries added.
        do throws(WireError) {
            for range in replaced {
                for block in blocks[range] {
                    let bytes = Array(old[block.offset..<(block.offset + block.length)])
                    guard CRC32C.checksum(bytes) == block.crc else { return nil }
                    let read: Bool
                    switch kind {
                    case .stock: read = try readStockBlock(bytes, block, into: &scratch.stock)
                    case .lotProducts: read = try readLotBlock(bytes, block, into: &scratch.lotProducts)
                    case .salePayments: read = try readSalePaymentBlock(bytes, block, into: &scratch.salePayments)
                    }
                    guard read else { return nil }
                }
            }
        } catch {
            return nil
        }
        guard scratch.addTaken(entries, stockIsTotals: false) else { return nil }
        // Each group's lines as a section of their own, in the order of the groups.
        var pieces: [Piece] = []
        var kept = 0
        for (range, group) in zip(replaced, groups) {
            if kept < range.lowerBound { pieces.append(.kept(kept..<range.lowerBound)) }
            kept = range.upperBound
            pieces.append(.made(section(kind.section, of: linesOf(kind, group, in: scratch))))
        }
        if kept < blocks.count { pieces.append(.kept(kept..<blocks.count)) }
        guard let (section, table) = assemble(kind, old: old, blocks: blocks, pieces: pieces) else { return nil }
        return (section, table, scratch)
    }

    /// The views holding only the lines of `group` (its key's first strings) of `scratch`.
    private static func linesOf(_ kind: ViewsBlocks.Blocked, _ group: [[UInt8]], in scratch: LedgerViews) -> LedgerViews {
        var only = LedgerViews.empty
        switch kind {
        case .stock:
            only.stock = scratch.stock.filter { $0.producer.utf8.elementsEqual(group[0]) && $0.product.utf8.elementsEqual(group[1]) }
        case .lotProducts:
            only.lotProducts = scratch.lotProducts.filter { $0.producer.utf8.elementsEqual(group[0]) }
        case .salePayments:
            only.salePayments = scratch.salePayments
        }
        return only
    }

    /// The groups `entries` add lines to, in the section's order, each once: (producer,
    /// product) of the stock they move, producers of the lots they make, and for sale
    /// payments the first id paid alone.
    private static func touchedKeys(_ kind: ViewsBlocks.Blocked, _ entries: [LedgerRecord]) -> [[[UInt8]]] {
        var keys: [[[UInt8]]] = []
        for record in entries {
            let entry = record.entry
            switch kind {
            case .stock:
                if entry.kind.movesStock, let product = entry.product, entry.quantity != nil {
                    keys.append([Array(entry.producer.utf8), Array(product.utf8)])
                }
            case .lotProducts:
                if LotProducts.makes(entry.kind), let lot = entry.lot, !lot.isEmpty, entry.product != nil {
                    keys.append([Array(entry.producer.utf8)])
                }
            case .salePayments:
                if entry.kind == .payment, let sale = entry.ref { keys.append([Array(sale.utf8)]) }
            }
        }
        var unique: [[[UInt8]]] = []
        for key in keys.sorted(by: precedes) where unique.last.map({ !$0.elementsEqual(key) }) ?? true { unique.append(key) }
        return kind == .salePayments ? Array(unique.prefix(1)) : unique
    }

    /// Key order: string by string, as bytes.
    private static func precedes(_ lhs: [[UInt8]], _ rhs: [[UInt8]]) -> Bool {
        for (left, right) in zip(lhs, rhs) where !left.elementsEqual(right) { return left.lexicographicallyPrecedes(right) }
        return lhs.count < rhs.count
    }

    /// The section and its table from `pieces`: kept blocks copied with their rows, made
    /// lines with the blocks their own table names (a group begins a block wherever it lies).
    private static func assemble(_ kind: ViewsBlocks.Blocked, old: [UInt8], blocks: [ViewsBlocks.Block],
                                 pieces: [Piece]) -> (section: [UInt8], table: [UInt8])? {
        // The runs of bytes in order, then the section written once (at ten million entries
        // the stock section is a hundred megabytes: no copy of it is made twice).
        var runs: [ArraySlice<UInt8>] = [], rows: [ViewsBlocks.Block] = []
        for piece in pieces {
            switch piece {
            case let .kept(range):
                guard let first = blocks[range].first, let last = blocks[range].last else { continue }
                runs.append(old[first.offset..<(last.offset + last.length)])
                rows += blocks[range]
            case let .made(section):
                guard let table = ViewsBlocks.table(kind, of: section),
                      let made = ViewsBlocks.blocks(kind, table: table, sectionLength: section.count) else { return nil }
                guard let first = made.first else { continue }
                runs.append(section[first.offset...])
                rows += made
            }
        }
        var section = ByteWriter(capacity: runs.reduce(10) { $0 + $1.count })
        section.varint(UInt64(rows.reduce(0) { $0 + $1.lines }))
        for run in runs { section.raw(run) }
        return (section.bytes, ViewsBlocks.encodedTable(rows))
    }

    /// The stock totals (section 9) with the totals of the (producer, product) groups the
    /// entries moved made again from `touched`, every line of those groups as now.
    private static func patchedTotals(_ old: [UInt8], touched lines: [StockLine]) -> [UInt8]? {
        guard !lines.isEmpty else { return old }
        var totals = LedgerViews.empty
        guard (try? read(.stockTotals, from: old, into: &totals)) == true else { return nil }
        let groups = Set(lines.map { [ExactString($0.producer), ExactString($0.product)] })
        totals.stock = (totals.stock.filter { !groups.contains([ExactString($0.producer), ExactString($0.product)]) }
            + StockTotals.of(lines, catalog: nil)).sorted(by: StockLine.precedes)
        return section(.stockTotals, of: totals)
    }
}
