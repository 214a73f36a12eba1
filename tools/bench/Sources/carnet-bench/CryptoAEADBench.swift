import CarnetCore
import Foundation

/// `--only crypto-aead`: throughput of Carnet's own ChaCha20-Poly1305 (RFC 8439), seal and
/// open, for 1 KiB messages (a sync frame) and 64 KiB messages (a bundle chunk). Needs no
/// workload: every sealed link and bundle of issue 18 pays this cost per byte.
enum CryptoAEADBench {
    /// Bytes processed per timed run, whatever the message size, so each run lasts long
    /// enough to time (tens of milliseconds) and both sizes move the same volume.
    static let bytesPerRun = 32 << 20

    static func report(runs: Int) {
        print("carnet-bench --only crypto-aead")
        print("  source       \(Machine.sourceRevision)")
        print("  machine      \(Machine.summary)")
        print("  date         \(Date().formatted(.iso8601))")
        print("  runs         \(runs) per figure (median, min–max); \(bytesPerRun >> 20) MiB of messages per run, 13 bytes of AAD each")
        var random = SplitMix64(seed: 20_261_205)
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        let aead = ChaCha20Poly1305(key: bytes(32))!
        let aad = bytes(13)
        for size in [1024, 65536] {
            let plaintext = bytes(size)
            let count = bytesPerRun / size
            let nonces = (0..<count).map { _ in ChaCha20Poly1305.Nonce(bytes(12))! }
            let (sealSamples, sealed) = Samples.time(runs: runs) {
                nonces.map { aead.seal(plaintext, nonce: $0, aad: aad) }
            }
            let (openSamples, opened) = Samples.time(runs: runs) { () -> Int in
                var total = 0
                for index in 0..<count {
                    let opened: [UInt8]? = aead.open(sealed[index], nonce: nonces[index], aad: aad)
                    total += opened?.count ?? 0
                }
                return total
            }
            guard opened == count * size else { fail("crypto-aead: a sealed message did not open") }
            let label = size == 1024 ? "1 KiB " : "64 KiB"
            for (name, samples) in [("seal", sealSamples), ("open", openSamples)] {
                let rate = Double(count * size) / samples.median / 1_000_000
                let fastest = Double(count * size) / samples.min / 1_000_000
                let slowest = Double(count * size) / samples.max / 1_000_000
                print("  \(name) \(label)  \(Format.fixed(rate, 1)) MB/s (min–max \(Format.fixed(slowest, 1))–\(Format.fixed(fastest, 1))), \(Format.grouped(count)) messages in \(samples.timeSummary)")
            }
        }
    }
}
