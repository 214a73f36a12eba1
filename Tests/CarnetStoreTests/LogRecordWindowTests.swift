import CarnetCore
import CarnetStore
import CarnetTestKit
import Foundation
import Testing

/// `LogRecordReader.readRecords` reads the log a window at a time: whatever the window, it
/// hands over the records one reading of the whole log would, stops where it is told, and
/// refuses a damaged record after handing over those before it.
struct LogRecordWindowTests {
    private static func records(_ reader: LogRecordReader, window: Int, stopAfter: Int = .max) -> (sound: Bool, read: [(Int, [EventID])]) {
        var read: [(Int, [EventID])] = []
        let sound = reader.readRecords(from: LogFormatProbe.headerSize, window: window) { offset, events in
            read.append((offset, events.map(\.id)))
            return read.count < stopAfter
        }
        return (sound, read)
    }

    @Test func everyWindowReadsTheRecordsOfOneWholeRead() throws {
        let seed = testSeed(default: 0x10C_B10C)
        var rng = SplitMix64(seed: seed)
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let events = RandomHistory(seed: seed, nodes: 4, steps: 240).events
        var log = try EventLog.open(directory: directory.path)
        var start = 0
        while start < events.count {
            let end = min(events.count, start + Int.random(in: 1...12, using: &rng))
            try log.log.append(Array(events[start..<end]))
            start = end
        }
        let stamp = log.log.stamp
        let reader = try #require(LogRecordReader(directory: directory.path, stamp: stamp))
        let whole = Self.records(reader, window: Int.max)
        #expect(whole.sound && whole.read.flatMap(\.1) == events.map(\.id), "seed \(seed)")
        // Windows shorter than a record header, than most records, and of a few records.
        for window in [5, 64, 200, 777, 4_096, 1 << 20] {
            let read = Self.records(reader, window: window)
            #expect(read.sound, "seed \(seed), window \(window)")
            #expect(read.read.map(\.0) == whole.read.map(\.0) && read.read.map(\.1) == whole.read.map(\.1),
                    "seed \(seed), window \(window)")
            let stopped = Self.records(reader, window: window, stopAfter: 7)
            #expect(stopped.sound && stopped.read.map(\.0) == whole.read.prefix(7).map(\.0), "seed \(seed), window \(window)")
        }

        // One byte of a record in the middle changed: the records before it, then false.
        let hit = whole.read[whole.read.count / 2].0
        var bytes = try directory.logBytes()
        bytes[hit + 12] ^= 0x41
        try directory.writeLog(bytes)
        let damaged = try #require(LogRecordReader(directory: directory.path, stamp: stamp))
        for window in [5, 200, 4_096, Int.max] {
            let read = Self.records(damaged, window: window)
            #expect(!read.sound && read.read.map(\.0) == whole.read.prefix(whole.read.count / 2).map(\.0),
                    "seed \(seed), window \(window)")
        }
    }
}
