import CarnetCore
import CarnetStore
import CarnetWire

/// Sections 14 to 16 of the views file (protocol/SPEC.md §6.5): tables that cut the
/// stock lines, the lot products and the sale payments into blocks of whole lines, each
/// with its own CRC-32C, so that a writer of one entry reads the few lines it checks. At
/// ten million entries those three sections are 148 MB, and checking and stepping over
/// them was half of a `record`.
///
/// A table is a function of its section's bytes: the writer makes it from the section it
/// writes, and `verify` makes it again from the section it reads and compares.
enum ViewsBlocks {
    /// A block ends at the first line boundary at or past this many bytes (SPEC §6.5).
    static let cutAfter = 65_536

    /// One of the three sections cut into blocks.
    enum Blocked: CaseIterable, Sendable {
        case stock, lotProducts, salePayments

        /// The section whose lines are cut.
        var section: LedgerViewsFile.Part {
            switch self {
            case .stock: .stock
            case .lotProducts: .lotProducts
            case .salePayments: .salePayments
            }
        }

        /// The section that holds the table.
        var table: LedgerViewsFile.Part {
            switch self {
            case .stock: .stockBlocks
            case .lotProducts: .lotProductBlocks
            case .salePayments: .salePaymentBlocks
            }
        }

        /// How many of a line's first strings its key holds.
        var keyCount: Int { self == .salePayments ? 1 : 2 }

        /// How many of the key's strings make the line's group: a block never holds two.
        var groupCount: Int {
            switch self {
            case .stock: 2
            case .lotProducts: 1
            case .salePayments: 0
            }
        }

        /// Steps over one line, giving its key's strings.
        fileprivate func step(_ reader: inout SectionReader) throws(WireError) -> [UnsafeBufferPointer<UInt8>] {
            switch self {
            case .stock:
                let producer = try reader.stringBytes(), product = try reader.stringBytes()
                _ = try reader.stringBytes()
                _ = try reader.signed()
                _ = try reader.stringBytes()
                return [producer, product]
            case .lotProducts:
                let producer = try reader.stringBytes(), lot = try reader.stringBytes()
                for _ in 0..<(try reader.count(limit: Int(UInt32.max), "products")) { _ = try reader.stringBytes() }
                return [producer, lot]
            case .salePayments:
                let id = try reader.stringBytes()
                _ = try reader.signed()
                return [id]
            }
        }
    }

    /// A block as its table names it, with where it lies in its section.
    struct Block: Equatable, Sendable {
        var lines: Int
        var length: Int
        var crc: UInt32
        /// Its first line's key strings, as stored.
        var key: [[UInt8]]
        /// Its first byte, from the section's start.
        var offset: Int
    }

    /// The table of `section` (its bytes as written); nil when they do not read as its
    /// lines, exactly.
    static func table(_ kind: Blocked, of section: [UInt8]) -> [UInt8]? {
        section.withUnsafeBufferPointer { bytes -> [UInt8]? in
            var reader = SectionReader(bytes)
            var blocks: [Block] = []
            do throws(WireError) {
                let count = try reader.count(limit: bytes.count, "lines")
                var start = reader.offset, lines = 0
                var key: [UnsafeBufferPointer<UInt8>] = []
                func close(at end: Int) {
                    let block = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<end])
                    blocks.append(Block(lines: lines, length: end - start, crc: CRC32C.checksum(block), key: key.map(Array.init),
                                        offset: start))
                }
                for _ in 0..<count {
                    let lineStart = reader.offset
                    let lineKey = try kind.step(&reader)
                    let sameGroup = lines > 0 && (0..<kind.groupCount).allSatisfy { key[$0].elementsEqual(lineKey[$0]) }
                    if lines > 0, !sameGroup || lineStart - start >= cutAfter {
                        close(at: lineStart)
                        lines = 0
                    }
                    if lines == 0 {
                        start = lineStart
                        key = lineKey
                    }
                    lines += 1
                }
                guard reader.isAtEnd else { return nil }
                if lines > 0 { close(at: reader.offset) }
            } catch {
                return nil
            }
            return encodedTable(blocks)
        }
    }

    /// The table naming `blocks`, in order (their offsets are not written: SPEC §6.5).
    static func encodedTable(_ blocks: [Block]) -> [UInt8] {
        var writer = ByteWriter(capacity: blocks.count * 32 + 5)
        writer.varint(UInt64(blocks.count))
        for block in blocks {
            writer.varint(UInt64(block.lines))
            writer.varint(UInt64(block.length))
            writer.raw([UInt8(block.crc >> 24), UInt8(block.crc >> 16 & 0xFF), UInt8(block.crc >> 8 & 0xFF), UInt8(block.crc & 0xFF)])
            for string in block.key {
                writer.varint(UInt64(string.count))
                writer.raw(string)
            }
        }
        return writer.bytes
    }

    /// The blocks `table` names, placed in a section of `sectionLength` bytes: the last
    /// bytes of it, their lengths adding up to between its length less ten (the longest
    /// count) and its length less one. Nil when the table does not read exactly or they
    /// do not fit so.
    static func blocks(_ kind: Blocked, table: [UInt8], sectionLength: Int) -> [Block]? {
        var reader = ByteReader(table)
        var blocks: [Block] = []
        var total = 0
        do throws(WireError) {
            let count = try reader.count(limit: table.count, "blocks")
            blocks.reserveCapacity(count)
            for _ in 0..<count {
                let lines = try reader.count(limit: sectionLength, "lines")
                let length = try reader.count(limit: sectionLength, "block length")
                let crc = try reader.raw(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                var key: [[UInt8]] = []
                for _ in 0..<kind.keyCount {
                    key.append(Array(try reader.raw(try reader.count(limit: WireLimits.maxStringBytes, "key"))))
                }
                guard lines >= 1 else { return nil }
                blocks.append(Block(lines: lines, length: length, crc: crc, key: key, offset: total))
                total += length
                guard total <= sectionLength else { return nil }
            }
            guard reader.isAtEnd else { return nil }
        } catch {
            return nil
        }
        guard total <= sectionLength - 1, total >= sectionLength - 10 else { return nil }
        let start = sectionLength - total
        for index in blocks.indices { blocks[index].offset += start }
        return blocks
    }

    /// The bytes of `block` of the section of `kind`, read from `file` and checked against
    /// the block's CRC-32C; nil when they cannot be read or fail it.
    static func read(_ block: Block, of kind: Blocked, from file: OpenSections) -> [UInt8]? {
        guard let bytes = file.read(kind.section.rawValue, at: block.offset, count: block.length),
              CRC32C.checksum(bytes) == block.crc else { return nil }
        return bytes
    }

    /// The index of the last block whose key is at or before `key` (byte order, string by
    /// string); nil when every block's is after it.
    static func lastAtOrBefore(_ key: [[UInt8]], in blocks: [Block]) -> Int? {
        var low = 0, high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if precedesOrEquals(blocks[middle].key, key) { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : low - 1
    }

    private static func precedesOrEquals(_ lhs: [[UInt8]], _ rhs: [[UInt8]]) -> Bool {
        for (left, right) in zip(lhs, rhs) where !left.elementsEqual(right) {
            return left.lexicographicallyPrecedes(right)
        }
        return true
    }
}
