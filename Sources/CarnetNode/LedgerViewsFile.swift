import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetSystem
import CarnetWire

/// The views file, `views`: the ledger's views (`LedgerViews`) kept beside the log, so
/// that `stock`, `balances`, `availability`, `conflicts` and the catalog lists answer
/// without reading an event. Believed only while the log is exactly as stamped, like the
/// status file; any doubt (missing, damaged, stale, another version) and the command
/// opens the store, which writes it again. Layout: protocol/SPEC.md §6.5.
public enum LedgerViewsFile {
    public static let fileName = "views"

    /// The sections of the file. A command reads the ones it shows: `balances` need not
    /// decode a hundred thousand stock lines, nor `status` the conflicts.
    public enum Part: UInt8, CaseIterable, Sendable {
        case counts = 1, stock, balances, availability, conflicts, catalog, labels, members
        /// Stock summed over lots (`StockTotals`), decoded into `LedgerViews.stock` as one
        /// line per producer and product with an empty lot, when `stock` is not asked for.
        case stockTotals
        /// What a writer needs to add an entry to the views without folding
        /// (`LedgerViews.appending`): the open orders per product, and the ids payments
        /// name that no entry carries.
        case openOrders, unheldPaymentTargets
        /// The products made into each lot (`LedgerViews.lotProducts`): what `record`
        /// checks the lot a sale draws from against.
        case lotProducts
        /// What payments paid towards each sale id (`LedgerViews.salePayments`): what a
        /// writer checks a payment settling a sale against.
        case salePayments
        /// The blocks of the stock lines, the lot products and the sale payments
        /// (`ViewsBlocks`): what a writer of one entry reads instead of those sections.
        /// Optional: a file of an earlier build has none, and its sections are read whole.
        case stockBlocks, lotProductBlocks, salePaymentBlocks
        /// The nodes whose label a write could change beyond its own node's
        /// (`LedgerViews.nodeRecords`). Optional: a file of an earlier build has none, and
        /// its writers then take no label without the registers.
        case nodeRecords
        /// How each node's next events will be judged among the members
        /// (`MembersView.chainEnds`). Optional: a file of an earlier build has none, and
        /// its writers then take no other device's entries without folding.
        case memberChains

        /// The block tables, never decoded into the views.
        static let blockTables: Set<Part> = [.stockBlocks, .lotProductBlocks, .salePaymentBlocks]
        /// The sections a current file may lack.
        static let optional: Set<Part> = blockTables.union([.nodeRecords, .memberChains])

        /// Whether the views say nothing of this optional section, which is then not written.
        func isAbsent(in views: LedgerViews) -> Bool {
            switch self {
            case .nodeRecords: views.nodeRecords == nil
            case .memberChains: views.members.chainEnds == nil
            default: false
            }
        }
    }

    /// The views of `directory` when the file describes its log exactly as it is now, or
    /// as it was with the records a reader may add after it (`DerivedTail`, SPEC §6.8)
    /// added, with `parts` decoded; the others are left empty (a caller shows only what it
    /// asked for). Only the header, the stamp, the table and the sections of `parts` are
    /// read and checked: `balances` on a 145 MB file reads a few KB. Nil on any doubt
    /// about those.
    public static func current(directory: String, parts: Set<Part> = Set(Part.allCases),
                               storage: any Storage = PosixStorage()) -> LedgerViews? {
        currentWithStamp(directory: directory, parts: parts, storage: storage)?.views
    }

    /// `current`, with the log state the views describe (the status file's stamp when a
    /// tail was added).
    static func currentWithStamp(directory: String, parts: Set<Part> = Set(Part.allCases),
                                 storage: any Storage = PosixStorage()) -> (views: LedgerViews, stamp: LogStamp)? {
        guard let read = read(directory: directory, parts: decoded(parts), storage: storage) else { return nil }
        guard let tail = read.tail, !tail.records.isEmpty else { return (read.views, read.stamp) }
        if parts.contains(.stock) { return tail.adding(to: read.views, stockIsTotals: false).map { ($0, tail.end) } }
        let totals = parts.contains(.stockTotals)
        if !parts.contains(.availability), let views = tail.adding(to: read.views, stockIsTotals: totals) {
            return (views, tail.end)
        }
        // Availability, or totals the tail cannot be added to: from the lines of its products.
        return addingFromTheirLines(tail, to: read.views, keepingTotals: totals, at: read.stamp, directory: directory,
                                    storage: storage).map { ($0, tail.end) }
    }

    /// `views` (without the stock lines) with the tail added from the stock lines of the
    /// products it moves alone: the availability of each is made again from all of its
    /// lines, and with `keepingTotals` (the stock holds the totals) their totals too; the
    /// other products' do not change. Nil when the tail is no list of entries or the stock
    /// section does not read.
    private static func addingFromTheirLines(_ tail: DerivedTail, to views: LedgerViews, keepingTotals: Bool, at stamp: LogStamp,
                                             directory: String, storage: any Storage) -> LedgerViews? {
        guard let entries = tail.entries() else { return nil }
        let products = DerivedTail.products(movedBy: entries)
        guard let (file, open) = StampedSections.opened(fileName, as: .views, directory: directory, wanted: [Part.stockBlocks.rawValue],
                                                        storage: storage, acceptingPrefix: true),
              file.stamp == stamp, let lines = stockLines(ofProducts: products, in: file, open) else { return nil }
        var added = views
        added.stock = lines
        guard added.takeLabels(tail.ownLabelWrites(), knownEmpty: false),
              added.addTaken(entries, stockIsTotals: false) else { return nil }
        guard keepingTotals else { return added }
        let moved = Set(products.map { ExactString(String(decoding: $0, as: UTF8.self)) })
        var totals = views.stock.filter { !moved.contains(ExactString($0.product)) } + StockTotals.of(added.stock, catalog: nil)
        totals.sort(by: StockLine.precedes)
        added.stock = totals
        return added
    }

    /// The file's sections `parts` decoded, its stamp, and when the log has grown past it the
    /// tail a reader may add (nil when it may not: then so is this).
    private static func read(directory: String, parts: Set<Part>, storage: any Storage)
        -> (views: LedgerViews, stamp: LogStamp, tail: DerivedTail?)? {
        guard let (file, _, tail) = fileAndTail(directory: directory, wanted: parts, storage: storage),
              let views = decode(file.ids.map { ($0, file.sections[$0]) }, parts: parts) else { return nil }
        return (views, file.stamp, tail)
    }

    /// The file with the sections `wanted` read, when its stamp still covers the log, and the
    /// tail a reader adds when the log has grown past it; nil when the file is not current
    /// and the tail is not one a reader may add (`DerivedTail.after`).
    ///
    /// `status`: read against that status file (`StoreStatus.prefix`) instead of the log as it
    /// is now: the file and its tail then describe the log at the status file's stamp, which
    /// the log may have grown past (a server's appends not saved yet).
    private static func fileAndTail(directory: String, wanted: Set<Part>, storage: any Storage, status: StoreStatus? = nil)
        -> (file: StampedSections, open: OpenSections, tail: DerivedTail?)? {
        guard let (file, open) = StampedSections.opened(fileName, as: .views, directory: directory,
                                                        wanted: Set(wanted.map(\.rawValue)), storage: storage, acceptingPrefix: true)
        else { return nil }
        if let status {
            if file.stamp == status.stamp { return (file, open, nil) }
            guard let tail = DerivedTail.after(file.stamp, status: status, directory: directory, storage: storage) else { return nil }
            return (file, open, tail)
        }
        if file.stamp.isCurrent(directory: directory, storage: storage) { return (file, open, nil) }
        guard let tail = DerivedTail.after(file.stamp, directory: directory, storage: storage) else { return nil }
        return (file, open, tail)
    }

    /// The members as the views file says, when it is current or the log past it is one a
    /// reader may add (`DerivedTail`): that tail holds entries that count and no member
    /// record or new node's key (SPEC §6.8), so it changes nothing of the members, and it is
    /// not read. What a reader of the entry index gives the tail's entries their standing
    /// from (each writer's chain end), and what a writer checks before opening the store
    /// cold. Nil on any doubt, as `current`.
    /// `status`: as `fileAndTail` takes it.
    public static func members(directory: String, storage: any Storage = PosixStorage(), status: StoreStatus? = nil) -> MembersView? {
        let parts: Set<Part> = [.members, .memberChains]
        guard let (file, _, _) = fileAndTail(directory: directory, wanted: parts, storage: storage, status: status),
              let views = decode(file.ids.map { ($0, file.sections[$0]) }, parts: parts) else { return nil }
        return views.members
    }

    /// `current`'s views of `parts` (the conflicts not decoded) and the conflicts section
    /// as its bytes (checked), which `eachConflict` decodes one at a time: at ten million
    /// entries the section is 71 MB and 150,000 conflicts, which decoded whole took 240 MB
    /// before `carnet conflicts` printed its first line.
    public static func currentWithConflictBytes(directory: String, parts: Set<Part>, storage: any Storage = PosixStorage())
        -> (views: LedgerViews, conflicts: [UInt8])? {
        let wanted = decoded(parts).subtracting([.conflicts])
        guard let (file, _, tail) = fileAndTail(directory: directory, wanted: wanted.union([.conflicts]), storage: storage),
              let conflicts = file.sections[Part.conflicts.rawValue],
              var views = decode(file.ids.map { ($0, file.sections[$0]) }, parts: wanted) else { return nil }
        if let tail, !tail.records.isEmpty {
            // The tail changes no conflict (SPEC §6.8); it may name writers.
            guard let added = tail.adding(to: views, stockIsTotals: wanted.contains(.stockTotals)) else { return nil }
            views = added
        }
        return (views, conflicts)
    }

    /// Calls `body` with each conflict of a conflicts section's bytes, in order; false, after
    /// those before it, at the first that does not decode or when bytes are left over (the
    /// section's checksum was checked: a writer's fault, not damage).
    public static func eachConflict(in bytes: [UInt8], _ body: (ConflictReport) -> Void) -> Bool {
        var reader = ByteReader(bytes)
        do throws(WireError) {
            for _ in 0..<(try reader.count(limit: bytes.count, "conflicts")) { body(try readConflict(&reader, limit: bytes.count)) }
        } catch {
            return false
        }
        return reader.isAtEnd
    }

    /// The views of `directory` as `current` reads them, every section decoded but the
    /// conflicts, kept as their bytes with their count: a writer that adds entries, which
    /// change no conflict, writes them back as they were (at a million entries, a third of
    /// the file and of its decoding). `views.conflicts` is left empty. `stamp`: the log
    /// state they describe, the tail added.
    static func currentKeepingConflicts(directory: String, storage: any Storage = PosixStorage())
        -> (views: LedgerViews, conflicts: [UInt8], conflictCount: Int, stamp: LogStamp, fileStamp: LogStamp, tailEvents: Int)? {
        let all = Set(Part.allCases)
        guard let (file, _, tail) = fileAndTail(directory: directory, wanted: decoded(all), storage: storage),
              let conflicts = file.sections[Part.conflicts.rawValue],
              var views = decode(file.ids.map { ($0, file.sections[$0]) }, parts: all.subtracting([.conflicts])) else { return nil }
        var reader = ByteReader(conflicts)
        guard let count = try? reader.count(limit: conflicts.count, "conflicts") else { return nil }
        guard let tail else { return (views, conflicts, count, file.stamp, file.stamp, 0) }
        guard let added = tail.adding(to: views, stockIsTotals: false) else { return nil }
        views = added
        return (views, conflicts, count, tail.end, file.stamp, tail.eventCount)
    }

    /// The views a writer of one entry needs, for a writer that will not write them
    /// (`EntryAppender` leaving the tail to readers): every small section, the stock lines
    /// of the products `part` names and of the products the tail moves, the lots of the
    /// blocks that hold its lots, and the sale payments of the blocks that hold its sales
    /// (SPEC §6.5, sections 14 to 16; the whole sections for a file without them); not the
    /// conflicts, the stock totals, nor any other line. At ten million entries those three
    /// sections are 148 MB, where one entry reads a few KB. Exact for what
    /// `LedgerViews.append` checks of an entry of those products, lots and sales (each
    /// product's availability is made from all its lines).
    /// `status`: as `fileAndTail` takes it.
    static func currentForOneWriter(directory: String, part: ViewsPart, storage: any Storage = PosixStorage(),
                                    status: StoreStatus? = nil)
        -> (views: LedgerViews, stamp: LogStamp, fileStamp: LogStamp, tailEvents: Int, blocked: Bool)? {
        let small: Set<Part> = [.counts, .balances, .availability, .catalog, .labels, .members, .openOrders, .unheldPaymentTargets,
                                .nodeRecords, .memberChains]
        guard let (file, open, tail) = fileAndTail(directory: directory, wanted: small.union(Part.blockTables), storage: storage,
                                                   status: status),
              var views = decode(file.ids.map { ($0, file.sections[$0]) }, parts: small) else { return nil }
        guard let entries = tail.map({ $0.entries() }) ?? [] else { return nil }
        let kept = DerivedTail.products(movedBy: entries, besides: part.products)
        guard views.takeLabels(tail?.ownLabelWrites() ?? [], knownEmpty: false),
              let stock = stockLines(ofProducts: kept, in: file, open),
              let lots = lotProducts(of: part.lots, in: file, open),
              let paid = salePayments(of: part.sales, in: file, open) else { return nil }
        views.stock = stock
        views.lotProducts = lots
        views.salePayments = paid
        // Whether the file has the block tables a rewrite patches from (`patchedSections`).
        let blocked = Part.blockTables.allSatisfy { file.sections[$0.rawValue] != nil }
        guard let tail else { return (views, file.stamp, file.stamp, 0, blocked) }
        guard views.addTaken(entries, stockIsTotals: false) else { return nil }
        return (views, tail.end, file.stamp, tail.eventCount, blocked)
    }

    /// `encode`'s sections, with the conflicts section as read (`currentKeepingConflicts`),
    /// each on its own: a writer hands them to the disk without joining them.
    static func sections(_ views: LedgerViews, conflicts: [UInt8]?) -> [(id: UInt8, bytes: [UInt8])] {
        var made: [Part: [UInt8]] = [:]
        // Without the node records or the chain ends (a file of an earlier build read), none is written.
        return Part.allCases.filter { !$0.isAbsent(in: views) }.map { part in
            let bytes: [UInt8]
            if let blocked = ViewsBlocks.Blocked.allCases.first(where: { $0.table == part }) {
                // The writer's own section always reads as its lines.
                guard let table = ViewsBlocks.table(blocked, of: made[blocked.section] ?? section(blocked.section, of: views)) else {
                    preconditionFailure("section \(blocked.section.rawValue) as written does not read as its lines")
                }
                bytes = table
            } else {
                bytes = part == .conflicts ? conflicts ?? section(part, of: views) : section(part, of: views)
            }
            if ViewsBlocks.Blocked.allCases.contains(where: { $0.section == part }) { made[part] = bytes }
            return (part.rawValue, bytes)
        }
    }

    /// The sections decoded for `parts`: the stock totals stand in for the lots only when
    /// the lots were not asked for; the block tables are never decoded into the views.
    private static func decoded(_ parts: Set<Part>) -> Set<Part> {
        (parts.contains(.stock) ? parts.subtracting([.stockTotals]) : parts).subtracting(Part.blockTables)
    }

    // MARK: - Body

    /// The sections as one body (`StampedSections.list`), for `NodeStore.saveStampedFile`,
    /// which frames them as §6.5 says: each with its checksum in a table.
    public static func encode(_ views: LedgerViews) -> [UInt8] {
        StampedSections.list(sections(views, conflicts: nil))
    }

    static func section(_ part: Part, of views: LedgerViews) -> [UInt8] {
        var writer = ByteWriter(capacity: 1024)
        switch part {
        case .counts:
            writer.varint(UInt64(views.entryCount))
            writer.varint(UInt64(views.unreadableCount))
        case .stockTotals:
            let totals = StockTotals.of(views.stock, catalog: nil)
            writer.varint(UInt64(totals.count))
            for line in totals {
                writer.string(line.producer)
                writer.string(line.product)
                writer.signed(line.quantity)
                writer.string(line.unit?.rawValue ?? "")
            }
        case .stock: writeStock(views.stock, into: &writer)
        case .balances:
            writer.varint(UInt64(views.balances.count))
            for balance in views.balances {
                writer.string(balance.producer)
                writer.string(balance.party)
                writer.signed(balance.cents)
            }
        case .availability:
            writer.varint(UInt64(views.availability.count))
            for item in views.availability {
                writer.string(item.product)
                writer.string(item.unit?.rawValue ?? "")
                writer.signed(item.atProducers)
                writer.signed(item.delivered)
                writer.varint(UInt64(item.producers.count))
                for producer in item.producers { writer.string(producer) }
            }
        case .conflicts:
            writer.varint(UInt64(views.conflicts.count))
            for report in views.conflicts {
                writer.string(report.kind.rawValue)
                writer.string(report.subject)
                writer.string(report.summary)
                writer.string(report.suggestion)
                writer.varint(UInt64(report.sides.count))
                for side in report.sides {
                    writeWriter(side.event, side.clock, into: &writer)
                    writer.string(side.detail)
                    writeOptionalValue(side.value, into: &writer)
                }
            }
        case .catalog:
            for records in [views.catalog.products, views.catalog.parties] {
                writer.varint(UInt64(records.count))
                for record in records {
                    writer.string(record.key.type)
                    writer.string(record.key.id)
                    writer.varint(UInt64(record.fields.count))
                    for (name, values) in record.fields.sorted(by: { $0.key < $1.key }) {
                        writer.string(name.text)
                        writer.varint(UInt64(values.count))
                        for value in values {
                            writeWriter(value.id, value.clock, into: &writer)
                            writeOptionalValue(value.value, into: &writer)
                        }
                    }
                }
            }
        case .labels:
            writer.varint(UInt64(views.labels.count))
            for (node, label) in views.labels.sorted(by: { $0.key < $1.key }) {
                writer.nodeID(node)
                writer.string(label)
            }
        case .openOrders:
            writer.varint(UInt64(views.openOrders.count))
            for total in views.openOrders {
                writer.string(total.product)
                writer.string(total.unit?.rawValue ?? "")
                writer.signed(total.quantity)
            }
        case .unheldPaymentTargets:
            writer.varint(UInt64(views.unheldPaymentTargets.count))
            for id in views.unheldPaymentTargets { writer.string(id) }
        case .lotProducts:
            writer.varint(UInt64(views.lotProducts.count))
            for lot in views.lotProducts {
                writer.string(lot.producer)
                writer.string(lot.lot)
                writer.varint(UInt64(lot.products.count))
                for product in lot.products { writer.string(product) }
            }
        case .stockBlocks, .lotProductBlocks, .salePaymentBlocks:
            // Made from the section it cuts (`sections` reuses that one's bytes instead).
            guard let blocked = ViewsBlocks.Blocked.allCases.first(where: { $0.table == part }),
                  let table = ViewsBlocks.table(blocked, of: section(blocked.section, of: views)) else {
                preconditionFailure("a section as written does not read as its lines")
            }
            return table
        case .salePayments:
            writer.varint(UInt64(views.salePayments.count))
            for line in views.salePayments {
                writer.string(line.sale)
                writer.signed(line.paid)
            }
        case .nodeRecords:
            let nodes = views.nodeRecords ?? []
            writer.varint(UInt64(nodes.count))
            for node in nodes { writer.nodeID(node) }
        case .members:
            let members = views.members
            writer.byte(members.enforced ? 1 : 0)
            // Standing: 0 enrolled (or no members), 1 not enrolled, 2 revoked.
            writer.byte(!members.enforced ? 0 : members.ownRevoked ? 2 : members.ownRoles == nil ? 1 : 0)
            writer.string(members.ownRoles?.description ?? "")
            writer.varint(UInt64(members.heldAside))
            writer.varint(UInt64(members.revoked))
            writer.varint(UInt64(members.outOfRole))
        case .memberChains:
            // The chain ends of the nodes held, then those of the nodes named not held, then
            // the devices' standings for a new node.
            let newNodes = views.members.newNodes ?? MemberNewNodes(named: [:], devices: [:])
            for ends in [views.members.chainEnds ?? [:], newNodes.named] {
                writer.varint(UInt64(ends.count))
                for (node, end) in ends.sorted(by: { $0.key < $1.key }) {
                    writer.nodeID(node)
                    writeStanding(end.standing, &writer)
                    writer.varint(end.limit ?? 0)
                }
            }
            writer.varint(UInt64(newNodes.devices.count))
            for (key, standing) in newNodes.devices.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                writer.raw(key)
                writeStanding(standing, &writer)
            }
        }
        return writer.bytes
    }

    /// Nil when the body (`encode`'s section list) does not read as this version wrote
    /// it: a list of sections that does not add up, a known section missing or twice, or
    /// one of `parts` that does not decode exactly to its length. Sections of a later
    /// version are skipped.
    public static func decode(_ body: [UInt8], parts: Set<Part> = Set(Part.allCases)) -> LedgerViews? {
        guard let sections = StampedSections.parseList(body) else { return nil }
        return decode(sections.map { ($0.id, Array($0.bytes)) }, parts: parts)
    }

    /// The views from the sections named in file order (`bytes` nil for a section not
    /// read); nil when a known section is missing, or one of `parts` is not there to
    /// decode or does not decode exactly to its length.
    private static func decode(_ sections: [(id: UInt8, bytes: [UInt8]?)], parts: Set<Part>) -> LedgerViews? {
        var views = LedgerViews.empty
        let ids = Set(sections.map(\.id))
        guard ids.count == sections.count,
              Part.allCases.allSatisfy({ Part.optional.contains($0) || ids.contains($0.rawValue) }) else { return nil }
        let decoded = decoded(parts)
        do throws(WireError) {
            for (id, bytes) in sections {
                guard let part = Part(rawValue: id), decoded.contains(part) else { continue }
                guard let bytes, try read(part, from: bytes, into: &views) else { return nil }
            }
            return views
        } catch {
            return nil
        }
    }

    /// Decodes one section into `views`; false when bytes are left over.
    static func read(_ part: Part, from bytes: [UInt8], into views: inout LedgerViews) throws(WireError) -> Bool {
        var reader = ByteReader(bytes)
        let limit = bytes.count
        switch part {
        case .counts:
            views.entryCount = try reader.count(limit: Int.max >> 1, "entries")
            views.unreadableCount = try reader.count(limit: Int.max >> 1, "unreadable entries")
        case .stockTotals:
            for _ in 0..<(try reader.count(limit: limit, "stock totals")) {
                views.stock.append(StockLine(producer: try reader.string(), product: try reader.string(), lot: "",
                                             quantity: try reader.signed(), unit: try unit(&reader)))
            }
        case .stock: return try readStock(bytes, into: &views.stock)
        case .balances:
            for _ in 0..<(try reader.count(limit: limit, "balances")) {
                views.balances.append(Balance(producer: try reader.string(), party: try reader.string(), cents: try reader.signed()))
            }
        case .availability:
            for _ in 0..<(try reader.count(limit: limit, "availability lines")) {
                let product = try reader.string()
                let itemUnit = try unit(&reader)
                let atProducers = try reader.signed()
                let delivered = try reader.signed()
                var producers: [String] = []
                for _ in 0..<(try reader.count(limit: limit, "producers")) { producers.append(try reader.string()) }
                views.availability.append(Availability(product: product, unit: itemUnit, atProducers: atProducers,
                                                       delivered: delivered, producers: producers))
            }
        case .conflicts:
            for _ in 0..<(try reader.count(limit: limit, "conflicts")) {
                views.conflicts.append(try readConflict(&reader, limit: limit))
            }
        case .catalog:
            var catalogs: [[CatalogRecord]] = []
            for _ in 0..<2 {
                var records: [CatalogRecord] = []
                for _ in 0..<(try reader.count(limit: limit, "catalog records")) {
                    let key = RecordKey(type: try reader.string(), id: try reader.string())
                    var fields: [ExactString: [RegisterValue]] = [:]
                    for _ in 0..<(try reader.count(limit: limit, "fields")) {
                        let name = ExactString(try reader.string())
                        var values: [RegisterValue] = []
                        for _ in 0..<(try reader.count(limit: limit, "values")) {
                            let (id, clock) = try readWriter(&reader)
                            guard let value = try readOptionalValue(&reader) else {
                                throw .malformed("a catalog value is none", at: reader.offset)
                            }
                            values.append(RegisterValue(id: id, clock: clock, value: value))
                        }
                        fields[name] = values
                    }
                    records.append(CatalogRecord(key: key, fields: fields))
                }
                catalogs.append(records)
            }
            views.catalog = Catalog(products: catalogs[0], parties: catalogs[1])
        case .openOrders:
            for _ in 0..<(try reader.count(limit: limit, "open orders")) {
                views.openOrders.append(OpenOrderTotal(product: try reader.string(), unit: try unit(&reader),
                                                       quantity: try reader.signed()))
            }
        case .unheldPaymentTargets:
            for _ in 0..<(try reader.count(limit: limit, "payment targets")) {
                views.unheldPaymentTargets.append(try reader.string())
            }
        case .lotProducts:
            for _ in 0..<(try reader.count(limit: limit, "lots")) {
                let producer = try reader.string(), lot = try reader.string()
                var products: [String] = []
                for _ in 0..<(try reader.count(limit: limit, "products")) { products.append(try reader.string()) }
                views.lotProducts.append(LotProducts(producer: producer, lot: lot, products: products))
            }
        case .stockBlocks, .lotProductBlocks, .salePaymentBlocks:
            // Not views: what a writer of one entry reads through (`ViewsBlocks`).
            return true
        case .salePayments:
            for _ in 0..<(try reader.count(limit: limit, "sale payments")) {
                views.salePayments.append(SalePayments(sale: try reader.string(), paid: try reader.signed()))
            }
        case .labels:
            for _ in 0..<(try reader.count(limit: limit, "labels")) {
                let node = try reader.nodeID()
                views.labels[node] = try reader.string()
            }
        case .nodeRecords:
            var nodes: [NodeID] = []
            for _ in 0..<(try reader.count(limit: limit / 16, "node records")) {
                let node = try reader.nodeID()
                guard nodes.last.map({ $0 < node }) ?? true else {
                    throw .malformed("node records out of order", at: reader.offset)
                }
                nodes.append(node)
            }
            views.nodeRecords = nodes
        case .members:
            let enforced = try reader.byte(), standing = try reader.byte()
            let rolesText = try reader.string()
            guard enforced <= 1, standing <= 2, enforced == 1 || standing == 0 && rolesText.isEmpty else {
                throw .malformed("members section out of range", at: reader.offset)
            }
            let roles: MemberRoles
            do throws(LedgerError) {
                roles = try MemberRoles(text: rolesText)
            } catch {
                throw .malformed(error.message, at: reader.offset)
            }
            let counts = (try reader.count(limit: Int.max >> 1, "held aside"), try reader.count(limit: Int.max >> 1, "revoked"),
                          try reader.count(limit: Int.max >> 1, "out of role"))
            // The chain ends are a section of their own, which may come first.
            views.members = enforced == 0 ? .open
                : MembersView(enforced: true, ownRoles: standing == 0 ? roles : nil, ownRevoked: standing == 2,
                              heldAside: counts.0, revoked: counts.1, outOfRole: counts.2,
                              chainEnds: views.members.chainEnds)
        case .memberChains:
            var lists: [[NodeID: MemberChainEnd]] = []
            for _ in 0..<2 {
                var ends: [NodeID: MemberChainEnd] = [:]
                var last: NodeID?
                for _ in 0..<(try reader.count(limit: limit / 16, "chain ends")) {
                    let node = try reader.nodeID()
                    guard last.map({ $0 < node }) ?? true else { throw .malformed("chain ends out of order", at: reader.offset) }
                    last = node
                    let standing = try readStanding(&reader)
                    let bound = try reader.varint()
                    ends[node] = MemberChainEnd(standing: standing, limit: bound == 0 ? nil : bound)
                }
                lists.append(ends)
            }
            var devices: [[UInt8]: MemberChainEnd.Standing] = [:]
            var lastKey: [UInt8]?
            for _ in 0..<(try reader.count(limit: limit / 32, "devices")) {
                let key = Array(try reader.raw(32))
                guard lastKey.map({ $0.lexicographicallyPrecedes(key) }) ?? true else {
                    throw .malformed("devices out of order", at: reader.offset)
                }
                lastKey = key
                let standing = try readStanding(&reader)
                guard standing != .adopted else { throw .malformed("a device's standing is out of range", at: reader.offset) }
                devices[key] = standing
            }
            views.members.chainEnds = lists[0]
            views.members.newNodes = MemberNewNodes(named: lists[1], devices: devices)
        }
        return reader.isAtEnd
    }

    /// A member chain's standing (section 18): 0 enrolled with its roles, 1 not enrolled,
    /// 2 revoked, 3 adopted; the roles, empty unless 0.
    private static func writeStanding(_ standing: MemberChainEnd.Standing, _ writer: inout ByteWriter) {
        switch standing {
        case .roles: writer.byte(0)
        case .unenrolled: writer.byte(1)
        case .revoked: writer.byte(2)
        case .adopted: writer.byte(3)
        }
        if case let .roles(roles) = standing { writer.string(roles.description) } else { writer.string("") }
    }

    private static func readStanding(_ reader: inout ByteReader) throws(WireError) -> MemberChainEnd.Standing {
        let code = try reader.byte()
        let rolesText = try reader.string()
        switch code {
        case 0:
            guard let roles = try? MemberRoles(text: rolesText), roles.description == rolesText else {
                throw .malformed("a member chain's roles do not read as roles", at: reader.offset)
            }
            return .roles(roles)
        case 1...3 where rolesText.isEmpty:
            return code == 1 ? .unenrolled : code == 2 ? .revoked : .adopted
        default:
            throw .malformed("a member chain's standing is out of range", at: reader.offset)
        }
    }

    private static func readConflict(_ reader: inout ByteReader, limit: Int) throws(WireError) -> ConflictReport {
        let kindText = try reader.string()
        guard let kind = ConflictKind(rawValue: kindText) else {
            throw .malformed("unknown conflict kind \"\(kindText)\"", at: reader.offset)
        }
        let subject = try reader.string()
        let summary = try reader.string()
        let suggestion = try reader.string()
        var sides: [ConflictSide] = []
        for _ in 0..<(try reader.count(limit: limit, "sides")) {
            let (event, clock) = try readWriter(&reader)
            sides.append(ConflictSide(event: event, clock: clock, detail: try reader.string(), value: try readOptionalValue(&reader)))
        }
        return ConflictReport(kind: kind, subject: subject, summary: summary, sides: sides, suggestion: suggestion)
    }

    private static func unit(_ reader: inout ByteReader) throws(WireError) -> QuantityUnit? {
        let text = try reader.string()
        guard !text.isEmpty else { return nil }
        guard let unit = QuantityUnit(rawValue: text) else { throw .malformed("unknown unit \"\(text)\"", at: reader.offset) }
        return unit
    }

    /// An event id and its clock: node(16) varint(seq) hash(32) varint(physical) varint(logical).
    private static func writeWriter(_ event: EventID, _ clock: HLCTimestamp, into writer: inout ByteWriter) {
        writer.nodeID(event.dot.node)
        writer.varint(event.dot.seq)
        writer.digest(event.hash)
        writer.varint(clock.physical)
        writer.varint(UInt64(clock.logical))
    }

    private static func readWriter(_ reader: inout ByteReader) throws(WireError) -> (EventID, HLCTimestamp) {
        let node = try reader.nodeID()
        let seq = try reader.varint()
        let hash = try reader.digest()
        let physical = try reader.varint()
        let logical = try reader.varint()
        guard logical <= UInt64(UInt32.max) else { throw .malformed("a clock's logical counter is out of range", at: reader.offset) }
        return (EventID(dot: Dot(node: node, seq: seq), hash: hash), HLCTimestamp(physical: physical, logical: UInt32(logical)))
    }

    /// tag 0 none, 1 int signed, 2 text string, 3 bool byte, 4 day signed.
    private static func writeOptionalValue(_ value: Value?, into writer: inout ByteWriter) {
        switch value {
        case nil: writer.byte(0)
        case let .int(number)?:
            writer.byte(1)
            writer.signed(number)
        case let .text(text)?:
            writer.byte(2)
            writer.string(text)
        case let .bool(flag)?:
            writer.byte(3)
            writer.byte(flag ? 1 : 0)
        case let .day(day)?:
            writer.byte(4)
            writer.signed(Int64(day))
        }
    }

    private static func readOptionalValue(_ reader: inout ByteReader) throws(WireError) -> Value? {
        switch try reader.byte() {
        case 0: return nil
        case 1: return .int(try reader.signed())
        case 2: return .text(try reader.string())
        case 3:
            switch try reader.byte() {
            case 0: return .bool(false)
            case 1: return .bool(true)
            default: throw .malformed("a boolean is neither 0 nor 1", at: reader.offset)
            }
        case 4:
            let day = try reader.signed()
            guard let narrow = Int32(exactly: day) else { throw .malformed("a day is out of range", at: reader.offset) }
            return .day(narrow)
        default: throw .malformed("unknown value tag", at: reader.offset)
        }
    }
}
