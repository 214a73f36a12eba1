import CarnetCore
import CarnetWire

/// A read of a damaged `events.log` image that goes past the damage: every sound record,
/// wherever it lies, and every byte range that is not one, for `carnet recover`.
///
/// Opening a log stops at the first damage (protocol/SPEC.md §6: middle damage is reported,
/// never skipped), because skipping is a decision a person must make. Recovery is that
/// decision: it keeps what is sound on both sides of the damage and sets the rest aside.
/// After a damaged range, the next record is the first offset where a whole record with
/// its checksum and a decodable batch begins; a false start inside garbage would need a
/// matching CRC-32C and a valid batch, which random bytes do not give.
struct LogSalvage {
    struct Record {
        /// The record's bytes in the damaged log (frame included).
        var range: Range<Int>
        var events: [Event]
    }

    struct Damage {
        var range: Range<Int>
        var reason: String
        /// An incomplete record at the very end: a write that crashed before it was
        /// acknowledged (its events were never stored, so never sent to a peer).
        var isTornTail: Bool
    }

    var records: [Record] = []
    var damage: [Damage] = []

    var events: [Event] { records.flatMap(\.events) }

    /// Where the sound part ends when the only damage is one range at the end of the file
    /// after a sound header (every record before it is sound, in place): the log can then
    /// be cut there. Nil when damage lies elsewhere.
    var soundPrefixEnd: Int? {
        guard damage.count == 1, let only = damage.first, only.range.lowerBound >= LogFormat.headerSize,
              records.last.map({ $0.range.upperBound <= only.range.lowerBound }) ?? true else { return nil }
        return only.range.lowerBound
    }

    /// Reads `bytes` (a whole log file); a header that is not the log's is a damaged range
    /// of its own (the caller has refused a newer version before).
    init(_ bytes: [UInt8]) {
        var offset = min(LogFormat.headerSize, bytes.count)
        if FileHeader.log.read(bytes) != .matches {
            damage.append(Damage(range: 0..<offset, reason: "the file header is not a Carnet log's", isTornTail: false))
        }
        while offset < bytes.count {
            if let (record, next) = Self.soundRecord(in: bytes, at: offset) {
                records.append(record)
                offset = next
                continue
            }
            let reason: String
            var incomplete = false
            switch LogScanner.record(in: bytes, at: offset) {
            case let .failure(problem):
                reason = problem.reason
                incomplete = problem.reason == "incomplete record header" || problem.reason == "record ends past the end of the file"
            case .success:
                reason = "record does not decode"
            }
            let resume = Self.nextSoundRecord(in: bytes, after: offset) ?? bytes.count
            damage.append(Damage(range: offset..<resume, reason: reason, isTornTail: incomplete && resume == bytes.count))
            offset = resume
        }
    }

    /// The record at `offset` when it is whole, passes its checksum and decodes.
    static func soundRecord(in bytes: [UInt8], at offset: Int) -> (Record, Int)? {
        guard case let .success((payload, next)) = LogScanner.record(in: bytes, at: offset),
              let events = try? EventBatch.decode(Array(bytes[payload])) else { return nil }
        return (Record(range: offset..<next, events: events), next)
    }

    /// The first offset after `offset` where a sound record begins.
    static func nextSoundRecord(in bytes: [UInt8], after offset: Int) -> Int? {
        var position = offset + 1
        while position + LogFormat.recordHeaderSize <= bytes.count {
            let length = Int(LogFormat.readUInt32(bytes, at: position))
            if length > 0, length <= bytes.count - position - LogFormat.recordHeaderSize,
               soundRecord(in: bytes, at: position) != nil {
                return position
            }
            position += 1
        }
        return nil
    }
}
