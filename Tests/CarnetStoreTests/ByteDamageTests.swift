import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetTestKit
import Foundation
import Testing

/// T3 (b), byte-exhaustive damage on a simulated disk: the log cut at every byte of its
/// last two records, and every byte of three records in the middle flipped.
///
/// A cut is a torn tail: verify calls it one, opening cuts it (and says how many bytes,
/// from where), keeps every record before it, and a second opening finds nothing to cut.
/// A flip in the middle is damage: verify reports it with its offset and calls it no tail,
/// opening refuses with an error naming the file and the offset, and the file is left
/// exactly as it was.
struct ByteDamageTests {
    static let directory = "/sim/damage"
    static let logPath = directory + "/" + EventLog.fileName

    /// A log of `records` records of 10 events of one node, and where each record begins.
    struct Fixture {
        var image: SimDiskImage
        var log: [UInt8]
        var starts: [Int]
        var batches: [[Event]]

        init(seed: UInt64, records: Int = 6) throws {
            let disk = SimStorage(seed: seed)
            try disk.createDirectory(ByteDamageTests.directory)
            var log = try EventLog.open(directory: ByteDamageTests.directory, storage: disk)
            var replica = Replica(node: NodeID.derived(from: "damage-writer"))
            var random = SplitMix64(seed: seed)
            starts = []
            batches = []
            for record in 0..<records {
                starts.append(log.log.size)
                let batch = (0..<10).map { index in
                    replica.write(.append(Entry(id: "r\(record)-\(index)", kind: "harvest",
                                                fields: [Field("qty", .int(Int64.random(in: 1...1_000, using: &random)))])),
                                  wallMillis: 1_780_000_000_000 + UInt64(record * 10 + index))
                }
                try log.log.append(batch)
                batches.append(batch)
            }
            image = disk.currentImage
            self.log = try #require(image.contents(of: ByteDamageTests.logPath))
        }

        /// The disk with the log replaced by `bytes`.
        func disk(withLog bytes: [UInt8], seed: UInt64) -> SimStorage {
            var damaged = image
            damaged.setContents(bytes, of: ByteDamageTests.logPath)
            return SimStorage(seed: seed, image: damaged)
        }

        /// The events of the records that end at or before `offset`.
        func events(upTo offset: Int) -> [EventID] {
            var ids: [EventID] = []
            for (index, batch) in batches.enumerated() {
                let end: Int = index + 1 < starts.count ? starts[index + 1] : log.count
                if end <= offset { ids += batch.map(\.id) }
            }
            return ids
        }
    }

    @Test func aLogCutAtEveryByteOfItsLastTwoRecordsIsATornTailCutAndCounted() throws {
        let seed = testSeed(default: 20_260_303)
        let started = ContinuousClock.now
        let fixture = try Fixture(seed: seed)
        let first = fixture.starts[fixture.starts.count - 2]
        var problems: [String] = []
        var cases = 0, cut = 0
        for offset in first..<fixture.log.count {
            cases += 1
            let label = "seed \(seed), log cut at byte \(offset) of \(fixture.log.count)"
            let boundary = fixture.starts.last { $0 <= offset }!
            let disk = fixture.disk(withLog: Array(fixture.log.prefix(offset)), seed: seed)
            do throws(StoreError) {
                let verification = try EventLog.verify(directory: Self.directory, storage: disk)
                if offset == boundary {
                    if !verification.isSound { problems.append("\(label): a cut at a record boundary is not sound") }
                } else if verification.damageOffset != boundary || !verification.damageIsTornTail {
                    problems.append("\(label): verify says damage at \(verification.damageOffset.map(String.init) ?? "nil"), tail \(verification.damageIsTornTail); expected a torn tail at \(boundary)")
                }
                let log = try EventLog.open(directory: Self.directory, storage: disk)
                let expectedCut = offset - boundary
                if log.report.cutBytes != expectedCut || (expectedCut > 0 && log.report.cutAt != boundary) {
                    problems.append("\(label): cut \(log.report.cutBytes) bytes at \(log.report.cutAt.map(String.init) ?? "nil"), expected \(expectedCut) at \(boundary)")
                }
                if expectedCut > 0 { cut += 1 }
                if log.recovered.map(\.id) != fixture.events(upTo: boundary) {
                    problems.append("\(label): recovered \(log.recovered.count) events, expected those of the records before \(boundary)")
                }
                _ = consume log
                // The cut is durable and done: a crash now, then a reopening, cuts nothing more.
                let again = try EventLog.open(directory: Self.directory, storage: disk.restart(after: .dropUnsynced, seed: seed))
                if again.report.cutBytes != 0 || again.log.size != boundary {
                    problems.append("\(label): after a crash the reopened log cut \(again.report.cutBytes) more bytes, size \(again.log.size)")
                }
            } catch {
                problems.append("\(label): \(error)")
            }
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print("byte damage: seed \(seed), \(cases) cuts of the last two records (\(cut) torn tails cut), \(String(format: "%.1f", seconds)) s")
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.prefix(20).joined(separator: "\n"))")
        #expect(cases > 300, "seed \(seed): records too small to test much")
    }

    @Test func everyByteFlippedInThreeMiddleRecordsIsReportedWithItsOffsetAndNeverSkipped() throws {
        let seed = testSeed(default: 20_260_304)
        let started = ContinuousClock.now
        let fixture = try Fixture(seed: seed)
        var random = SplitMix64(seed: seed)
        var problems: [String] = []
        var cases = 0
        for record in 2...4 {
            let start = fixture.starts[record], end = fixture.starts[record + 1]
            for offset in start..<end {
                cases += 1
                var bytes = fixture.log
                let mask = UInt8.random(in: 1...255, using: &random)
                bytes[offset] ^= mask
                let label = "seed \(seed), record \(record) (bytes \(start)..<\(end)), byte \(offset) xor \(mask)"
                let disk = fixture.disk(withLog: bytes, seed: seed)
                do throws(StoreError) {
                    let verification = try EventLog.verify(directory: Self.directory, storage: disk)
                    if verification.damageOffset != start || verification.damageIsTornTail || verification.isSound
                        || verification.records != record {
                        problems.append("\(label): verify says damage at \(verification.damageOffset.map(String.init) ?? "nil") (tail \(verification.damageIsTornTail)) after \(verification.records) records")
                    }
                } catch {
                    problems.append("\(label): verify failed: \(error)")
                }
                do throws(StoreError) {
                    _ = try EventLog.open(directory: Self.directory, storage: disk)
                    problems.append("\(label): the damaged log opened for writing")
                } catch {
                    guard case let .corrupt(path, at, _, intactRecords, _) = error, path == Self.logPath, at == start,
                          intactRecords == record, error.description.contains(Self.logPath), error.description.contains("byte \(start)") else {
                        problems.append("\(label): opening failed with \(error), not damage at \(start) in \(Self.logPath)")
                        continue
                    }
                }
                if disk.currentImage.contents(of: Self.logPath) != bytes {
                    problems.append("\(label): opening changed the damaged log")
                }
            }
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        print("byte damage: seed \(seed), \(cases) bytes flipped in 3 middle records, \(String(format: "%.1f", seconds)) s")
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.prefix(20).joined(separator: "\n"))")
        #expect(cases > 450, "seed \(seed): records too small to test much")
    }

    /// A checkpointed store: six records, a checkpoint, then `after` more records.
    struct CheckpointedStore {
        var image: SimDiskImage
        var log: [UInt8]
        var starts: [Int]
        var covered: Int

        init(seed: UInt64, after: Int) throws {
            let disk = SimStorage(seed: seed)
            let node = NodeID.derived(from: "checkpointed")
            try NodeStore.create(directory: ByteDamageTests.directory, ledger: "l", label: "n", node: node, storage: disk)
            var store = try NodeStore(directory: ByteDamageTests.directory, wallMillis: 1, storage: disk) { NodeID.derived(from: "x") }
            var random = SplitMix64(seed: seed)
            for index in 0..<(6 + after) {
                if index == 6 {
                    #expect(try store.saveCheckpoint())
                }
                try store.write(.append(Entry(id: "c\(index)", kind: "harvest",
                                              fields: [Field("qty", .int(Int64.random(in: 1...1_000, using: &random)))])),
                                wallMillis: 1_780_000_000_000 + UInt64(index))
            }
            if after == 0 {
                #expect(try store.saveCheckpoint())
            }
            _ = consume store
            image = disk.currentImage
            log = try #require(image.contents(of: ByteDamageTests.logPath))
            starts = LogFormatProbe.recordStarts(log)
            covered = after == 0 ? log.count : starts[6]
        }

        func end(ofRecord record: Int) -> Int { record + 1 < starts.count ? starts[record + 1] : log.count }

        /// Flips every byte of `records` and opens the store for writing each time:
        /// what went wrong, and how many cases ran.
        func flipEveryByte(of records: [Int], seed: UInt64, payloadOnly: Bool = false) -> (problems: [String], cases: Int) {
            var random = SplitMix64(seed: seed)
            var problems: [String] = []
            var cases = 0
            for record in records {
                let start = starts[record], end = end(ofRecord: record)
                for offset in (payloadOnly ? start + 8 : start)..<end {
                    cases += 1
                    var bytes = log
                    let mask = UInt8.random(in: 1...255, using: &random)
                    bytes[offset] ^= mask
                    let label = "seed \(seed), record \(record) (bytes \(start)..<\(end), checkpoint covers \(covered)), byte \(offset) xor \(mask)"
                    var damaged = image
                    damaged.setContents(bytes, of: ByteDamageTests.logPath)
                    let disk = SimStorage(seed: seed, image: damaged)
                    do throws(StoreError) {
                        var store = try NodeStore(directory: ByteDamageTests.directory, wallMillis: 2, storage: disk) { NodeID.derived(from: "x") }
                        try store.write(.append(Entry(id: "after", kind: "harvest", fields: [])), wallMillis: 1_790_000_000_000)
                        problems.append("\(label): the damaged store opened and wrote")
                    } catch {
                        guard case let .corrupt(path, at, _, intactRecords, _) = error, path == ByteDamageTests.logPath,
                              at == start, intactRecords == record, error.description.contains("byte \(start)") else {
                            problems.append("\(label): opening failed with \(error), not damage at \(start)")
                            continue
                        }
                    }
                    if disk.currentImage.contents(of: ByteDamageTests.logPath) != bytes {
                        problems.append("\(label): opening changed the damaged log")
                    }
                }
            }
            return (problems, cases)
        }
    }

    /// The store opens from a checkpoint and decodes only the records after its stamp, but
    /// still checks the checksums of those before it: middle damage there makes the store
    /// refuse to open (so `serve` and every command refuse to write), names the offset, and
    /// changes nothing, as it does without a checkpoint (RELIABILITY.md T3 (b)).
    @Test func everyByteFlippedInRecordsACheckpointCoversMakesTheStoreRefuseToWrite() throws {
        let seed = testSeed(default: 20_260_305)
        let store = try CheckpointedStore(seed: seed, after: 1)
        #expect(store.starts.count == 7 && store.starts[6] == store.covered, "seed \(seed): fixture layout")
        // Two middle records and the checkpoint's last one (a flip of its header makes the
        // checkpoint not cover the log: then the whole log is read and the record after it
        // shows the damage is in the middle).
        let (problems, cases) = store.flipEveryByte(of: [1, 2, 5], seed: seed)
        print("byte damage: seed \(seed), \(cases) bytes flipped in 3 records a checkpoint covers")
        #expect(problems.count == 0, "problems:\n\(problems.prefix(20).joined(separator: "\n"))")
        #expect(cases > 200, "seed \(seed): records too small to test much")
    }

    /// Damage in the payload of the last record, when a checkpoint covers it, is not a torn
    /// tail: the checkpoint proves the record was complete and acknowledged, so it is
    /// reported and kept, never cut (without a checkpoint nothing tells it from a tear).
    @Test func damageInTheLastRecordACheckpointCoversIsReportedNotCut() throws {
        let seed = testSeed(default: 20_260_306)
        let store = try CheckpointedStore(seed: seed, after: 0)
        #expect(store.starts.count == 6 && store.log.count == store.covered, "seed \(seed): fixture layout")
        let (problems, cases) = store.flipEveryByte(of: [5], seed: seed, payloadOnly: true)
        print("byte damage: seed \(seed), \(cases) bytes flipped in the payload of the last record a checkpoint covers")
        #expect(problems.count == 0, "problems:\n\(problems.prefix(20).joined(separator: "\n"))")
        #expect(cases > 50, "seed \(seed): record too small to test much")
    }
}
