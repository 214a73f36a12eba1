import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetTestKit
import Foundation
import Testing

struct CRC32CTests {
    /// RFC 3720, appendix B.4, and the common check value.
    @Test func publishedVectors() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0...31 as ClosedRange<UInt8>)) == 0x46DD_794E)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum(Array("56789".utf8), initial: CRC32C.checksum(Array("1234".utf8))) == 0xE306_9283)
    }

    /// The same vectors through the tables, whatever this processor has: `checksum` may take
    /// the `crc32` instruction, and then the vectors above alone would not check the tables.
    @Test func publishedVectorsByTables() {
        func tables(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt32 {
            bytes.withUnsafeBytes { CRC32C.byTables($0, initial: initial) }
        }
        #expect(tables([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(tables([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(tables(Array(0...31 as ClosedRange<UInt8>)) == 0x46DD_794E)
        #expect(tables(Array("123456789".utf8)) == 0xE306_9283)
        #expect(tables(Array("56789".utf8), initial: tables(Array("1234".utf8))) == 0xE306_9283)
    }

    /// The instruction and the tables agree on random inputs of every length up to 300 bytes
    /// (each tail length after the eight-byte steps), at every alignment, continued from a
    /// random CRC. On a processor without the instruction both sides are the tables.
    @Test func instructionAndTablesAgree() {
        let seed: UInt64 = 0xC3C3_2026_1207
        var rng = SplitMix64(seed: seed)
        var buffer = [UInt8](repeating: 0, count: 320)
        for index in buffer.indices { buffer[index] = UInt8(truncatingIfNeeded: rng.next()) }
        buffer.withUnsafeBytes { whole in
            for length in 0...300 {
                for start in 0..<8 {
                    let bytes = UnsafeRawBufferPointer(rebasing: whole[start..<(start + length)])
                    let initial = UInt32(truncatingIfNeeded: rng.next())
                    let expected = CRC32C.byTables(bytes, initial: initial)
                    #expect(CRC32C.checksum(bytes, initial: initial) == expected, "seed \(seed), length \(length), start \(start)")
                }
            }
        }
    }
}

struct EventLogTests {
    @Test func appendedBatchesAreReadBackAfterReopening() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let batches = threeBatches(seed: 11)
        do {
            var log = try EventLog.open(directory: directory.path)
            #expect(log.report.created)
            for batch in batches { try log.log.append(batch) }
        }
        let reopened = try EventLog.open(directory: directory.path)
        #expect(reopened.recovered.map(\.id) == batches.flatMap { $0 }.map(\.id))
        #expect(reopened.report == RecoveryReport(records: 3, events: batches.joined().count))
        var fromLog = Replica(node: NodeID.derived(from: "r")), direct = Replica(node: NodeID.derived(from: "r"))
        fromLog.admit(contentsOf: reopened.recovered)
        direct.admit(contentsOf: batches.flatMap { $0 })
        #expect(fromLog.digest == direct.digest)
    }

    @Test func aTornTailIsCutAtEveryByte() throws {
        let source = try TemporaryDirectory()
        defer { source.cleanUp() }
        let (batches, ends) = try writeThreeRecords(in: source, seed: 12)
        let full = try source.logBytes()
        let twoRecords = ends[1]
        let kept = batches[0] + batches[1]
        for length in (twoRecords + 1)..<full.count {
            let directory = try TemporaryDirectory()
            defer { directory.cleanUp() }
            try directory.writeLog(Array(full[..<length]))
            var log = try EventLog.open(directory: directory.path)
            #expect(log.recovered.map(\.id) == kept.map(\.id), "cut at \(length)")
            #expect(log.report.cutAt == twoRecords && log.report.cutBytes == length - twoRecords, "cut at \(length)")
            #expect(try directory.logBytes().count == twoRecords, "the tail is gone from disk")
            try log.log.append(batches[2])
            let again = try EventLog.open(directory: directory.path)
            #expect(again.recovered.map(\.id) == batches.flatMap { $0 }.map(\.id), "append after cut at \(length)")
        }
    }

    @Test func aTornHeaderOfANewFileIsRewritten() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try directory.writeLog(Array("CARN".utf8))
        let log = try EventLog.open(directory: directory.path)
        #expect(log.recovered.isEmpty)
        #expect(try directory.logBytes().count == 16)
    }

    @Test func damageInTheMiddleIsReportedWithItsOffsetAndNothingIsChanged() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let (batches, ends) = try writeThreeRecords(in: directory, seed: 13)
        let pristine = try directory.logBytes()
        for (record, start) in [16, ends[0]].enumerated() {
            var damaged = pristine
            damaged[start + 8 + 5] ^= 0x04  // one bit, inside the record's payload
            try directory.writeLog(damaged)
            #expect {
                _ = try EventLog.open(directory: directory.path)
            } throws: { error in
                guard case let StoreError.corrupt(_, offset, _, intactRecords, intactEvents) = error else { return false }
                return offset == start && intactRecords == record && intactEvents == batches.prefix(record).joined().count
            }
            #expect(try directory.logBytes() == damaged, "a damaged log is left exactly as found")
        }
        let message = StoreError.corrupt(path: "x/events.log", offset: 99, reason: "checksum mismatch", intactRecords: 1, intactEvents: 5).description
        #expect(message.contains("damaged at byte 99") && message.contains("1 records (5 events)"))
    }

    @Test func otherFilesAndNewerVersionsAreRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        try directory.writeLog(Array("not a log at all, just text\n".utf8))
        #expect(throws: StoreError.notALog(path: directory.logPath)) { _ = try EventLog.open(directory: directory.path) }
        try directory.writeLog(Array("CARNETLG".utf8) + [0, 9] + [UInt8](repeating: 0, count: 6))
        #expect(throws: StoreError.unsupportedVersion(path: directory.logPath, version: 9)) { _ = try EventLog.open(directory: directory.path) }
    }
}

#if CARNET_FAULT_INJECTION  // FaultInjection exists in debug builds only (Package.swift)
/// Failure paths through the syscall funnel. Serialized: fault rules are process-wide.
@Suite(.serialized)
struct EventLogFaultTests {
    @Test func aFullDiskFailsTheAppendLeavesTheLogOpenableAndLosesNothingAcknowledged() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let batches = threeBatches(seed: 21)
        var log = try EventLog.open(directory: directory.path)
        try log.log.append(batches[0])
        let rules = [FaultInjection.Rule(.write, pathSuffix: directory.logPath, effect: .shortWrite(10)),
                     FaultInjection.Rule(.write, pathSuffix: directory.logPath, effect: .fail(ENOSPC))]
        FaultInjection.with(rules) {
            #expect { try log.log.append(batches[1]) } throws: { error in
                guard case let StoreError.system(system) = error else { return false }
                return system.errno == ENOSPC && system.description.contains("No space left on device (ENOSPC)")
            }
        }
        #expect(throws: StoreError.needsReopen(path: directory.logPath)) { try log.log.append(batches[2]) }
        let reopened = try EventLog.open(directory: directory.path)
        #expect(reopened.recovered.map(\.id) == batches[0].map(\.id))
        // The failed append cut its own partial record (10 bytes) before giving up the lock,
        // so the next writer never builds on it; reopening finds nothing more to cut.
        let size = try directory.logBytes().count
        #expect(reopened.report.cutBytes == 0 && size == reopened.log.size, "the partial record is cut")
    }

    @Test func anFsyncErrorIsNeverRetriedAndCarriedOn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let batches = threeBatches(seed: 22)
        var log = try EventLog.open(directory: directory.path)
        try log.log.append(batches[0])
        FaultInjection.with([FaultInjection.Rule(.fsync, pathSuffix: directory.logPath, effect: .fail(EIO))]) {
            #expect(throws: StoreError.self) { try log.log.append(batches[1]) }
        }
        // Not acknowledged, so the caller must not count on it, and the log stops writing.
        #expect(throws: StoreError.needsReopen(path: directory.logPath)) { try log.log.append(batches[2]) }
        let reopened = try EventLog.open(directory: directory.path)
        #expect(reopened.recovered.prefix(batches[0].count).map(\.id) == batches[0].map(\.id))
    }

    @Test func shortWritesAndInterruptedCallsStillWriteEveryByte() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let batches = threeBatches(seed: 23)
        var log = try EventLog.open(directory: directory.path)
        let rules = [FaultInjection.Rule(.write, pathSuffix: directory.logPath, times: 3, effect: .fail(EINTR)),
                     FaultInjection.Rule(.write, pathSuffix: directory.logPath, times: 1_000, effect: .shortWrite(7))]
        try FaultInjection.with(rules) {
            for batch in batches { try log.log.append(batch) }
        }
        let reopened = try EventLog.open(directory: directory.path)
        #expect(reopened.recovered.map(\.id) == batches.flatMap { $0 }.map(\.id))
        #expect(reopened.report.cutBytes == 0)
    }

    @Test func aFailureToCreateTheLogIsAClearError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        FaultInjection.with([FaultInjection.Rule(.open, pathSuffix: directory.logPath, effect: .fail(EACCES))]) {
            #expect { _ = try EventLog.open(directory: directory.path) } throws: { error in
                "\(error)".contains("open \(directory.logPath): Permission denied (EACCES)")
            }
        }
    }
}
#endif

struct LogVerificationTests {
    @Test func verifyReportsWithoutChangingAnything() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let (batches, ends) = try writeThreeRecords(in: directory, seed: 31)
        let sound = try EventLog.verify(directory: directory.path)
        #expect(sound.isSound && sound.records == 3 && sound.events == batches.joined().count)

        let pristine = try directory.logBytes()
        try directory.writeLog(Array(pristine.dropLast(3)))
        let torn = try EventLog.verify(directory: directory.path)
        #expect(!torn.isSound && torn.damageIsTornTail && torn.damageOffset == ends[1] && torn.records == 2)
        #expect(try directory.logBytes().count == pristine.count - 3, "verify changes nothing")

        var flipped = pristine
        flipped[ends[0] + 12] ^= 0x80
        try directory.writeLog(flipped)
        let middle = try EventLog.verify(directory: directory.path)
        #expect(!middle.isSound && !middle.damageIsTornTail && middle.damageOffset == ends[0] && middle.records == 1)
    }

    @Test func anEventWithoutItsPredecessorIsReported() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let batches = threeBatches(seed: 32)
        do {
            var log = try EventLog.open(directory: directory.path)
            try log.log.append(batches[0])
            try log.log.append(batches[2])  // the middle batch never made it into this log
        }
        let report = try EventLog.verify(directory: directory.path)
        #expect(report.damageOffset == nil)
        #expect(report.unchainedEvents > 0 && !report.isSound)
    }

    /// A store keeps an event that arrives before its predecessor (a session with grants
    /// brings a fork's other branch after the chain that follows it), so its log may hold a
    /// successor first. Once the predecessor follows, every event chains: sound. Verify
    /// counted every event that had to wait on the way as unchained.
    @Test func aSuccessorLoggedBeforeItsPredecessorChainsOnceItFollows() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let batches = threeBatches(seed: 33)
        do {
            var log = try EventLog.open(directory: directory.path)
            try log.log.append(batches[0])
            try log.log.append(batches[2])
            try log.log.append(batches[1])
        }
        let report = try EventLog.verify(directory: directory.path)
        #expect(report.isSound && report.unchainedEvents == 0, "\(report)")
    }
}

struct CRC32CSlicingTests {
    /// The eight-bytes-at-a-time path agrees with a bit-by-bit reference at every length
    /// and alignment.
    @Test func agreesWithABitwiseReference() {
        func reference(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        var rng = SplitMix64(seed: 5)
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 7) {
                #expect(CRC32C.checksum(data[start..<end]) == reference(Array(data[start..<end])), "\(start)..<\(end)")
            }
        }
    }
}
