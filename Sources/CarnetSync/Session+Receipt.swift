import CarnetCore
import CarnetWire

/// Custody receipts in a session (protocol/SPEC.md 9.6). A dialer of a signed ledger
/// whose latest receipt from this peer does not cover its newest own event asks in
/// message 1 (bit 1); the listener, once it has acknowledged every batch the dialer's DONE
/// names, signs what it then holds of the dialer's node and sends it in a RECEIPT; the
/// dialer rebuilds the statement (it knows the ledger, both nodes and its own event's
/// hash), checks it, and is caught up only once it has it. A session where the dialer
/// did not ask sends nothing more than before.
extension Session {
    /// What each side owes or awaits.
    struct ReceiptState: Sendable {
        /// Listener: the dialer asked; dialer: this side asked.
        var asked = false
        /// Listener: the RECEIPT went out. Dialer: it arrived (checked, or seq 0).
        var settled = false
        /// Dialer: the key the listener's device proof verified under, which must sign it.
        var peerKey: NodeKey?

        /// The dialer waits for a RECEIPT before it is caught up.
        var awaited: Bool { asked && !settled }
    }

    /// The largest RECEIPT frame: 5 bytes of header, the inner type, a 10-byte varint,
    /// the time and signature, the tag. Kept back from a budget while one is due (8.3.9).
    static let receiptFrameReserve = 5 + 1 + 10 + 8 + ReceiptMessage.signatureLength + FrameLimits.tagLength

    /// Listener: the RECEIPT, once the dialer asked and every batch its DONE names is
    /// durable here, signed over the newest event of the dialer's node this side holds
    /// (seq 0 and no signature when it holds none). Nil while not due, or once sent.
    mutating func receiptDue(_ established: inout Established, now: Duration) -> SessionDirective? {
        guard role == .listener, receipts.asked, !receipts.settled, established.transfer.peerDoneAndStored,
              let devices, let ledgerID, let subject = statistics.peerDevice else { return nil }
        receipts.settled = true
        established.transfer.receiptDue = false
        var body = ReceiptMessage(seq: 0, signed: nil)
        if let tip = devices.newestHeld(subject), tip.dot.seq > 0 {
            let statement = CustodyReceipt(ledger: ledgerID, holder: summaries.local.node, subject: subject, seq: tip.dot.seq,
                                           head: tip.hash, heldAtMillis: wallMillis(at: now), signature: [])
            // The key was read at the handshake; were signing to fail now, the dialer would
            // refuse the zero signature and keep no receipt.
            let signature = devices.sign(statement.signedMessage) ?? [UInt8](repeating: 0, count: ReceiptMessage.signatureLength)
            body = ReceiptMessage(seq: tip.dot.seq, signed: (statement.heldAtMillis, signature))
        }
        return send(established.channel.seal(.receipt(body)), now: now)
    }

    /// Dialer: the listener's RECEIPT. Kept only when it names this node's own event at
    /// its seq and verifies under the key the listener proved its device with; anything
    /// else ends the session (`authentication-failed`), nothing of it kept. Everything the
    /// listener acknowledged stays stored on both sides.
    mutating func receiptArrived(_ message: ReceiptMessage, _ established: Established, now: Duration) -> [SessionDirective] {
        guard role == .dialer, receipts.awaited else {
            return fail(SessionFailure(.unexpectedMessage, "the peer sent a custody receipt this node did not ask for"), now: now)
        }
        receipts.settled = true
        var established = established
        established.transfer.receiptDue = false
        state = .established(established)
        guard let signed = message.signed else { return pump(now: now) }
        func refused(_ reason: String) -> [SessionDirective] {
            fail(SessionFailure(.authenticationFailed, "the peer's custody receipt " + reason + "; it was not kept",
                                toPeer: "the peer refused this node's custody receipt: it " + reason), now: now)
        }
        let subject = summaries.local.node
        guard let ledgerID, let holder = summaries.peer?.node, let key = receipts.peerKey else {
            return refused("came before the peer proved its device")
        }
        guard let event = priming.context?(subject, message.seq, 1)?.last, event.dot.seq == message.seq else {
            return refused("names seq \(message.seq) of this node (\(subject.hex)), which this node never wrote")
        }
        let receipt = CustodyReceipt(ledger: ledgerID, holder: holder, subject: subject, seq: message.seq, head: event.hash,
                                     heldAtMillis: signed.heldAtMillis, signature: signed.signature)
        guard receipt.isValid(for: key) else {
            return refused("does not verify under the device key of its holder (\(holder.hex)) for this node's event at seq "
                               + "\(message.seq)")
        }
        return [.receiptReceived(receipt)] + pump(now: now)
    }
}
