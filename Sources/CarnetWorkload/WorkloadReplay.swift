import CarnetCore
import CarnetLedger

/// Replays a workload file the way the consortium would have lived it: one node per actor
/// (the hub and each farm), each writing its own lines offline, and at every `sync` line
/// every farm exchanging with the hub in both directions.
///
/// Clocks are virtual and deterministic: an actor's k-th line of a day is written at
/// 07:00 UTC plus k × 90 s, so every replay of a file gives the same events and digests.
public struct WorkloadReplay: Sendable {
    public let meta: WorkloadMeta
    /// One replica per actor, in `meta.actors` order.
    public private(set) var replicas: [Replica]
    /// Lines of each kind replayed so far.
    public private(set) var catalogWrites = 0
    public private(set) var entries = 0
    public private(set) var syncs = 0
    private let indexOfActor: [String: Int]
    private var linesToday: [Int]
    private var day: Int32 = 0
    private let startDay: CalendarDay

    /// A replay that exchanges nothing at `sync` lines: each actor keeps only what it wrote
    /// itself (the "build" scenario of WORKLOAD.md).
    public var isolated = false
    /// Each actor is a device of a signed ledger (format 2): its node id comes from its key
    /// (`signer(forActor:)`) and its first event declares that key. What benchmarks of
    /// signed ledgers replay.
    public let signed: Bool

    /// The ledger id of every signed replay.
    public static let signedLedger = LedgerID(bytes: SHA256.hash(Array("carnet-workload-ledger".utf8)).bytes.prefix(16))!

    /// An actor's device in a signed replay: a key derived from its name, so digests are
    /// reproducible (never how a real device gets its key).
    public static func signer(forActor actor: String) -> DeviceSigner {
        let seed = SHA256.hash(Array("workload-device:\(actor)".utf8)).bytes
        let salt = Array(SHA256.hash(Array("workload-salt:\(actor)".utf8)).bytes.prefix(NodeKey.saltByteCount))
        return DeviceSigner(privateKey: Ed25519.PrivateKey(seed: seed)!, salt: salt)
    }

    /// The id of an actor's node in a replay of that kind.
    public static func nodeID(forActor actor: String, signed: Bool) -> NodeID {
        signed ? signer(forActor: actor).node : nodeID(forActor: actor)
    }

    /// When a signed replay's actors declare their keys: what `NodeStore.create` must be
    /// given to write the same first event.
    public static func declarationMillis(_ meta: WorkloadMeta) -> UInt64 {
        (CalendarDay(iso: meta.start)?.epochMillis ?? 0) + 6 * 3_600_000
    }

    /// The id every replay gives to an actor's node, so digests are reproducible.
    public static func nodeID(forActor actor: String) -> NodeID {
        NodeID.derived(from: "workload-actor:" + actor)
    }

    public init(meta: WorkloadMeta, signed: Bool = false) throws(WorkloadError) {
        guard let start = CalendarDay(iso: meta.start) else {
            throw WorkloadError(line: 1, message: "line 1: start date \"\(meta.start)\" is not YYYY-MM-DD")
        }
        self.meta = meta
        self.signed = signed
        startDay = start
        replicas = meta.actors.map { Replica(node: Self.nodeID(forActor: $0, signed: signed)) }
        if signed {
            for (index, actor) in meta.actors.enumerated() {
                let key = Self.signer(forActor: actor).nodeKey
                replicas[index].assign(NodeKey.declarationKey(for: key.node), .text(key.declarationText),
                                       wallMillis: Self.declarationMillis(meta))
            }
        }
        var index: [String: Int] = [:]
        for (position, actor) in meta.actors.enumerated() { index[actor] = position }
        indexOfActor = index
        linesToday = Array(repeating: 0, count: meta.actors.count)
    }

    /// Reads and replays a whole file.
    public static func replay(_ bytes: [UInt8], isolated: Bool = false, signed: Bool = false) throws(WorkloadError) -> WorkloadReplay {
        var reader = WorkloadReader(bytes: bytes)
        guard case let .meta(meta)? = try reader.next() else {
            throw WorkloadError(line: 1, message: "line 1: a workload starts with its meta line")
        }
        var replay = try WorkloadReplay(meta: meta, signed: signed)
        replay.isolated = isolated
        var lineNumber = 1
        while let line = try reader.next() {
            lineNumber += 1
            try replay.apply(line, lineNumber: lineNumber)
        }
        return replay
    }

    public func replica(of actor: String) -> Replica? {
        indexOfActor[actor].map { replicas[$0] }
    }

    public var hub: Replica { replica(of: meta.hub)! }

    /// Replays one line (after the meta line).
    public mutating func apply(_ line: WorkloadLine, lineNumber: Int) throws(WorkloadError) {
        switch line {
        case .meta:
            throw WorkloadError(line: lineNumber, message: "line \(lineNumber): a second meta line")
        case let .catalog(write):
            let actor = try actorIndex(write.actor, lineNumber)
            let wall = wallMillis(actor: actor)
            for field in write.fields {
                replicas[actor].assign(
                    FieldKey(RecordType.product, write.product, field.name), Self.value(field.value), wallMillis: wall
                )
            }
            catalogWrites += 1
        case let .entry(line):
            let actor = try actorIndex(line.farm, lineNumber)
            let entry = try Self.ledgerEntry(line, lineNumber: lineNumber)
            replicas[actor].write(.append(entry.coreEntry), wallMillis: wallMillis(actor: actor))
            entries += 1
        case let .sync(day: syncedDay):
            syncs += 1
            day = Int32(syncedDay) + 1
            for index in linesToday.indices { linesToday[index] = 0 }
            guard !isolated, let hubIndex = indexOfActor[meta.hub] else { return }
            for index in replicas.indices where index != hubIndex {
                replicas[hubIndex].merge(with: replicas[index])
            }
            for index in replicas.indices where index != hubIndex {
                replicas[index].merge(with: replicas[hubIndex])
            }
        }
    }

    private func actorIndex(_ actor: String, _ lineNumber: Int) throws(WorkloadError) -> Int {
        guard let index = indexOfActor[actor] else {
            throw WorkloadError(line: lineNumber, message: "line \(lineNumber): actor \"\(actor)\" is not in the meta line's actors")
        }
        return index
    }

    private mutating func wallMillis(actor: Int) -> UInt64 {
        defer { linesToday[actor] += 1 }
        let dayStart = CalendarDay(daysSinceEpoch: startDay.daysSinceEpoch + day).epochMillis
        return dayStart + 7 * 3_600_000 + UInt64(linesToday[actor]) * 90_000
    }

    static func value(_ value: WorkloadValue) -> Value {
        switch value {
        case let .int(number): .int(number)
        case let .string(text): .text(text)
        case let .bool(flag): .bool(flag)
        }
    }

    /// The ledger entry a workload `entry` line describes.
    public static func ledgerEntry(_ line: WorkloadEntry, lineNumber: Int) throws(WorkloadError) -> LedgerEntry {
        func fail(_ message: String) -> WorkloadError {
            WorkloadError(line: lineNumber, message: "line \(lineNumber): \(message)")
        }
        guard let kind = EntryKind(rawValue: line.kind) else { throw fail("unknown entry kind \"\(line.kind)\"") }
        guard let date = CalendarDay(iso: line.date) else { throw fail("date \"\(line.date)\" is not YYYY-MM-DD") }
        var unit: QuantityUnit?
        if let text = line.unit {
            guard let parsed = QuantityUnit(rawValue: text) else { throw fail("unknown unit \"\(text)\"") }
            unit = parsed
        }
        var refKind: EntryKind?
        if let text = line.refKind {
            guard let parsed = EntryKind(rawValue: text) else { throw fail("unknown ref_kind \"\(text)\"") }
            refKind = parsed
        }
        return LedgerEntry(
            id: line.id, kind: kind, producer: line.farm, date: date, product: line.product,
            quantity: line.qty, unit: unit, lot: line.lot, party: line.to ?? line.party, amount: line.amount,
            method: line.method, ref: line.ref, refKind: refKind, reason: line.reason, note: line.note
        )
    }
}
