import CarnetStore
import CarnetTestKit
import CarnetWire
import Foundation
import Testing

/// Opening checks every record a checkpoint covers against its checksum (RELIABILITY I3)
/// a piece of the log at a time, never holding the whole log: records that straddle two
/// pieces, and one longer than a piece, are checked whole, and damage in any of them is
/// reported at its record's offset.
struct CoveredRecordsCheckTests {
    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    @Test("a log longer than a piece is checked whole, and damage in any covered record is reported at it")
    func longLogCheckedPieceByPiece() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        var rng = SplitMix64(seed: testSeed(default: 14))
        // Frames alone: the covered records are checked, not decoded (their payloads are
        // bytes, not batches). About 19 MB, with one record of 9 MB, more than a piece.
        var log = FileHeader.log.bytes
        var starts: [Int] = []
        for index in 0..<90 {
            let length = index == 40 ? 9_000_000 : 100_000 + Int(rng.next() % 40_000)
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            starts.append(log.count)
            let head = Self.bigEndian(UInt32(length))
            log += head + Self.bigEndian(CRC32C.checksum(payload, initial: CRC32C.checksum(head))) + payload
        }
        let last = starts[starts.count - 1]
        let crc = UInt32(log[last + 4]) << 24 | UInt32(log[last + 5]) << 16 | UInt32(log[last + 6]) << 8 | UInt32(log[last + 7])
        let stamp = LogStamp(size: log.count, lastRecordOffset: last, lastRecordCRC: crc)
        try directory.writeLog(log)
        let opening = try EventLog.open(directory: directory.path, resumingAt: stamp)
        #expect(opening.report.resumedAt == stamp.size && opening.recovered.isEmpty)
        // One in the first piece, the long one, one straddling a piece's end, the last.
        let piece = 8 << 20
        let straddling = try #require(starts.firstIndex { $0 < 2 * piece && $0 + 150_000 > 2 * piece } ?? starts.firstIndex { $0 > piece })
        for record in [3, 40, straddling, starts.count - 1] {
            var damaged = log
            damaged[starts[record] + 8 + 7 + record] ^= 0x10
            try directory.writeLog(damaged)
            #expect("record \(record)") {
                _ = try EventLog.open(directory: directory.path, resumingAt: stamp)
            } throws: { error in
                guard case let StoreError.corrupt(_, offset, _, _, _) = error else { return false }
                return offset == starts[record]
            }
        }
    }
}
