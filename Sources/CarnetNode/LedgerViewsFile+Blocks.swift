import CarnetCore
import CarnetLedger
import CarnetStore
import CarnetWire

/// The lines a writer of one entry checks it against, read through the blocks of
/// sections 14 to 16 when the file has them (SPEC §6.5), else from the whole section as a
/// file of an earlier build holds it. Each answers nil on any doubt about what it read:
/// a block that fails its CRC-32C, does not decode exactly to its lines and length, or
/// holds a line outside its key's group; the caller then treats the file as not current.
extension LedgerViewsFile {
    /// The stock lines of `products` (their UTF-8 bytes), in section order.
    static func stockLines(ofProducts products: [[UInt8]], in file: StampedSections, _ open: OpenSections) -> [StockLine]? {
        var lines: [StockLine] = []
        let from = source(.stock, in: file, open)
        guard case let .blocks(blocks) = from else {
            guard case .whole = from else { return nil }
            guard let section = open.section(Part.stock.rawValue),
                  (try? readStock(section, ofProducts: products, into: &lines)) == true else { return nil }
            return lines
        }
        for block in blocks where products.contains(where: { $0.elementsEqual(block.key[1]) }) {
            guard let bytes = ViewsBlocks.read(block, of: .stock, from: open),
                  (try? readStockBlock(bytes, block, into: &lines)) == true else { return nil }
        }
        return lines
    }

    /// The lot products of the blocks that hold each of `lots` if it is held, in section
    /// order: every lot of those blocks (a lookup of one of `lots` is then exact).
    static func lotProducts(of lots: [ViewsPart.Lot], in file: StampedSections, _ open: OpenSections) -> [LotProducts]? {
        var found: [LotProducts] = []
        let from = source(.lotProducts, in: file, open)
        guard case let .blocks(blocks) = from else {
            guard case .whole = from else { return nil }
            let producers = Array(Set(lots.map(\.producer))).map { Array($0.utf8) }
            guard let section = open.section(Part.lotProducts.rawValue),
                  (try? readLotProducts(section, ofProducers: producers, into: &found)) == true else { return nil }
            return found
        }
        let wanted = Set(lots.compactMap { lot -> Int? in
            let producer = Array(lot.producer.utf8)
            guard let at = ViewsBlocks.lastAtOrBefore([producer, Array(lot.lot.utf8)], in: blocks),
                  blocks[at].key[0].elementsEqual(producer) else { return nil }
            return at
        })
        for at in wanted.sorted() {
            guard let bytes = ViewsBlocks.read(blocks[at], of: .lotProducts, from: open),
                  (try? readLotBlock(bytes, blocks[at], into: &found)) == true else { return nil }
        }
        return found
    }

    /// What payments paid towards the sales of the blocks that hold each of `sales` if it
    /// is held, in section order.
    static func salePayments(of sales: [String], in file: StampedSections, _ open: OpenSections) -> [SalePayments]? {
        var found: [SalePayments] = []
        let from = source(.salePayments, in: file, open)
        guard case let .blocks(blocks) = from else {
            guard case .whole = from else { return nil }
            guard let section = open.section(Part.salePayments.rawValue) else { return nil }
            var views = LedgerViews.empty
            guard (try? read(.salePayments, from: section, into: &views)) == true else { return nil }
            return views.salePayments
        }
        let wanted = Set(sales.compactMap { ViewsBlocks.lastAtOrBefore([Array($0.utf8)], in: blocks) })
        for at in wanted.sorted() {
            guard let bytes = ViewsBlocks.read(blocks[at], of: .salePayments, from: open),
                  (try? readSalePaymentBlock(bytes, blocks[at], into: &found)) == true else { return nil }
        }
        return found
    }

    /// Where the lines of `kind` are read from.
    private enum Lines {
        /// The file has no table for them (a file of an earlier build): the whole section.
        case whole
        case blocks([ViewsBlocks.Block])
        /// A table that does not read or does not fit its section: the file is damaged.
        case damaged
    }

    private static func source(_ kind: ViewsBlocks.Blocked, in file: StampedSections, _ open: OpenSections) -> Lines {
        guard let table = file.sections[kind.table.rawValue] else { return .whole }
        guard let length = open.length(of: kind.section.rawValue),
              let blocks = ViewsBlocks.blocks(kind, table: table, sectionLength: length) else { return .damaged }
        return .blocks(blocks)
    }

    private static func text(_ bytes: [UInt8]) throws(WireError) -> String {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) -> String in try SectionReader.text(buffer, at: 0) }
    }

    /// Appends the block's stock lines; false when it does not decode exactly to its lines,
    /// or a line is of another producer or product than its key.
    static func readStockBlock(_ bytes: [UInt8], _ block: ViewsBlocks.Block, into lines: inout [StockLine]) throws(WireError) -> Bool {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) -> Bool in
            var reader = SectionReader(buffer)
            let producer = try text(block.key[0])
            let product = try text(block.key[1])
            for _ in 0..<block.lines {
                guard try reader.stringBytes().elementsEqual(block.key[0]), try reader.stringBytes().elementsEqual(block.key[1])
                else { return false }
                lines.append(StockLine(producer: producer, product: product, lot: try reader.string(), quantity: try reader.signed(),
                                       unit: try reader.unit()))
            }
            return reader.isAtEnd
        }
    }

    /// Appends the block's lots; false when it does not decode exactly to its lines, a line
    /// is of another producer than its key, or the first is not its key's lot.
    static func readLotBlock(_ bytes: [UInt8], _ block: ViewsBlocks.Block, into lots: inout [LotProducts]) throws(WireError) -> Bool {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) -> Bool in
            var reader = SectionReader(buffer)
            let producer = try text(block.key[0])
            for index in 0..<block.lines {
                guard try reader.stringBytes().elementsEqual(block.key[0]) else { return false }
                let lotAt = reader.offset
                let lot = try reader.stringBytes()
                guard index > 0 || lot.elementsEqual(block.key[1]) else { return false }
                var products: [String] = []
                for _ in 0..<(try reader.count(limit: buffer.count, "products")) { products.append(try reader.string()) }
                lots.append(LotProducts(producer: producer, lot: try SectionReader.text(lot, at: lotAt), products: products))
            }
            return reader.isAtEnd
        }
    }

    /// Appends the block's sale payments; false when it does not decode exactly to its
    /// lines or its first id is not its key.
    static func readSalePaymentBlock(_ bytes: [UInt8], _ block: ViewsBlocks.Block,
                                             into found: inout [SalePayments]) throws(WireError) -> Bool {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) -> Bool in
            var reader = SectionReader(buffer)
            for index in 0..<block.lines {
                let idAt = reader.offset
                let id = try reader.stringBytes()
                guard index > 0 || id.elementsEqual(block.key[0]) else { return false }
                found.append(SalePayments(sale: try SectionReader.text(id, at: idAt), paid: try reader.signed()))
            }
            return reader.isAtEnd
        }
    }

    /// Whether each block table the file holds is the one its section gives (SPEC §6.5):
    /// the names of those that differ, for `verify`, which has read every section.
    static func blockTablesDiffering(_ file: StampedSections) -> [String] {
        ViewsBlocks.Blocked.allCases.compactMap { kind in
            guard let table = file.sections[kind.table.rawValue] else { return nil }
            guard let section = file.sections[kind.section.rawValue], ViewsBlocks.table(kind, of: section) == table else {
                return "section \(kind.table.rawValue) (the blocks of section \(kind.section.rawValue))"
            }
            return nil
        }
    }
}
