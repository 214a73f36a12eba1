import CarnetCore
import Testing

private let ledger = LedgerID(bytes: Array(repeating: 7, count: 16))!

private func signer(_ seed: UInt64) -> DeviceSigner {
    var generator = SplitMix64(seed: seed)
    return DeviceSigner.generate(using: &generator)
}

private func replacing(_ text: String, _ old: String, _ new: String) -> String {
    text.split(separator: old, omittingEmptySubsequences: false).joined(separator: new)
}

private let hub = signer(1)
private let farm = signer(2)
private let head = SHA256Digest(0x0102_0304_0506_0708, 9, 10, 11)

private func receipt() -> CustodyReceipt {
    hub.signReceipt(subject: farm.node, seq: 127, head: head, heldAtMillis: 1_780_000_000_000, ledger: ledger)
}

/// A custody receipt (protocol/SPEC.md 9.6): the holder's device signs "on ledger L, I
/// hold node N up to seq S, head H, at time T".
@Suite struct CustodyReceiptTests {
    @Test func signedMessageIsTheSpecLayout() {
        let message = receipt().signedMessage
        var expected = Array("carnet/2 receipt".utf8) + ledger.bytes
        var writer = ByteWriter()
        writer.nodeID(hub.node)
        writer.nodeID(farm.node)
        writer.uint64BigEndian(127)
        writer.digest(head)
        writer.uint64BigEndian(1_780_000_000_000)
        expected += writer.bytes
        #expect(message == expected)
        #expect(message.count == 16 + 16 + 16 + 16 + 8 + 32 + 8)
    }

    @Test func verifiesUnderTheHoldersKeyOnly() {
        let good = receipt()
        #expect(good.isValid(for: hub.nodeKey))
        #expect(!good.isValid(for: farm.nodeKey), "another node's key")
    }

    @Test func everyFlippedByteFails() {
        let good = receipt()
        let message = good.signedMessage
        // Each field of the message, and the signature, changed by one bit.
        for index in 0..<message.count where index >= CustodyReceipt.domain.count {
            var bytes = message
            bytes[index] ^= 0x01
            #expect(!hub.nodeKey.publicKey.isValidSignature(good.signature, for: bytes), "byte \(index)")
        }
        for index in good.signature.indices {
            var signature = good.signature
            signature[index] ^= 0x80
            let bad = CustodyReceipt(ledger: ledger, holder: hub.node, subject: farm.node, seq: 127, head: head,
                                     heldAtMillis: good.heldAtMillis, signature: signature)
            #expect(!bad.isValid(for: hub.nodeKey), "signature byte \(index)")
        }
        let moved = [
            CustodyReceipt(ledger: ledger, holder: hub.node, subject: farm.node, seq: 128, head: head,
                           heldAtMillis: good.heldAtMillis, signature: good.signature),
            CustodyReceipt(ledger: ledger, holder: hub.node, subject: farm.node, seq: 127, head: head,
                           heldAtMillis: good.heldAtMillis + 1, signature: good.signature),
            CustodyReceipt(ledger: LedgerID(bytes: Array(repeating: 8, count: 16))!, holder: hub.node, subject: farm.node,
                           seq: 127, head: head, heldAtMillis: good.heldAtMillis, signature: good.signature),
            CustodyReceipt(ledger: ledger, holder: hub.node, subject: hub.node, seq: 127, head: head,
                           heldAtMillis: good.heldAtMillis, signature: good.signature),
        ]
        for bad in moved { #expect(!bad.isValid(for: hub.nodeKey)) }
    }

    @Test func aHeadSignatureIsNoReceipt() {
        // The domains keep a node's head signatures and its receipts apart.
        let signedHead = hub.signHead(seq: 127, hash: head, ledger: ledger)
        let forged = CustodyReceipt(ledger: ledger, holder: hub.node, subject: farm.node, seq: 127, head: head,
                                    heldAtMillis: 0, signature: signedHead.signature)
        #expect(!forged.isValid(for: hub.nodeKey))
    }

    @Test func textFormRoundTripsAndRefusesDamage() throws {
        let good = receipt()
        let text = good.text
        #expect(text.hasPrefix("carnet-receipt 1\n"))
        #expect(try CustodyReceipt(text: text) == good)
        #expect(try CustodyReceipt(text: replacing(text, "\n", "\r\n")) == good)
        #expect(throws: CustodyReceipt.TextError.self) { try CustodyReceipt(text: "carnet-receipt 2\n") }
        #expect(throws: CustodyReceipt.TextError.self) { try CustodyReceipt(text: String(text.dropLast(10))) }
        #expect(throws: CustodyReceipt.TextError.self) {
            try CustodyReceipt(text: replacing(text, "seq 127", "seq -1"))
        }
    }
}
