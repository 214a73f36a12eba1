import CarnetCore
import CarnetLedger
import CarnetNode

/// A kept custody receipt (SPEC 9.6) as `status`, `peers list` and `receipt show` tell
/// it: who holds this node's events, up to which seq, since when, and whether that covers
/// everything this node wrote. Read from the `receipts` file: the signature was checked
/// when the receipt arrived; `carnet receipt verify` checks it again against the ledger.
struct PeerReceipt {
    var receipt: CustodyReceipt
    /// The holder's label, as the peer-state file knows it.
    var label: String?
    /// This node's newest own seq under the receipt's subject, when known.
    var ownNewest: UInt64?

    /// Every kept receipt, with its holder's label. `own` is this node's version vector,
    /// when known without opening the store.
    static func all(directory: String, own: VersionVector?) throws -> [PeerReceipt] {
        let labels = Dictionary(PeerBook.states(directory: directory).values.compactMap { record in
            record.peerNode.map { ($0, record.peerLabel ?? "") }
        }) { first, _ in first }
        return try ReceiptBook.load(directory: directory).map { receipt in
            PeerReceipt(receipt: receipt, label: labels[receipt.holder].flatMap { $0.isEmpty ? nil : $0 },
                        ownNewest: own.map { $0[receipt.subject] })
        }
    }

    /// The holder as a person reads it: its label and short id.
    var holderName: String { label.map { "\($0) (\(receipt.holder.short))" } ?? receipt.holder.short }

    /// When the holder signed, by its clock, in UTC.
    var time: String { HLCTimestamp(physical: receipt.heldAtMillis, logical: 0).readable + " UTC" }

    /// Whether the receipt covers every event this node wrote under its subject id.
    var coversAll: Bool? { ownNewest.map { receipt.seq >= $0 } }

    /// "hub (1a2b3c4d) holds everything this node wrote, up to seq 127, at 2026-06-01
    /// 14:02:00 UTC, signed".
    var sentence: String {
        let what: String
        switch coversAll {
        case true?: what = "everything this node wrote, up to seq \(receipt.seq)"
        case false?: what = "what this node wrote up to seq \(receipt.seq) (\(ownNewest! - receipt.seq) events since are not covered yet)"
        case nil: what = "this node's events up to seq \(receipt.seq)"
        }
        return "\(holderName) holds \(what), as of \(time), signed"
    }

    /// The short form for a table cell: "seq 127, 2026-06-01 14:02:00 UTC".
    var cell: String { "seq \(receipt.seq), \(time)" }

    var json: JSON {
        .object([
            "node": .string(receipt.holder.hex), "label": .optional(label), "seq": .int(receipt.seq),
            "time": .string(PeerStatus.iso(receipt.heldAtMillis)), "timeMillis": .int(receipt.heldAtMillis),
            "subject": .string(receipt.subject.hex), "head": .string(receipt.head.hex),
            "coversAll": coversAll.map(JSON.bool) ?? .null, "signature": .string(Hex.encode(receipt.signature)),
        ])
    }
}
