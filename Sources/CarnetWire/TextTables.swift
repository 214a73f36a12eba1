import CarnetCore

/// A string split as `prefix + zero-padded number`, e.g. `F18-000123` = `F18-` + 123 in 6
/// digits. Ids, lots and product codes look like this, and consecutive ones differ by a
/// small number, so the batch sends the difference instead of the text.
struct TextTemplate: Hashable {
    var prefix: String
    var width: Int

    static func == (lhs: TextTemplate, rhs: TextTemplate) -> Bool {
        lhs.width == rhs.width && ExactString(lhs.prefix) == ExactString(rhs.prefix)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(ExactString(prefix))
        hasher.combine(width)
    }

    /// Splits text whose trailing digit run is 3 to 18 digits long; nil otherwise.
    static func split(_ text: String) -> (TextTemplate, Int64)? {
        let utf8 = text.utf8
        var digits = 0
        var index = utf8.endIndex
        while index > utf8.startIndex {
            let before = utf8.index(before: index)
            let c = utf8[before]
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { break }
            digits += 1
            index = before
        }
        guard digits >= 3, digits <= WireLimits.maxTemplateWidth else { return nil }
        var number: Int64 = 0
        for c in utf8[index...] { number = number * 10 + Int64(c - UInt8(ascii: "0")) }
        return (TextTemplate(prefix: String(text[..<index]), width: digits), number)
    }

    /// Rebuilds the text; nil when the number does not fit the width (a corrupt batch).
    func render(_ number: Int64) -> String? {
        guard number >= 0 else { return nil }
        let digits = String(number)
        guard digits.utf8.count <= width else { return nil }
        return prefix + String(repeating: "0", count: width - digits.utf8.count) + digits
    }
}

/// Named contexts for the per-context string dictionaries of a batch. Entry fields use
/// their field name as context; these are the others.
enum TextContext {
    static let entryID = "\u{0}id"
    static let kind = "\u{0}kind"
    static let fieldName = "\u{0}field"
    static let recordType = "\u{0}type"
    static let recordID = "\u{0}record"
    static let assignedField = "\u{0}assigned"
    static let value = "\u{0}value"
}

/// The encoder's side of the batch's string state: a dictionary per context and one
/// table of templates, each remembering the last number sent with it.
struct TextEncoderTables {
    /// Keyed by exact bytes: a canonically equivalent spelling must not be sent as a
    /// reference to another spelling, or the receiver would hash different bytes.
    private var dictionaries: [String: [ExactString: Int]] = [:]
    private var templateIndexes: [TextTemplate: Int] = [:]
    private var templateLast: [Int64] = []

    /// Writes `text` as: `2i` (a string already sent in this context), `2n` followed by the
    /// UTF-8 (a new string; `n` is the context's dictionary size), or `2t+1` followed by a
    /// zig-zag delta from the template's last number (a new template is sent inline).
    mutating func write(_ text: String, context: String, to writer: inout ByteWriter) {
        // Mutated in place (never copied out) so that each write costs O(1).
        if let index = dictionaries[context]?[ExactString(text)] {
            writer.varint(UInt64(index) << 1)
            return
        }
        let newIndex = dictionaries[context]?.count ?? 0
        dictionaries[context, default: [:]][ExactString(text)] = newIndex
        if let (template, number) = TextTemplate.split(text) {
            let templateIndex: Int
            if let known = templateIndexes[template] {
                templateIndex = known
                writer.varint(UInt64(templateIndex) << 1 | 1)
            } else {
                templateIndex = templateLast.count
                templateIndexes[template] = templateIndex
                templateLast.append(0)
                writer.varint(UInt64(templateIndex) << 1 | 1)
                writer.string(template.prefix)
                writer.byte(UInt8(template.width))
            }
            writer.signed(number &- templateLast[templateIndex])
            templateLast[templateIndex] = number
        } else {
            writer.varint(UInt64(newIndex) << 1)
            writer.string(text)
        }
    }
}

/// The decoder's mirror of `TextEncoderTables`. Contexts are resolved to slots once (per
/// shape field, or once per batch for the fixed contexts), so that reading a value costs
/// no hashing of its context name.
struct TextDecoderTables {
    private var slotOfContext: [String: Int] = [:]
    private var dictionaries: [[String]] = []
    private var templates: [TextTemplate] = []
    private var templateLast: [Int64] = []

    /// The slot of a context's dictionary, created on first use.
    mutating func slot(for context: String) -> Int {
        if let slot = slotOfContext[context] { return slot }
        slotOfContext[context] = dictionaries.count
        dictionaries.append([])
        return dictionaries.count - 1
    }

    mutating func read(slot: Int, from reader: inout ByteReader) throws(WireError) -> String {
        let start = reader.offset
        let header = try reader.varint()
        let index = header >> 1
        let known = dictionaries[slot].count
        let text: String
        if header & 1 == 0 {
            if index < UInt64(known) { return dictionaries[slot][Int(index)] }
            guard index == UInt64(known) else {
                throw .malformed("string reference \(index) beyond the \(known) known", at: start)
            }
            text = try reader.string()
        } else {
            let templateIndex: Int
            if index < UInt64(templates.count) {
                templateIndex = Int(index)
            } else {
                guard index == UInt64(templates.count) else {
                    throw .malformed("template reference \(index) beyond the \(templates.count) known", at: start)
                }
                let prefix = try reader.string()
                let width = Int(try reader.byte())
                guard width >= 3, width <= WireLimits.maxTemplateWidth else {
                    throw .malformed("template width \(width) out of range", at: reader.offset - 1)
                }
                templates.append(TextTemplate(prefix: prefix, width: width))
                templateLast.append(0)
                templateIndex = templates.count - 1
            }
            let (number, overflow) = templateLast[templateIndex].addingReportingOverflow(try reader.signed())
            guard !overflow, let rendered = templates[templateIndex].render(number) else {
                throw .malformed("templated number does not fit its template", at: start)
            }
            templateLast[templateIndex] = number
            text = rendered
        }
        dictionaries[slot].append(text)
        return text
    }
}
