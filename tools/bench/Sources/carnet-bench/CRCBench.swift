import CarnetCore
import CarnetStore
import Foundation

/// `--only crc`: throughput of CRC-32C, by the tables and by the processor's instruction
/// (what `CRC32C.checksum` takes on this machine), and of SHA-256, by the rounds written
/// here and by the processor's SHA extensions. A writer checks every record of the log
/// before it appends (RELIABILITY I3): 195 MB at 10M events, for each `record`; every
/// event decoded is hashed. Needs no workload.
enum CRCBench {
    static let bytesPerRun = 256 << 20

    static func report(runs: Int) {
        print("carnet-bench --only crc")
        print("  source       \(Machine.sourceRevision)")
        print("  machine      \(Machine.summary)")
        print("  date         \(Date().formatted(.iso8601))")
        print("  runs         \(runs) per figure (median, min–max); \(bytesPerRun >> 20) MiB per run in 8 MiB pieces (the log check's)")
        print("  instruction  \(CRC32C.usesInstruction ? "used (SSE4.2 crc32)" : "not on this processor: both rows are the tables")")
        var random = SplitMix64(seed: 20_261_207)
        let piece = (0..<(8 << 20)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let pieces = bytesPerRun / piece.count
        let ways: [(String, (UnsafeRawBufferPointer, UInt32) -> UInt32)] = [
            ("tables     ", { CRC32C.byTables($0, initial: $1) }),
            ("checksum   ", { CRC32C.checksum($0, initial: $1) }),
        ]
        var results: [UInt32] = []
        for (name, way) in ways {
            let (samples, crc) = Samples.time(runs: runs) { () -> UInt32 in
                piece.withUnsafeBytes { bytes in
                    var crc: UInt32 = 0
                    for _ in 0..<pieces { crc = way(bytes, crc) }
                    return crc
                }
            }
            results.append(crc)
            let rate = Double(bytesPerRun) / samples.median / 1_000_000
            print("  \(name)  \(Format.fixed(rate, 0)) MB/s (min–max \(Format.fixed(Double(bytesPerRun) / samples.max / 1_000_000, 0))–"
                  + "\(Format.fixed(Double(bytesPerRun) / samples.min / 1_000_000, 0))), \(samples.timeSummary)")
        }
        guard Set(results).count == 1 else { fail("crc: the tables and the instruction disagree") }
        print("  SHA-256      \(SHA256.usesInstructions ? "the SHA extensions used" : "no SHA extensions: both rows are the rounds"); "
              + "messages of 200 bytes (an event) and of 8 MiB")
        for size in [200, 8 << 20] {
            let message = Array(piece.prefix(size))
            let count = (bytesPerRun / 4) / size
            var digests: [SHA256Digest] = []
            for (name, make) in [("rounds     ", { SHA256.byRounds() }), ("hash       ", { SHA256() })] {
                let (samples, digest) = Samples.time(runs: runs) { () -> SHA256Digest in
                    var last = SHA256Digest(bytes: [UInt8](repeating: 0, count: 32))!
                    for _ in 0..<count {
                        var hasher = make()
                        hasher.update(message)
                        last = hasher.finalize()
                    }
                    return last
                }
                digests.append(digest)
                let rate = Double(count * size) / samples.median / 1_000_000
                print("  \(name)  \(size == 200 ? "200 B" : "8 MiB")  \(Format.fixed(rate, 0)) MB/s, \(samples.timeSummary)")
            }
            guard digests[0] == digests[1] else { fail("crc: SHA-256 by the rounds and by the instructions disagree") }
        }
    }
}
