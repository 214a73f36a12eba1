/// A custody receipt as text (protocol/SPEC.md 9.6): what `carnet receipt show` prints and
/// `carnet receipt verify FILE` reads, so that a receipt can be handed to a treasurer and
/// checked on another machine, by this code or by anything that reads the SPEC.
///
///     carnet-receipt 1
///     ledger <32 hex digits>
///     holder <32 hex digits>
///     subject <32 hex digits>
///     seq <decimal>
///     head <64 hex digits>
///     held-at <decimal milliseconds since 1970>
///     signature <128 hex digits>
extension CustodyReceipt {
    public static let textMagic = "carnet-receipt 1"

    /// Why a text is not a receipt; the message names the line at fault.
    public struct TextError: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The text form: each line `key value`, a newline after each, lowercase hex.
    public var text: String {
        [Self.textMagic, "ledger \(ledger.hex)", "holder \(holder.hex)", "subject \(subject.hex)", "seq \(seq)",
         "head \(head.hex)", "held-at \(heldAtMillis)", "signature \(Hex.encode(signature))"].map { $0 + "\n" }.joined()
    }

    /// Reads the text form: lines split on newlines (one carriage return at a line's end
    /// dropped), the first exactly the magic, then every key once; unknown keys refused, so
    /// that nothing in a receipt is left unread. The signature is not checked here.
    public init(text: String) throws(TextError) {
        // Split as bytes: a Swift Character joins "\r\n" into one.
        var lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        if lines.last == "" { lines.removeLast() }
        guard lines.first == Self.textMagic else { throw TextError("the first line is not `\(Self.textMagic)`: not a custody receipt") }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() where !line.isEmpty {
            guard let space = line.firstIndex(of: " ") else { throw TextError("the line `\(line)` has no value") }
            let key = String(line[..<space])
            guard ["ledger", "holder", "subject", "seq", "head", "held-at", "signature"].contains(key) else {
                throw TextError("unknown line `\(key)`")
            }
            guard fields[key] == nil else { throw TextError("the line `\(key)` appears twice") }
            fields[key] = String(line[line.index(after: space)...])
        }
        func field(_ key: String) throws(TextError) -> String {
            guard let value = fields[key] else { throw TextError("the line `\(key)` is missing") }
            return value
        }
        func decimal(_ key: String) throws(TextError) -> UInt64 {
            let value = try field(key)
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = UInt64(value) else {
                throw TextError("`\(key)` is not an unsigned decimal number: \(value)")
            }
            return number
        }
        func hex(_ key: String, bytes count: Int) throws(TextError) -> [UInt8] {
            let value = try field(key)
            guard value.utf8.count == 2 * count, let bytes = Hex.decode(value) else {
                throw TextError("`\(key)` is not \(2 * count) hex digits: \(value)")
            }
            return bytes
        }
        let ledger = try hex("ledger", bytes: LedgerID.byteCount)
        let holder = try hex("holder", bytes: 16)
        let subject = try hex("subject", bytes: 16)
        let head = try hex("head", bytes: 32)
        self.init(ledger: LedgerID(bytes: ledger)!, holder: NodeID(bytes: holder),
                  subject: NodeID(bytes: subject), seq: try decimal("seq"), head: SHA256Digest(bytes: head)!,
                  heldAtMillis: try decimal("held-at"), signature: try hex("signature", bytes: Ed25519.signatureByteCount))
    }
}
