import CarnetCore
import CarnetWire

/// Fuzz target (e): bundle files (`BundleFormat`), what `carnet bundle apply` reads from a
/// USB stick.
///
/// Input: a selector byte, then the file. Selector bit 0: raw file (0) or valid envelope
/// (1: the rest is the body; the harness writes the header and the SHA-256 trailer, and
/// when bit 1 is set also the chunk list: `length()` batch pieces of the rest become
/// chunks with their true event counts and lengths).
///
/// Selector bit 2: format 2 (sealed, protocol/SPEC.md §6.4), opened with a fixed secret; with
/// bit 0 the harness seals the body it made (so the fuzzer reaches the plaintext decoder).
///
/// Properties: no crash; a bundle that decodes re-encodes to a file that decodes to an
/// identical bundle, and encoding it again gives the same bytes. Sealed: re-sealed, it
/// opens to the same events (heads: a subset, duplicates of one event's head dropped),
/// and sealing that again gives the same bytes.
public enum BundleTarget {
    static let name = "bundle"

    public static func run(_ input: [UInt8]) throws(FuzzViolation) {
        guard let selector = input.first else { return }
        var source = FuzzInput(input, offset: 1)
        if selector & 4 != 0 {
            try sealed(selector, &source)
            return
        }
        let file: [UInt8]
        if selector & 1 == 0 {
            file = source.rest()
        } else {
            file = envelope(&source, chunked: selector & 2 != 0)
        }
        guard let bundle = try? BundleFormat.decode(file) else { return }
        let encoded = bundle.encode()
        let again: BundleFormat
        do {
            again = try BundleFormat.decode(encoded)
        } catch {
            throw FuzzViolation(name, "a re-encoded bundle does not decode: \(error)")
        }
        try require(again == bundle && again.ledger.utf8.elementsEqual(bundle.ledger.utf8)
                    && again.creatorLabel.utf8.elementsEqual(bundle.creatorLabel.utf8), name,
                    "bundle round trip changed its header fields")
        try require(EventComparison.identical(again.events, bundle.events), name,
                    "bundle round trip: " + EventComparison.firstDifference(bundle.events, again.events))
        try require(again.encode() == encoded, name, "encoding a decoded bundle twice gives different bytes")
    }

    static let secret = [UInt8](repeating: 0x11, count: 32)
    static let salt = [UInt8](repeating: 0x22, count: 32)

    static func sealed(_ selector: UInt8, _ source: inout FuzzInput) throws(FuzzViolation) {
        var file: [UInt8]
        if selector & 1 == 0 {
            file = source.rest()
        } else {
            let body = self.body(&source, chunked: selector & 2 != 0)
            guard !body.isEmpty else { return }
            file = BundleSeal.seal(plaintext: body, ledgerID: nil, secret: secret, salt: salt)
        }
        guard let bundle = try? BundleFormat.decode(file, secret: secret) else { return }
        let resealed = BundleSeal.seal(bundle, ledgerID: nil, secret: secret, salt: salt)
        let again: BundleFormat
        do {
            again = try BundleFormat.decode(resealed, secret: secret)
        } catch {
            throw FuzzViolation(name, "a re-sealed bundle does not open: \(error)")
        }
        try require(EventComparison.identical(again.events, bundle.events), name,
                    "sealed round trip: " + EventComparison.firstDifference(bundle.events, again.events))
        try require(Set(again.heads).isSubset(of: Set(bundle.heads)), name, "sealed round trip added heads")
        try require(BundleSeal.seal(again, ledgerID: nil, secret: secret, salt: salt) == resealed, name,
                    "sealing an opened bundle twice gives different bytes")
    }

    static var header: [UInt8] {
        FileHeader.bundle.bytes
    }

    /// A file with the harness's header and checksum around the input's body.
    static func envelope(_ source: inout FuzzInput, chunked: Bool) -> [UInt8] {
        let file = header + body(&source, chunked: chunked)
        return file + SHA256.hash(file).bytes
    }

    /// A body from the input: as it is, or fields and chunks with true counts and lengths.
    static func body(_ source: inout FuzzInput, chunked: Bool) -> [UInt8] {
        var body: [UInt8] = []
        if chunked {
            // Fixed-size fields from the input, then chunks whose counts and lengths are true.
            // Ledger and label as short ASCII strings (always valid UTF-8).
            let ledger = source.take(source.length()).prefix(64).map { $0 & 0x7F }
            body += [UInt8(ledger.count)] + ledger
            body += source.takePadded(16)
            let label = source.take(source.length()).prefix(64).map { $0 & 0x7F }
            body += [UInt8(label.count)] + label
            body += source.takePadded(8)
            let flag = source.byte() & 1
            body += [flag] + (flag == 1 ? source.takePadded(16) : [])
            var chunks: [[UInt8]] = []
            while !source.isAtEnd { chunks.append(CodecTarget.batchHeader + source.take(source.length())) }
            var list = ByteWriter(capacity: 64)
            list.varint(UInt64(chunks.count))
            for chunk in chunks {
                list.varint(UInt64((try? EventBatch.decode(chunk).count) ?? 0))
                list.varint(UInt64(chunk.count))
                list.raw(chunk)
            }
            body += list.bytes
        } else {
            body = source.rest()
        }
        return body
    }
}
