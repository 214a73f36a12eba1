import CarnetCore
import CarnetLedger
import CarnetWire

/// Section 2 of the views file (protocol/SPEC.md §6.5), the stock by producer, product and
/// lot: `count`, then per line `string(producer) string(product) string(lot)
/// signed(quantity) string(unit)`, the unit empty when the line has none.
///
/// `stock --by-lot` reads every line (250,000 at 1M events), so the reader works on the
/// section's bytes directly: no slice per string, and printable text (nearly all of it)
/// taken as it is instead of validated scalar by scalar. It refuses what `ByteReader`
/// refuses: a count or a string longer than the bytes left, an overlong varint, text
/// that is not UTF-8, a unit this version does not know.
extension LedgerViewsFile {
    static func writeStock(_ stock: [StockLine], into writer: inout ByteWriter) {
        writer.varint(UInt64(stock.count))
        for line in stock {
            writer.string(line.producer)
            writer.string(line.product)
            writer.string(line.lot)
            writer.signed(line.quantity)
            writer.string(line.unit?.rawValue ?? "")
        }
    }

    /// Appends the section's lines to `stock`; false when bytes are left over.
    static func readStock(_ bytes: [UInt8], into stock: inout [StockLine]) throws(WireError) -> Bool {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) -> Bool in
            var reader = SectionReader(buffer)
            let count = try reader.count(limit: buffer.count, "stock lines")
            // Each line takes at least 5 bytes: a count larger than that cannot be honest,
            // and must not reserve memory.
            stock.reserveCapacity(stock.count + min(count, buffer.count / 5))
            for _ in 0..<count {
                let producer = try reader.string(), product = try reader.string(), lot = try reader.string()
                let quantity = try reader.signed()
                stock.append(StockLine(producer: producer, product: product, lot: lot, quantity: quantity, unit: try reader.unit()))
            }
            return reader.isAtEnd
        }
    }
}

extension LedgerViewsFile {
    /// The section's lines of `products` alone (their UTF-8 bytes), appended to `stock` in
    /// order; the other lines are stepped over, their text never made. What `availability`
    /// needs to add the log past the views file (`DerivedTail`) at ten million entries,
    /// where decoding every line took a second. False when bytes are left over.
    static func readStock(_ bytes: [UInt8], ofProducts products: [[UInt8]], into stock: inout [StockLine]) throws(WireError) -> Bool {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) -> Bool in
            var reader = SectionReader(buffer)
            let count = try reader.count(limit: buffer.count, "stock lines")
            for _ in 0..<count {
                let producerAt = reader.offset
                let producer = try reader.stringBytes()
                let productAt = reader.offset
                let product = try reader.stringBytes()
                guard products.contains(where: { $0.elementsEqual(product) }) else {
                    _ = try reader.stringBytes()
                    _ = try reader.signed()
                    _ = try reader.stringBytes()
                    continue
                }
                stock.append(StockLine(producer: try SectionReader.text(producer, at: producerAt),
                                       product: try SectionReader.text(product, at: productAt), lot: try reader.string(),
                                       quantity: try reader.signed(), unit: try reader.unit()))
            }
            return reader.isAtEnd
        }
    }
}

extension LedgerViewsFile {
    /// Section 12's lots of `producers` alone (their UTF-8 bytes), appended to `lots` in
    /// order; the others stepped over. What a writer's lot check reads (a lot is its
    /// producer's): at ten million entries the section is 60 MB. False when bytes are left over.
    static func readLotProducts(_ bytes: [UInt8], ofProducers producers: [[UInt8]],
                                into lots: inout [LotProducts]) throws(WireError) -> Bool {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) -> Bool in
            var reader = SectionReader(buffer)
            let count = try reader.count(limit: buffer.count, "lots")
            for _ in 0..<count {
                let producerAt = reader.offset
                let producer = try reader.stringBytes()
                let kept = producers.contains { $0.elementsEqual(producer) }
                let lotAt = reader.offset
                let lot = try reader.stringBytes()
                var products: [String] = []
                for _ in 0..<(try reader.count(limit: buffer.count, "products")) {
                    if kept { products.append(try reader.string()) } else { _ = try reader.stringBytes() }
                }
                if kept {
                    lots.append(LotProducts(producer: try SectionReader.text(producer, at: producerAt),
                                            lot: try SectionReader.text(lot, at: lotAt), products: products))
                }
            }
            return reader.isAtEnd
        }
    }
}

/// The primitives of `ByteReader` over a section's bytes in place, for the sections read
/// line by line in the hundreds of thousands. Every bound is checked; errors carry the
/// offset as `ByteReader`'s do.
struct SectionReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var offset = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func byte() throws(WireError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(at: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < bytes.count else { throw .truncated(at: offset) }
            let b = bytes[offset]
            offset += 1
            if shift == 63, b > 1 { throw .varintOverflow(at: start) }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .varintOverflow(at: start) }
        }
    }

    mutating func count(limit: Int, _ what: String) throws(WireError) -> Int {
        let start = offset
        let value = try varint()
        guard value <= UInt64(limit) else { throw .limitExceeded(what, at: start) }
        return Int(value)
    }

    mutating func signed() throws(WireError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func string() throws(WireError) -> String {
        let start = offset
        return try Self.text(try stringBytes(), at: start)
    }

    /// The next string's bytes, not yet made into text (a reader that keeps few lines
    /// looks at them first).
    mutating func stringBytes() throws(WireError) -> UnsafeBufferPointer<UInt8> {
        let length = try count(limit: WireLimits.maxStringBytes, "string length")
        guard length <= bytes.count - offset else { throw .truncated(at: offset) }
        defer { offset += length }
        return UnsafeBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }

    /// `utf8` as text: ASCII as it is, anything else validated.
    static func text(_ utf8: UnsafeBufferPointer<UInt8>, at offset: Int) throws(WireError) -> String {
        if utf8.allSatisfy({ $0 < 0x80 }) { return String(decoding: utf8, as: UTF8.self) }
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw .malformed("string is not valid UTF-8", at: offset)
        }
        return text
    }

    /// A unit, empty for none.
    mutating func unit() throws(WireError) -> QuantityUnit? {
        let text = try string()
        guard !text.isEmpty else { return nil }
        guard let unit = QuantityUnit(rawValue: text) else { throw .malformed("unknown unit \"\(text)\"", at: offset) }
        return unit
    }
}
