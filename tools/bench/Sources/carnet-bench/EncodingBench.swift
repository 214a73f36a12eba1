import CarnetCore
import CarnetWire
import CarnetWorkload

/// Figure 2: bytes per ledger entry when one node's events travel as one `EventBatch`.
enum EncodingBench {
    /// One farm node's own events, encoded.
    struct FarmBatch {
        var farm: String
        var entries: Int
        var events: Int
        /// Encoded size of the node's `.append` events only.
        var appendBytes: Int
        /// Chained runs in that batch (dropping the catalog writes breaks the chain).
        var appendRuns: Int
        /// Of `appendBytes`, what the clock differences take (recomputed from the format).
        var appendClockBytes: Int
        /// Encoded size of all the node's events (its catalog writes included).
        var allBytes: Int
        /// The farm's `entry` lines in the workload file, `\n` included.
        var jsonBytes: Int
        var jsonLines: Int
        var roundTrips: Bool

        var appendPerEntry: Double { Double(appendBytes) / Double(max(entries, 1)) }
        var allPerEntry: Double { Double(allBytes) / Double(max(entries, 1)) }
        var jsonPerEntry: Double { Double(jsonBytes) / Double(max(jsonLines, 1)) }
    }

    static func report(replay: WorkloadReplay, workload: [UInt8]) {
        let json = JSONLineSizes(workload)
        let farms = replay.meta.actors.filter { $0 != replay.meta.hub }
        let batches = farms.map { batch(of: $0, replay: replay, json: json) }
        // WORKLOAD.md: the median farm by entry count, ties by farm id.
        let ordered = batches.sorted { ($0.entries, $0.farm) < ($1.entries, $1.farm) }
        let target = ordered[ordered.count / 2]

        print("\n2. encoded bytes per ledger entry, one node's batch (EventBatch.encode)")
        print("  target farm  \(target.farm) (median by entry count: index \(ordered.count / 2) of \(ordered.count))")
        print("  entries      \(Format.grouped(target.entries)) (.append events; node has \(Format.grouped(target.events)) events incl. catalog writes)")
        print("  appends only \(Format.grouped(target.appendBytes)) bytes = \(Format.fixed(target.appendPerEntry, 2)) bytes/entry (\(target.appendRuns) chained runs)")
        let clockShare = Double(target.appendClockBytes) / Double(max(target.entries, 1))
        print("               of which clocks \(Format.fixed(clockShare, 2)) bytes/entry (varint of each ms difference)")
        print("  all events   \(Format.grouped(target.allBytes)) bytes = \(Format.fixed(target.allPerEntry, 2)) bytes/entry (catalog writes counted in the bytes)")
        print("  JSON lines   \(Format.grouped(target.jsonBytes)) bytes = \(Format.fixed(target.jsonPerEntry, 2)) bytes/entry (\(Format.grouped(target.jsonLines)) lines, \\n included)")
        print("  ratio        JSON / batch = \(Format.fixed(target.jsonPerEntry / target.appendPerEntry, 1))×")
        print("  round trip   \(batches.allSatisfy(\.roundTrips) ? "every farm's batch decodes to the same events" : "FAILED for some farm")")
        print("  all \(batches.count) farms (median, min–max of per-farm bytes/entry):")
        print("    appends only  \(spread(batches.map(\.appendPerEntry)))")
        print("    all events    \(spread(batches.map(\.allPerEntry)))")
        print("    JSON lines    \(spread(batches.map(\.jsonPerEntry)))")
        let counts = batches.map(\.entries)
        let median = Int(Samples(values: counts.map(Double.init)).median.rounded())
        let range = "\(Format.grouped(counts.min() ?? 0))–\(Format.grouped(counts.max() ?? 0))"
        print("    entries       \(Format.grouped(counts.reduce(0, +))) in total; per farm \(Format.grouped(median)) (\(range))")
    }

    static func batch(of farm: String, replay: WorkloadReplay, json: JSONLineSizes) -> FarmBatch {
        let node = WorkloadReplay.nodeID(forActor: farm)
        let events = replay.replica(of: farm)?.history.events(of: node) ?? []
        let appends = events.filter {
            if case .append = $0.operation { true } else { false }
        }
        let appendBytes = EventBatch.encode(appends)
        let allBytes = EventBatch.encode(events)
        let decoded = try? EventBatch.decode(appendBytes)
        var runs = appends.isEmpty ? 0 : 1
        for (previous, event) in zip(appends, appends.dropFirst()) where event.dot.seq != previous.dot.seq + 1 {
            runs += 1
        }
        let lines = json.byFarm[farm] ?? (lines: 0, bytes: 0)
        return FarmBatch(
            farm: farm, entries: appends.count, events: events.count,
            appendBytes: appendBytes.count, appendRuns: runs, appendClockBytes: clockBytes(appends),
            allBytes: allBytes.count,
            jsonBytes: lines.bytes, jsonLines: lines.lines, roundTrips: decoded == appends
        )
    }

    /// The bytes `EventBatch` spends on the clocks of `events`, encoded in this order: a
    /// varint of the zig-zagged millisecond difference with a flag bit, then the logical
    /// counter when it is not zero (protocol/SPEC.md, "Event batches").
    static func clockBytes(_ events: [Event]) -> Int {
        func varintSize(_ value: UInt64) -> Int { max(1, (64 - value.leadingZeroBitCount + 6) / 7) }
        var last = HLCTimestamp.zero
        var total = 0
        for event in events {
            let delta = Int64(bitPattern: event.clock.physical &- last.physical)
            let zigzag = UInt64(bitPattern: (delta << 1) ^ (delta >> 63))
            total += varintSize(zigzag << 1 | (event.clock.logical != 0 ? 1 : 0))
            if event.clock.logical != 0 { total += varintSize(UInt64(event.clock.logical)) }
            last = event.clock
        }
        return total
    }

    static func spread(_ values: [Double]) -> String {
        let samples = Samples(values: values)
        return "\(Format.fixed(samples.median, 2)) (\(Format.fixed(samples.min, 2))–\(Format.fixed(samples.max, 2)))"
    }
}

/// Sizes of the `entry` lines of a workload file, per farm (`"farm":"F18"`).
struct JSONLineSizes {
    var byFarm: [String: (lines: Int, bytes: Int)] = [:]

    init(_ bytes: [UInt8]) {
        let entryPrefix = Array(#"{"t":"entry""#.utf8)
        let farmKey = Array(#""farm":""#.utf8)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            let line = bytes[start..<end]
            if line.starts(with: entryPrefix), let farm = Self.value(after: farmKey, in: line) {
                byFarm[farm, default: (0, 0)].lines += 1
                byFarm[farm, default: (0, 0)].bytes += line.count + (end < bytes.count ? 1 : 0)
            }
            start = end + 1
        }
    }

    /// The string value following `key` in a compact JSON line.
    private static func value(after key: [UInt8], in line: ArraySlice<UInt8>) -> String? {
        var index = line.startIndex
        while index + key.count <= line.endIndex {
            if line[index..<index + key.count].elementsEqual(key) {
                let valueStart = index + key.count
                guard let close = line[valueStart...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
                return String(decoding: line[valueStart..<close], as: UTF8.self)
            }
            index += 1
        }
        return nil
    }
}
