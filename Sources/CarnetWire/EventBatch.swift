import CarnetCore

/// The binary form of a batch of events, shared by the wire and the store.
///
/// Compact by design (layout in protocol/SPEC.md, "Event batches"): consecutive events of
/// one node form a run that states the node, the first seq and the first predecessor hash
/// once; clocks are sent as differences; each entry shape (kind and field names) is sent
/// once; strings go through per-field dictionaries and number templates. Event hashes are
/// never sent: the receiver recomputes them, which also re-links each hash chain.
public enum EventBatch {
    static let magic: [UInt8] = [0x43, 0x42]  // "CB"
    public static let version: UInt8 = 1

    public static func encode<Events: Collection<Event>>(_ events: Events) -> [UInt8] {
        var encoder = EventBatchEncoder()
        return encoder.encode(events)
    }

    /// Decodes a batch from a peer or a file, within the limits of protocol/SPEC.md §3.2,
    /// the canonical size ones included.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> [Event] {
        try decode(bytes, limits: .standard)
    }

    /// Decodes with explicit canonical size limits: `.unbounded` is for the store's own
    /// records only (see `CanonicalLimits`).
    public static func decode(_ bytes: [UInt8], limits: CanonicalLimits) throws(WireError) -> [Event] {
        var decoder = EventBatchDecoder(bytes, limits: limits)
        return try decoder.decode()
    }

    /// Encodes `events` as the continuation of `context`: events the receiver already holds
    /// (the same node's chain just before the batch), whose strings, shapes and clock
    /// need not travel again. The receiver decodes with the same context
    /// (protocol/SPEC.md, "Primed batches"). A one-day delta of one farm shrinks by a
    /// quarter this way.
    public static func encode<Events: Collection<Event>>(_ events: Events, primedWith context: [Event]) -> [UInt8] {
        var encoder = EventBatchEncoder()
        _ = encoder.encode(context)
        encoder.startNewBatch()
        return encoder.encode(events)
    }

    public static func decode(_ bytes: [UInt8], primedWith context: [Event]) throws(WireError) -> [Event] {
        try decodeSigned(bytes, primedWith: context).events
    }

    /// Decodes a batch whose event hashes were kept beside it, in event order, under the
    /// store's own checksum: skips re-hashing, which is most of the cost of opening a store.
    public static func decode(_ bytes: [UInt8], trustedHashes: [SHA256Digest]) throws(WireError) -> [Event] {
        try decodeSigned(bytes, trustedHashes: trustedHashes).events
    }
}

/// Type tags of values in the batch format.
enum ValueTag: UInt8 {
    case int = 0, text = 1, bool = 2, day = 3

    init(_ value: Value) {
        switch value {
        case .int: self = .int
        case .text: self = .text
        case .bool: self = .bool
        case .day: self = .day
        }
    }
}

/// The kind and field layout shared by many entries: sent once per batch.
struct EntryShape: Hashable {
    var kind: String
    var names: [String]
    var tags: [UInt8]

    // Byte-exact, like the string dictionaries: a shape whose names differ only in
    // Unicode normalization is another shape.
    static func == (lhs: EntryShape, rhs: EntryShape) -> Bool {
        lhs.tags == rhs.tags && ExactString(lhs.kind) == ExactString(rhs.kind)
            && lhs.names.map(ExactString.init) == rhs.names.map(ExactString.init)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(ExactString(kind))
        for name in names { hasher.combine(ExactString(name)) }
        hasher.combine(tags)
    }
}

struct EventBatchEncoder {
    private var writer = ByteWriter(capacity: 1024)
    private var text = TextEncoderTables()
    private var nodeIndexes: [NodeID: Int] = [:]
    private var shapeIndexes: [EntryShape: Int] = [:]
    private var lastClock = HLCTimestamp.zero
    private var lastDay: Int64 = 0

    /// Keeps every table and the last clock, and starts writing a new batch.
    mutating func startNewBatch() {
        writer = ByteWriter(capacity: 1024)
    }

    mutating func encode<Events: Collection<Event>>(_ events: Events) -> [UInt8] {
        encode(events, heads: nil)
    }

    /// Writes version 1 when `heads` is nil, else version 2 with the heads section after
    /// the runs (cut so that every head ends one).
    mutating func encode<Events: Collection<Event>>(_ events: Events, heads: [SignedHead]?) -> [UInt8] {
        writer.raw(EventBatch.magic)
        writer.byte(heads == nil ? EventBatch.version : EventBatch.signedVersion)
        let runs = Self.runs(events, endingAt: Set((heads ?? []).map(\.eventID)))
        writer.varint(UInt64(runs.count))
        for run in runs {
            let first = run[run.startIndex]
            writeNode(first.dot.node)
            writer.varint(first.dot.seq)
            writer.varint(UInt64(run.count))
            writer.digest(first.previous)
            for event in run {
                writeClock(event.clock)
                writeOperation(event.operation)
            }
        }
        if let heads { Self.headsSection(heads, runs: runs, into: &writer) }
        return writer.bytes
    }

    /// Splits events, in the given order, into runs of one node's consecutive, chained
    /// events; a run also ends at each event of `ends` (a signed head).
    static func runs<Events: Collection<Event>>(_ events: Events, endingAt ends: Set<EventID> = []) -> [ArraySlice<Event>] {
        let all = Array(events)
        var runs: [ArraySlice<Event>] = []
        var start = 0
        for index in all.indices.dropFirst() {
            let previous = all[index - 1], event = all[index]
            let continues = event.follows(previous) && !ends.contains(previous.id)
            if !continues {
                runs.append(all[start..<index])
                start = index
            }
        }
        if !all.isEmpty { runs.append(all[start...]) }
        return runs
    }

    private mutating func writeNode(_ node: NodeID) {
        if let index = nodeIndexes[node] {
            writer.varint(UInt64(index))
        } else {
            let index = nodeIndexes.count
            nodeIndexes[node] = index
            writer.varint(UInt64(index))
            writer.nodeID(node)
        }
    }

    private mutating func writeClock(_ clock: HLCTimestamp) {
        let delta = Int64(bitPattern: clock.physical &- lastClock.physical)
        let zigzag = UInt64(bitPattern: (delta << 1) ^ (delta >> 63))
        writer.varint(zigzag << 1 | (clock.logical != 0 ? 1 : 0))
        if clock.logical != 0 { writer.varint(UInt64(clock.logical)) }
        lastClock = clock
    }

    private mutating func writeOperation(_ operation: Operation) {
        switch operation {
        case let .assign(assignment):
            writer.varint(0)
            text.write(assignment.key.record.type, context: TextContext.recordType, to: &writer)
            text.write(assignment.key.record.id, context: TextContext.recordID, to: &writer)
            text.write(assignment.key.field, context: TextContext.assignedField, to: &writer)
            writer.byte(ValueTag(assignment.value).rawValue)
            writeValue(assignment.value, context: TextContext.value)
            writer.varint(UInt64(assignment.supersedes.count))
            for superseded in assignment.supersedes {
                writeNode(superseded.dot.node)
                writer.varint(superseded.dot.seq)
                writer.digest(superseded.hash)
            }
        case let .append(entry):
            let shape = EntryShape(
                kind: entry.kind,
                names: entry.fields.map(\.name),
                tags: entry.fields.map { ValueTag($0.value).rawValue }
            )
            if let index = shapeIndexes[shape] {
                writer.varint(UInt64(index) + 1)
            } else {
                let index = shapeIndexes.count
                shapeIndexes[shape] = index
                writer.varint(UInt64(index) + 1)
                text.write(shape.kind, context: TextContext.kind, to: &writer)
                writer.varint(UInt64(shape.names.count))
                for (name, tag) in zip(shape.names, shape.tags) {
                    text.write(name, context: TextContext.fieldName, to: &writer)
                    writer.byte(tag)
                }
            }
            text.write(entry.id, context: TextContext.entryID, to: &writer)
            for field in entry.fields { writeValue(field.value, context: field.name) }
        }
    }

    private mutating func writeValue(_ value: Value, context: String) {
        switch value {
        case let .int(number): writer.signed(number)
        case let .text(string): text.write(string, context: context, to: &writer)
        case let .bool(flag): writer.byte(flag ? 1 : 0)
        case let .day(day):
            writer.signed(Int64(day) - lastDay)
            lastDay = Int64(day)
        }
    }
}

struct EventBatchDecoder {
    /// A shape as the decoder keeps it: with the dictionary slot of each field.
    private struct DecodedShape {
        var kind: String
        var names: [String]
        var tags: [UInt8]
        var slots: [Int]
        /// Canonical bytes of everything but the id and the values: tag, kind, count, names.
        var canonicalSize: Int
    }

    private var reader: ByteReader
    /// Hashes kept by the store beside a checkpointed batch; nil for anything else.
    var trustedHashes: [SHA256Digest]?
    private var text = TextDecoderTables()
    private var nodes: [NodeID] = []
    private var shapes: [DecodedShape] = []
    private var lastClock = HLCTimestamp.zero
    private var lastDay: Int64 = 0
    private var budget: CanonicalBudget
    private let recordTypeSlot, recordIDSlot, assignedFieldSlot, valueSlot, kindSlot, fieldNameSlot, entryIDSlot: Int

    init(_ bytes: [UInt8], limits: CanonicalLimits) {
        reader = ByteReader(bytes)
        budget = CanonicalBudget(limits)
        var text = TextDecoderTables()
        recordTypeSlot = text.slot(for: TextContext.recordType)
        recordIDSlot = text.slot(for: TextContext.recordID)
        assignedFieldSlot = text.slot(for: TextContext.assignedField)
        valueSlot = text.slot(for: TextContext.value)
        kindSlot = text.slot(for: TextContext.kind)
        fieldNameSlot = text.slot(for: TextContext.fieldName)
        entryIDSlot = text.slot(for: TextContext.entryID)
        self.text = text
    }

    /// Keeps every table and the last clock, and reads a new batch from `bytes`.
    mutating func continueWith(_ bytes: [UInt8], limits: CanonicalLimits) {
        reader = ByteReader(bytes)
        budget = CanonicalBudget(limits)
    }

    mutating func decode() throws(WireError) -> [Event] {
        try decodeSigned().events
    }

    /// Decodes a batch of either version; a version-1 batch has no heads.
    mutating func decodeSigned() throws(WireError) -> SignedEvents {
        guard reader.remaining >= 3 else { throw .truncated(at: reader.remaining) }
        guard try reader.byte() == EventBatch.magic[0], try reader.byte() == EventBatch.magic[1] else { throw .badMagic }
        let version = try reader.byte()
        guard version == EventBatch.version || version == EventBatch.signedVersion else { throw .unsupportedVersion(version) }
        let runCount = try reader.count(limit: WireLimits.maxEventsPerBatch, "run count")
        budget.startBatch()
        var events: [Event] = []
        var runEnds: [EventID] = []
        runEnds.reserveCapacity(runCount)
        for _ in 0..<runCount {
            let node = try readNode()
            let seqOffset = reader.offset
            let firstSeq = try reader.varint()
            let count = try reader.count(limit: WireLimits.maxEventsPerBatch - events.count, "event count")
            guard firstSeq >= 1, firstSeq <= UInt64.max - UInt64(count) else {
                throw .malformed("run starts at invalid seq \(firstSeq)", at: seqOffset)
            }
            guard count >= 1 else { throw .malformed("empty run", at: seqOffset) }
            var previous = try reader.digest()
            for index in 0..<count {
                budget.startEvent()
                let dot = Dot(node: node, seq: firstSeq + UInt64(index))
                let clock = try readClock()
                try budget.charge(CanonicalSize.header(seq: dot.seq, clock: clock), at: reader.offset)
                let operation = try readOperation()
                let event: Event
                if let trusted = trustedHashes {
                    guard events.count < trusted.count else { throw .malformed("more events than hashes", at: reader.offset) }
                    event = Event(dot: dot, clock: clock, previous: previous, operation: operation,
                                  trustedHash: trusted[events.count])
                } else {
                    event = Event(dot: dot, clock: clock, previous: previous, operation: operation)
                }
                previous = event.hash
                events.append(event)
            }
            runEnds.append(events[events.count - 1].id)
        }
        let heads = version == EventBatch.signedVersion ? try readHeads(runEnds: runEnds) : []
        guard reader.isAtEnd else { throw .malformed("\(reader.remaining) unexpected bytes after the last event", at: reader.offset) }
        return SignedEvents(events: events, heads: heads)
    }

    /// Reads the heads section of a version-2 batch: run indexes strictly increasing and
    /// below the run count, each followed by a 64-byte signature.
    private mutating func readHeads(runEnds: [EventID]) throws(WireError) -> [SignedHead] {
        let count = try reader.count(limit: runEnds.count, "signed heads")
        var heads: [SignedHead] = []
        heads.reserveCapacity(count)
        var lowest = 0
        for _ in 0..<count {
            let start = reader.offset
            let index = try reader.count(limit: runEnds.count - 1, "run index of a head")
            guard index >= lowest else { throw .malformed("heads out of run order", at: start) }
            lowest = index + 1
            let signature = Array(try reader.raw(Ed25519.signatureByteCount))
            let end = runEnds[index]
            heads.append(SignedHead(node: end.dot.node, seq: end.dot.seq, hash: end.hash, signature: signature))
        }
        return heads
    }

    private mutating func readNode() throws(WireError) -> NodeID {
        let start = reader.offset
        let index = try reader.varint()
        if index < UInt64(nodes.count) { return nodes[Int(index)] }
        guard index == UInt64(nodes.count) else {
            throw .malformed("node reference \(index) beyond the \(nodes.count) known", at: start)
        }
        let node = try reader.nodeID()
        nodes.append(node)
        return node
    }

    private mutating func readClock() throws(WireError) -> HLCTimestamp {
        let header = try reader.varint()
        let zigzag = header >> 1
        let delta = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
        var logical: UInt32 = 0
        if header & 1 == 1 {
            let start = reader.offset
            let raw = try reader.varint()
            guard raw > 0, raw <= UInt64(UInt32.max) else { throw .malformed("clock counter out of range", at: start) }
            logical = UInt32(raw)
        }
        let clock = HLCTimestamp(physical: lastClock.physical &+ UInt64(bitPattern: delta), logical: logical)
        lastClock = clock
        return clock
    }

    private mutating func readOperation() throws(WireError) -> Operation {
        let start = reader.offset
        let header = try reader.varint()
        if header == 0 {
            let type = try readText(slot: recordTypeSlot)
            let id = try readText(slot: recordIDSlot)
            let field = try readText(slot: assignedFieldSlot)
            let value = try readValue(tag: try reader.byte(), slot: valueSlot)
            let count = try reader.count(limit: WireLimits.maxSupersedes, "superseded values")
            try budget.charge(1 + CanonicalSize.varint(UInt64(count)), at: reader.offset)
            var supersedes: [EventID] = []
            for _ in 0..<count {
                let node = try readNode()
                let seq = try reader.varint()
                let id = EventID(dot: Dot(node: node, seq: seq), hash: try reader.digest())
                try budget.charge(CanonicalSize.eventID(id), at: reader.offset)
                supersedes.append(id)
            }
            let assignment = Assignment(key: FieldKey(type, id, field), value: value, supersedes: supersedes)
            guard assignment.supersedes == supersedes else {
                throw .malformed("superseded values not in canonical order", at: start)
            }
            return .assign(assignment)
        }
        let shapeIndex = header - 1
        let defined = shapeIndex == UInt64(shapes.count)
        if defined {
            // Charged to this event (which uses the shape) as it is read: each field name
            // may be a reference to one long name, and `slot(for:)` hashes it.
            let kind = try text.read(slot: kindSlot, from: &reader)
            let fieldCount = try reader.count(limit: WireLimits.maxFieldsPerShape, "fields per entry")
            var names: [String] = [], tags: [UInt8] = [], slots: [Int] = []
            var size = 1 + CanonicalSize.string(kind) + CanonicalSize.varint(UInt64(fieldCount))
            try budget.charge(size, at: reader.offset)
            for _ in 0..<fieldCount {
                let name = try text.read(slot: fieldNameSlot, from: &reader)
                size += CanonicalSize.string(name)
                try budget.charge(CanonicalSize.string(name), at: reader.offset)
                names.append(name)
                slots.append(text.slot(for: name))
                let tagOffset = reader.offset
                let tag = try reader.byte()
                guard ValueTag(rawValue: tag) != nil else { throw .malformed("unknown value type \(tag)", at: tagOffset) }
                tags.append(tag)
            }
            shapes.append(DecodedShape(kind: kind, names: names, tags: tags, slots: slots, canonicalSize: size))
        } else if shapeIndex > UInt64(shapes.count) {
            throw .malformed("entry shape \(shapeIndex) beyond the \(shapes.count) known", at: start)
        }
        let shape = shapes[Int(shapeIndex)]
        if !defined { try budget.charge(shape.canonicalSize, at: reader.offset) }
        let id = try readText(slot: entryIDSlot)
        var fields: [Field] = []
        fields.reserveCapacity(shape.names.count)
        for index in shape.names.indices {
            fields.append(Field(shape.names[index], try readValue(tag: shape.tags[index], slot: shape.slots[index])))
        }
        return .append(Entry(id: id, kind: shape.kind, fields: Fields(fields)))
    }

    /// A string of the operation, charged to the budget: a dictionary reference costs a
    /// byte or two in the batch but its full length in canonical bytes.
    private mutating func readText(slot: Int) throws(WireError) -> String {
        let text = try text.read(slot: slot, from: &reader)
        try budget.charge(CanonicalSize.string(text), at: reader.offset)
        return text
    }

    /// A value, charged to the budget (tag byte included) before anything uses it.
    private mutating func readValue(tag: UInt8, slot: Int) throws(WireError) -> Value {
        let value = try readUncharged(tag: tag, slot: slot)
        try budget.charge(CanonicalSize.value(value), at: reader.offset)
        return value
    }

    private mutating func readUncharged(tag: UInt8, slot: Int) throws(WireError) -> Value {
        switch ValueTag(rawValue: tag) {
        case .int: return .int(try reader.signed())
        case .text: return .text(try text.read(slot: slot, from: &reader))
        case .bool:
            let start = reader.offset
            switch try reader.byte() {
            case 0: return .bool(false)
            case 1: return .bool(true)
            default: throw .malformed("boolean is neither 0 nor 1", at: start)
            }
        case .day:
            let start = reader.offset
            let day = lastDay &+ (try reader.signed())
            guard let value = Int32(exactly: day) else { throw .malformed("day out of range", at: start) }
            lastDay = day
            return .day(value)
        case nil: throw .malformed("unknown value type \(tag)", at: reader.offset)
        }
    }
}
