// The typed layer of the workload reader: one parser per line type, each checking
// the fields its line must carry (see WorkloadReader.swift for the line loop).

// MARK: - Typed line parser

/// Errors raised by the typed layer have no position when `offset` is this value.
private let noOffset = -1

private func fault(_ message: String, at offset: Int = noOffset) -> JSONError {
    JSONError(offset: offset, message: message, isSyntaxError: false)
}

enum LineType {
    case meta, cat, entry, sync
}

enum LineParser {
    /// Parses the single JSON object in the cursor's range into a line.
    static func parse(_ c: inout JSONCursor) throws(JSONError) -> WorkloadLine {
        let kind = c.peekKind()
        guard case .object = kind else {
            if kind == .invalid || kind == .end { throw c.unexpected("a JSON object") }
            var probe = c
            try probe.skipValue()  // report a malformed value as such
            throw fault("a line must be a JSON object, found \(kind.phrase)", at: c.pos)
        }
        let objectStart = c.pos
        try c.enterObject()
        let bodyStart = c.pos
        var first = true
        var seenT = false
        let type: LineType
        guard let firstKey = try c.nextKey(first: &first) else {
            throw fault("the line's object is empty: missing field \"t\"", at: objectStart)
        }
        if c.spanEquals(firstKey, "t") {
            type = try readType(&c)
            seenT = true
        } else {
            // `t` is not the first key: find it, then parse the members from the start.
            var probe = c
            try probe.skipValue()
            var found: LineType?
            var probeFirst = false
            while let key = try probe.nextKey(first: &probeFirst) {
                if probe.spanEquals(key, "t") {
                    found = try readType(&probe)
                    break
                }
                try probe.skipValue()
            }
            guard let found else { throw fault("the line has no field \"t\"", at: objectStart) }
            type = found
            c.pos = bodyStart
            first = true
        }
        let line: WorkloadLine
        switch type {
        case .entry: line = .entry(try parseEntry(&c, first: &first, seenT: seenT))
        case .cat: line = .catalog(try parseCatalog(&c, first: &first, seenT: seenT))
        case .sync: line = .sync(day: try parseSync(&c, first: &first, seenT: seenT))
        case .meta: line = .meta(try parseMeta(&c, first: &first, seenT: seenT))
        }
        try c.expectEnd()
        return line
    }

    static func readType(_ c: inout JSONCursor) throws(JSONError) -> LineType {
        let kind = c.peekKind()
        let at = c.pos
        guard case .string = kind else { throw c.wrongType("t", "a string", kind) }
        let span = try c.scanString()
        let type: LineType? = c.withSpanBytes(span) { b in
            if JSONCursor.bytesEqual(b, "entry") { return .entry }
            if JSONCursor.bytesEqual(b, "cat") { return .cat }
            if JSONCursor.bytesEqual(b, "sync") { return .sync }
            if JSONCursor.bytesEqual(b, "meta") { return .meta }
            return nil
        }
        guard let type else {
            throw fault("unknown line type \"\(c.string(span))\" (expected meta, cat, entry or sync)", at: at)
        }
        return type
    }

    /// Marks `bit` as seen, or reports a duplicate key.
    @inline(__always)
    static func markSeen(_ seen: inout UInt32, _ bit: Int, _ name: StaticString, key: JSONStringSpan) throws(JSONError) {
        let mask = UInt32(1) << UInt32(bit)
        if seen & mask != 0 { throw fault("duplicate field \"\(name)\"", at: key.start - 1) }
        seen |= mask
    }

    // MARK: entry

    private enum EntryKey: Int {
        case t, id, farm, date, kind, product, qty, unit, lot, to, party, amount, method, ref, refKind, reason, note

        var name: StaticString {
            switch self {
            case .t: "t"
            case .id: "id"
            case .farm: "farm"
            case .date: "date"
            case .kind: "kind"
            case .product: "product"
            case .qty: "qty"
            case .unit: "unit"
            case .lot: "lot"
            case .to: "to"
            case .party: "party"
            case .amount: "amount"
            case .method: "method"
            case .ref: "ref"
            case .refKind: "ref_kind"
            case .reason: "reason"
            case .note: "note"
            }
        }

        /// The key for `b`: picked by length and first byte, then checked in full.
        static func match(_ b: UnsafeBufferPointer<UInt8>) -> EntryKey? {
            guard b.count > 0 else { return nil }
            let candidate: EntryKey
            switch (b.count, b[0]) {
            case (1, UInt8(ascii: "t")): candidate = .t
            case (2, UInt8(ascii: "i")): candidate = .id
            case (2, UInt8(ascii: "t")): candidate = .to
            case (3, UInt8(ascii: "q")): candidate = .qty
            case (3, UInt8(ascii: "l")): candidate = .lot
            case (3, UInt8(ascii: "r")): candidate = .ref
            case (4, UInt8(ascii: "d")): candidate = .date
            case (4, UInt8(ascii: "f")): candidate = .farm
            case (4, UInt8(ascii: "k")): candidate = .kind
            case (4, UInt8(ascii: "u")): candidate = .unit
            case (4, UInt8(ascii: "n")): candidate = .note
            case (5, UInt8(ascii: "p")): candidate = .party
            case (6, UInt8(ascii: "a")): candidate = .amount
            case (6, UInt8(ascii: "m")): candidate = .method
            case (6, UInt8(ascii: "r")): candidate = .reason
            case (7, UInt8(ascii: "p")): candidate = .product
            case (8, UInt8(ascii: "r")): candidate = .refKind
            default: return nil
            }
            return JSONCursor.bytesEqual(b, candidate.name) ? candidate : nil
        }
    }

    private enum EntryKind {
        case harvest, delivery, sale, payment, reversal
    }

    /// Fields each kind requires, in the order of the format's table.
    private static func requiredFields(_ kind: EntryKind) -> [EntryKey] {
        switch kind {
        case .harvest: [.product, .qty, .unit, .lot]
        case .delivery: [.product, .qty, .unit, .lot, .to]
        case .sale: [.product, .qty, .unit, .lot, .party, .amount]
        case .payment: [.party, .amount, .method, .ref]
        case .reversal: [.ref, .refKind, .reason]
        }
    }

    @inline(__always)
    private static func mask(_ keys: EntryKey...) -> UInt32 {
        var m: UInt32 = 0
        for key in keys { m |= UInt32(1) << UInt32(key.rawValue) }
        return m
    }

    private static func requiredMask(_ kind: EntryKind) -> UInt32 {
        switch kind {
        case .harvest: mask(.product, .qty, .unit, .lot)
        case .delivery: mask(.product, .qty, .unit, .lot, .to)
        case .sale: mask(.product, .qty, .unit, .lot, .party, .amount)
        case .payment: mask(.party, .amount, .method, .ref)
        case .reversal: mask(.ref, .refKind, .reason)
        }
    }

    static func parseEntry(_ c: inout JSONCursor, first: inout Bool, seenT: Bool) throws(JSONError) -> WorkloadEntry {
        // Filled in place (no copies of the 16 fields); "" stands for a missing
        // required field until the `seen` mask is checked below.
        var e = WorkloadEntry(id: "", farm: "", date: "", kind: "")
        var seen: UInt32 = seenT ? 1 : 0
        var entryKind = EntryKind.harvest
        while let key = try c.nextKey(first: &first) {
            let field = key.escaped
                ? c.withSpanBytes(key, EntryKey.match)
                : EntryKey.match(UnsafeBufferPointer(rebasing: c.base[key.start..<key.end]))
            guard let field else {
                try c.skipValue()  // unknown key: allowed, ignored
                continue
            }
            try markSeen(&seen, field.rawValue, field.name, key: key)
            switch field {
            case .t: try c.skipValue()  // already read (it was not the first key)
            case .id: e.id = try c.fieldString("id")
            case .farm: e.farm = try c.fieldString("farm")
            case .date: e.date = try c.fieldDate("date")
            case .kind:
                let valueKind = c.peekKind()
                guard case .string = valueKind else { throw c.wrongType("kind", "a string", valueKind) }
                let at = c.pos
                let span = try c.scanString()
                // The known kinds become constant strings: nothing to decode.
                let known: (EntryKind, String)? = c.withSpanBytes(span) { b in
                    if JSONCursor.bytesEqual(b, "sale") { return (.sale, "sale") }
                    if JSONCursor.bytesEqual(b, "harvest") { return (.harvest, "harvest") }
                    if JSONCursor.bytesEqual(b, "delivery") { return (.delivery, "delivery") }
                    if JSONCursor.bytesEqual(b, "payment") { return (.payment, "payment") }
                    if JSONCursor.bytesEqual(b, "reversal") { return (.reversal, "reversal") }
                    return nil
                }
                guard let known else {
                    throw fault("unknown entry kind \"\(c.string(span))\" (expected harvest, delivery, sale, payment or reversal)", at: at)
                }
                (entryKind, e.kind) = known
            case .product: e.product = try c.fieldString("product")
            case .qty: e.qty = try c.fieldInt("qty")
            case .unit: e.unit = try c.fieldString("unit")
            case .lot: e.lot = try c.fieldString("lot")
            case .to: e.to = try c.fieldString("to")
            case .party: e.party = try c.fieldString("party")
            case .amount: e.amount = try c.fieldInt("amount")
            case .method: e.method = try c.fieldString("method")
            case .ref: e.ref = try c.fieldString("ref")
            case .refKind: e.refKind = try c.fieldString("ref_kind")
            case .reason: e.reason = try c.fieldString("reason")
            case .note: e.note = try c.fieldString("note")
            }
        }
        let required = mask(.id, .farm, .date, .kind) | requiredMask(entryKind)
        if seen & required != required {
            for key in [EntryKey.id, .farm, .date, .kind] where seen & mask(key) == 0 {
                throw fault("entry is missing field \"\(key.name)\"")
            }
            for key in requiredFields(entryKind) where seen & mask(key) == 0 {
                throw fault("\(e.kind) entry is missing field \"\(key.name)\"")
            }
        }
        if case .reversal = entryKind, (e.amount == nil) == (e.qty == nil) {
            throw fault("reversal entry must have exactly one of fields \"amount\" and \"qty\"")
        }
        return e
    }

    // MARK: cat

    static func parseCatalog(_ c: inout JSONCursor, first: inout Bool, seenT: Bool) throws(JSONError) -> CatalogWrite {
        var seen: UInt32 = seenT ? 1 : 0
        var actor: String?, date: String?, product: String?
        var fields: [(name: String, value: WorkloadValue)]?
        while let key = try c.nextKey(first: &first) {
            let field: (bit: Int, name: StaticString)? = c.withSpanBytes(key) { b in
                for (bit, name) in [(0, "t"), (1, "actor"), (2, "date"), (3, "product"), (4, "set")] as [(Int, StaticString)]
                where JSONCursor.bytesEqual(b, name) {
                    return (bit, name)
                }
                return nil
            }
            guard let field else {
                try c.skipValue()  // unknown key: allowed, ignored
                continue
            }
            try markSeen(&seen, field.bit, field.name, key: key)
            switch field.bit {
            case 1: actor = try c.fieldString("actor")
            case 2: date = try c.fieldDate("date")
            case 3: product = try c.fieldString("product")
            case 4: fields = try parseSet(&c)
            default: try c.skipValue()  // `t`, already read
            }
        }
        guard let actor else { throw fault("cat line is missing field \"actor\"") }
        guard let date else { throw fault("cat line is missing field \"date\"") }
        guard let product else { throw fault("cat line is missing field \"product\"") }
        guard let fields else { throw fault("cat line is missing field \"set\"") }
        return CatalogWrite(actor: actor, date: date, product: product, fields: fields)
    }

    /// The `set` object: scalar values only; the six known catalog fields are type-checked.
    static func parseSet(_ c: inout JSONCursor) throws(JSONError) -> [(name: String, value: WorkloadValue)] {
        let kind = c.peekKind()
        guard case .object = kind else { throw c.wrongType("set", "an object", kind) }
        try c.enterObject()
        var fields: [(name: String, value: WorkloadValue)] = []
        var first = true
        while let key = try c.nextKey(first: &first) {
            let name = c.string(key)
            if fields.contains(where: { $0.name == name }) {
                throw fault("duplicate catalog field \"\(name)\"", at: key.start - 1)
            }
            let at = c.pos
            let valueKind = c.peekKind()
            let expected: JSONKind?
            switch name {
            case "name", "unit", "category": expected = .string
            case "price", "vat": expected = .number
            case "active": expected = .bool
            default: expected = nil
            }
            if let expected, valueKind != expected, valueKind != .invalid, valueKind != .end {
                var probe = c
                try probe.skipValue()
                throw fault("catalog field \"\(name)\" must be \(expected.phrase), found \(valueKind.phrase)", at: c.pos)
            }
            let value: WorkloadValue
            switch valueKind {
            case .string: value = .string(try c.readString())
            case .number:
                let v = try c.readInt()
                if !inFormatRange(v) {
                    throw fault("catalog field \"\(name)\" is out of range: the format requires |value| < 2^31", at: at)
                }
                value = .int(v)
            case .bool: value = .bool(try c.readBool())
            case .invalid, .end: throw c.unexpected("a value")
            case .null, .object, .array:
                var probe = c
                try probe.skipValue()
                throw fault("catalog field \"\(name)\" must be a string, an integer or a boolean, found \(valueKind.phrase)", at: at)
            }
            fields.append((name: name, value: value))
        }
        return fields
    }

    // MARK: sync

    static func parseSync(_ c: inout JSONCursor, first: inout Bool, seenT: Bool) throws(JSONError) -> Int {
        var seen: UInt32 = seenT ? 1 : 0
        var day: Int?
        while let key = try c.nextKey(first: &first) {
            if c.spanEquals(key, "day") {
                try markSeen(&seen, 1, "day", key: key)
                let at = c.pos
                let value = try c.fieldInt("day")
                guard value >= 0 else { throw fault("field \"day\" must not be negative", at: at) }
                day = Int(value)
            } else if c.spanEquals(key, "t") {
                try markSeen(&seen, 0, "t", key: key)
                try c.skipValue()
            } else {
                try c.skipValue()
            }
        }
        guard let day else { throw fault("sync line is missing field \"day\"") }
        return day
    }

    // MARK: meta

    private enum MetaKey: Int, CaseIterable {
        case t, schema, seed, farms, days, products, entries, start, hub, actors, counts, kinds, conflictGroups

        var name: StaticString {
            switch self {
            case .t: "t"
            case .schema: "schema"
            case .seed: "seed"
            case .farms: "farms"
            case .days: "days"
            case .products: "products"
            case .entries: "entries"
            case .start: "start"
            case .hub: "hub"
            case .actors: "actors"
            case .counts: "counts"
            case .kinds: "kinds"
            case .conflictGroups: "conflict_groups"
            }
        }
    }

    static func parseMeta(_ c: inout JSONCursor, first: inout Bool, seenT: Bool) throws(JSONError) -> WorkloadMeta {
        var seen: UInt32 = seenT ? 1 : 0
        var schema: String?, start: String?, hub: String?, actors: [String]?
        var ints: [MetaKey: Int] = [:]
        var counts: [(name: String, count: Int)] = []
        var kinds: [(name: String, count: Int)] = []
        var conflictGroups: Int?
        while let keySpan = try c.nextKey(first: &first) {
            let key = c.withSpanBytes(keySpan) { b in
                MetaKey.allCases.first { JSONCursor.bytesEqual(b, $0.name) }
            }
            guard let key else {
                try c.skipValue()
                continue
            }
            try markSeen(&seen, key.rawValue, key.name, key: keySpan)
            switch key {
            case .t: try c.skipValue()
            case .schema:
                let at = c.pos
                let value = try c.fieldString("schema")
                guard value == WorkloadMeta.schemaName else {
                    throw fault("unsupported schema \"\(value)\" (expected \"\(WorkloadMeta.schemaName)\")", at: at)
                }
                schema = value
            case .seed, .farms, .days, .products, .entries:
                ints[key] = Int(try c.fieldInt(key.name))
            case .conflictGroups:
                conflictGroups = Int(try c.fieldInt(key.name))
            case .start: start = try c.fieldDate("start")
            case .hub: hub = try c.fieldString("hub")
            case .actors:
                let kind = c.peekKind()
                guard case .array = kind else { throw c.wrongType("actors", "an array of strings", kind) }
                try c.enterArray()
                var list: [String] = []
                var firstElement = true
                while try c.nextElement(first: &firstElement) {
                    list.append(try c.fieldString("actors", expected: "an array of strings"))
                }
                actors = list
            case .counts: counts = try parseCounts(&c, field: "counts")
            case .kinds: kinds = try parseCounts(&c, field: "kinds")
            }
        }
        guard let schema else { throw fault("meta line is missing field \"schema\"") }
        for key in [MetaKey.seed, .farms, .days, .products, .entries] where ints[key] == nil {
            throw fault("meta line is missing field \"\(key.name)\"")
        }
        guard let start else { throw fault("meta line is missing field \"start\"") }
        guard let hub else { throw fault("meta line is missing field \"hub\"") }
        guard let actors else { throw fault("meta line is missing field \"actors\"") }
        return WorkloadMeta(
            schema: schema, seed: ints[.seed] ?? 0, farms: ints[.farms] ?? 0, days: ints[.days] ?? 0,
            products: ints[.products] ?? 0, entries: ints[.entries] ?? 0, start: start, hub: hub,
            actors: actors, counts: counts, kinds: kinds, conflictGroups: conflictGroups)
    }

    /// An object of integers (`counts`, `kinds`), in file order.
    static func parseCounts(_ c: inout JSONCursor, field: StaticString) throws(JSONError) -> [(name: String, count: Int)] {
        let kind = c.peekKind()
        guard case .object = kind else { throw c.wrongType(field, "an object of integers", kind) }
        try c.enterObject()
        var pairs: [(name: String, count: Int)] = []
        var first = true
        while let key = try c.nextKey(first: &first) {
            let name = c.string(key)
            pairs.append((name: name, count: Int(try c.fieldInt(field, expected: "an object of integers"))))
        }
        return pairs
    }

    /// |v| < 2^31, as the format requires of every number.
    @inline(__always)
    static func inFormatRange(_ v: Int64) -> Bool {
        v > -(1 << 31) && v < 1 << 31
    }
}

// MARK: - Typed field readers

extension JSONCursor {
    /// The error for a value of the wrong JSON type; a malformed value is reported as a
    /// syntax error instead.
    mutating func wrongType(_ field: StaticString, _ expected: String, _ found: JSONKind) -> JSONError {
        if found == .invalid || found == .end { return unexpected("a value") }
        var probe = self
        do throws(JSONError) {
            try probe.skipValue()
        } catch {
            return error
        }
        return JSONError(
            offset: pos, message: "field \"\(field)\" must be \(expected), found \(found.phrase)",
            isSyntaxError: false)
    }

    mutating func fieldString(_ field: StaticString, expected: String = "a string") throws(JSONError) -> String {
        let kind = peekKind()
        guard case .string = kind else { throw wrongType(field, expected, kind) }
        return try readString()
    }

    /// An integer with |value| < 2^31, as the format requires.
    mutating func fieldInt(_ field: StaticString, expected: String = "an integer") throws(JSONError) -> Int64 {
        let kind = peekKind()
        guard case .number = kind else { throw wrongType(field, expected, kind) }
        let at = pos
        let value = try readInt()
        guard LineParser.inFormatRange(value) else {
            throw JSONError(
                offset: at, message: "field \"\(field)\" is out of range: the format requires |value| < 2^31",
                isSyntaxError: false)
        }
        return value
    }

    /// A string of the shape YYYY-MM-DD (month 01–12, day 01–31).
    mutating func fieldDate(_ field: StaticString) throws(JSONError) -> String {
        let kind = peekKind()
        guard case .string = kind else { throw wrongType(field, "a date string \"YYYY-MM-DD\"", kind) }
        let at = pos
        let span = try scanString()
        guard withSpanBytes(span, isDateShape) else {
            throw JSONError(
                offset: at, message: "field \"\(field)\" must be a date \"YYYY-MM-DD\", found \"\(string(span))\"",
                isSyntaxError: false)
        }
        return string(span)
    }
}

/// Whether `b` has the shape YYYY-MM-DD with a month 01–12 and a day 01–31.
func isDateShape(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return false }
    for i in 0..<10 where i != 4 && i != 7 && b[i] &- 0x30 >= 10 { return false }
    let month = Int(b[5] &- 0x30) * 10 + Int(b[6] &- 0x30)
    let day = Int(b[8] &- 0x30) * 10 + Int(b[9] &- 0x30)
    return month >= 1 && month <= 12 && day >= 1 && day <= 31
}
