import CarnetCore
import CarnetWire

/// Hand-made batches no honest writer makes, for the limits on the work a batch may cause
/// (protocol/SPEC.md §3.2). Written byte by byte rather than by `EventBatch.encode`:
/// the encoder looks every string up in its dictionaries by content, which for 32,768
/// references to a 64 KiB string takes minutes in a debug build.
public enum HostileBatch {
    public static let node = NodeID.derived(from: "attacker")

    /// One run of `count` events by `node` from seq 1, each an entry whose 64 text
    /// fields (all named "n") name one string of `textBytes` bytes: the string travels
    /// once, each event costs ~67 bytes, and each event's canonical bytes repeat it 64
    /// times (4 MiB for a 64 KiB string).
    public static func blowUp(count: Int, textBytes: Int = WireLimits.maxStringBytes, fields: Int = 64) -> [UInt8] {
        var writer = ByteWriter(capacity: textBytes + count * (fields + 8) + 64)
        writer.raw([0x43, 0x42, EventBatch.version])
        writer.varint(1)                       // one run
        writer.varint(0)                       // node 0, new:
        writer.nodeID(node)
        writer.varint(1)                       // first seq
        writer.varint(UInt64(count))
        writer.digest(.zero)                   // previous of seq 1
        for seq in 1...count {
            writer.varint(0)                   // clock: same physical time, counter 0
            writer.varint(1)                   // shape 0
            if seq == 1 {                      // defined inline the first time
                writer.varint(0)               // kind: new string
                writer.string("harvest")
                writer.varint(UInt64(fields))
                writer.varint(0)               // field name "n": new string
                writer.string("n")
                writer.byte(1)                 // text
                for _ in 1..<fields {
                    writer.varint(0)           // "n" again: reference 0
                    writer.byte(1)
                }
            }
            writer.varint(UInt64(seq - 1) << 1)  // id: a new string
            writer.string("E\(seq)")
            for field in 0..<fields {
                writer.varint(0)               // the big string: new the first time, then reference 0
                if seq == 1, field == 0 { writer.string(String(repeating: "x", count: textBytes)) }
            }
        }
        return writer.bytes
    }
}
