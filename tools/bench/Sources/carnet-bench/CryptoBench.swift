import CarnetCore

/// `--only crypto-sign`: the rates of Carnet's own signature primitives (CarnetCore:
/// `SHA512`, `Ed25519`) and of its Diffie–Hellman (`X25519`, one per handshake and side
/// for each of its DH tokens), one thread, no workload file needed.
///
/// Every figure is timed `runs` times; a run repeats the operation a fixed number of times
/// and the median run gives the rate. Messages are 32 bytes, the size of the SHA-256 head
/// a node will sign, and 1 KiB; keys and messages come from a fixed seed.
enum CryptoBench {
    static func report(runs: Int) {
        print("\ncrypto-sign: SHA-512, Ed25519 and X25519 (CarnetCore, one thread)")
        var rng = SplitMix64(seed: 8032)
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) } }

        // The process's first signing key builds the base point's table (once per process).
        let clock = ContinuousClock()
        let firstSeed = bytes(32)
        let start = clock.now
        let firstKey = Ed25519.PrivateKey(seed: firstSeed)!
        let first = (clock.now - start).seconds
        let secondStart = clock.now
        let secondKey = Ed25519.PrivateKey(seed: firstSeed)!
        let second = (clock.now - secondStart).seconds
        if firstKey.publicKey != secondKey.publicKey { print("  the same seed gave two public keys") }
        print("  first key    \(Format.fixed(first * 1000, 2)) ms in this process (the 256-point base table is built), then \(Format.fixed(second * 1_000_000, 1)) µs")

        // Hashing throughput on a 1 MiB buffer, SHA-256 beside it for scale.
        let buffer = bytes(1 << 20)
        let hashRepeats = 64
        let megabytes = Double(buffer.count) / 1e6
        let sha512 = rate(runs: runs, operations: hashRepeats) { _ in UInt8(truncatingIfNeeded: SHA512.hash(buffer).w0) }
            .scaled(by: megabytes)
        let sha256 = rate(runs: runs, operations: hashRepeats) { _ in UInt8(truncatingIfNeeded: SHA256.hash(buffer).w0) }
            .scaled(by: megabytes)
        print("  SHA-512      \(Format.fixed(sha512.median, 1)) MB/s median (min–max \(Format.fixed(sha512.low, 1))–\(Format.fixed(sha512.high, 1))), 1 MiB buffers")
        print("  SHA-256      \(Format.fixed(sha256.median, 1)) MB/s median (min–max \(Format.fixed(sha256.low, 1))–\(Format.fixed(sha256.high, 1))), same buffers, for scale")
        let small = bytes(32)
        let smallHashes = rate(runs: runs, operations: 200_000) { _ in UInt8(truncatingIfNeeded: SHA512.hash(small).w0) }
        print("  SHA-512 of 32 bytes  \(perSecond(smallHashes)) hashes/s")

        let seeds = (0..<64).map { _ in bytes(32) }
        let keys = seeds.map { Ed25519.PrivateKey(seed: $0)! }
        let publicKeys = keys.map { Ed25519.PublicKey(bytes: $0.publicKey.bytes)! }
        let message32 = bytes(32)
        let message1k = bytes(1024)
        let signatures32 = keys.map { $0.sign(message32) }
        let signatures1k = keys.map { $0.sign(message1k) }
        let encodedKeys = keys.map(\.publicKey.bytes)
        let count = 2_000

        let keyGeneration = rate(runs: runs, operations: count) { index in
            Ed25519.PrivateKey(seed: seeds[index % seeds.count])!.publicKey.bytes[0]
        }
        let sign32 = rate(runs: runs, operations: count) { index in keys[index % keys.count].sign(message32)[0] }
        let sign1k = rate(runs: runs, operations: count) { index in keys[index % keys.count].sign(message1k)[0] }
        var failures = 0
        let verify32 = rate(runs: runs, operations: count) { index in
            let i = index % keys.count
            if !publicKeys[i].isValidSignature(signatures32[i], for: message32) { failures += 1 }
            return 0
        }
        let verify1k = rate(runs: runs, operations: count) { index in
            let i = index % keys.count
            if !publicKeys[i].isValidSignature(signatures1k[i], for: message1k) { failures += 1 }
            return 0
        }
        let decode = rate(runs: runs, operations: count) { index in
            Ed25519.PublicKey(bytes: encodedKeys[index % encodedKeys.count])!.bytes[0]
        }
        print("  key pair     \(perSecond(keyGeneration)) per second from a seed (PrivateKey(seed:): SHA-512, [s]B, encoding)")
        print("  sign         \(perSecond(sign32)) signatures/s, 32-byte message; \(perSecond(sign1k)) for 1 KiB")
        print("  verify       \(perSecond(verify32)) verifications/s, 32-byte message; \(perSecond(verify1k)) for 1 KiB (key decoded once)")
        print("  decode key   \(perSecond(decode)) public keys/s (PublicKey(bytes:): a square root, checked)")
        print("  check        \(failures == 0 ? "every signature verified" : "\(failures) signatures FAILED to verify")")

        // X25519: a key pair is one ladder on the base point, a shared secret one ladder on
        // the peer's key plus the zero check.
        let dhKeys = seeds.map { X25519.PrivateKey(bytes: $0)! }
        let peers = dhKeys.map(\.publicKey).reversed().map { $0 }
        var refused = 0
        let dhKeyPair = rate(runs: runs, operations: count) { index in
            X25519.PrivateKey(bytes: seeds[index % seeds.count])!.publicKey[0]
        }
        let dhShared = rate(runs: runs, operations: count) { index in
            guard let secret = dhKeys[index % dhKeys.count].sharedSecret(with: peers[index % peers.count]) else {
                refused += 1
                return 0
            }
            return secret[0]
        }
        print("  X25519 pair  \(perSecond(dhKeyPair)) key pairs/s (PrivateKey(bytes:): X25519(k, 9))")
        print("  X25519 DH    \(perSecond(dhShared)) shared secrets/s (sharedSecret(with:): the ladder, an inversion, the zero check)")
        if refused > 0 { print("  X25519: \(refused) shared secrets FAILED") }
    }

    struct Rate {
        var median: Double
        var low: Double
        var high: Double

        func scaled(by factor: Double) -> Rate {
            Rate(median: median * factor, low: low * factor, high: high * factor)
        }
    }

    /// Operations per second over `runs` runs of `operations` calls each.
    private static func rate(runs: Int, operations: Int, _ body: (Int) -> UInt8) -> Rate {
        var sink: UInt8 = 0
        let (samples, _) = Samples.time(runs: runs) {
            for index in 0..<operations { sink ^= body(index) }
        }
        if sink == 42 { print("", terminator: "") }  // keep the results alive
        let perRun = Double(operations)
        return Rate(median: perRun / samples.median, low: perRun / samples.max, high: perRun / samples.min)
    }

    private static func perSecond(_ rate: Rate) -> String {
        "\(Format.rate(rate.median)) (min–max \(Format.rate(rate.low))–\(Format.rate(rate.high)))"
    }
}
