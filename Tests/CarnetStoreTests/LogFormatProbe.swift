import CarnetStore

/// The test's own reading of a log image, by the format (protocol/SPEC.md §6): record
/// boundaries, and where the first unsound record is. An oracle independent of the store's
/// scanner, and cheap (framing and checksums only, no decoding), for judging what a
/// recovery should cut.
enum LogFormatProbe {
    static let headerSize = 16

    /// Where each complete record begins (whether sound or not).
    static func recordStarts(_ log: [UInt8]) -> [Int] {
        var starts: [Int] = []
        var offset = headerSize
        while offset + 8 <= log.count {
            starts.append(offset)
            offset += 8 + length(log, at: offset)
        }
        return starts
    }

    /// The first record that is incomplete or fails its checksum, and whether a sound
    /// record starts anywhere after it (then it is damage in the middle, not a torn tail).
    static func damage(_ log: [UInt8]) -> (offset: Int, inTheMiddle: Bool)? {
        guard log.count >= headerSize else { return nil }
        var offset = headerSize
        while offset < log.count {
            guard isSoundRecord(log, at: offset) else {
                let later = (offset + 1..<log.count).contains { isSoundRecord(log, at: $0) }
                return (offset, later)
            }
            offset += 8 + length(log, at: offset)
        }
        return nil
    }

    static func isSoundRecord(_ log: [UInt8], at offset: Int) -> Bool {
        guard offset + 8 <= log.count else { return false }
        let count = length(log, at: offset)
        guard count > 0, count <= log.count - offset - 8 else { return false }
        let stored = UInt32(length(log, at: offset + 4))
        let crc = CRC32C.checksum(log[(offset + 8)..<(offset + 8 + count)], initial: CRC32C.checksum(log[offset..<(offset + 4)]))
        return crc == stored
    }

    private static func length(_ log: [UInt8], at offset: Int) -> Int {
        Int(log[offset]) << 24 | Int(log[offset + 1]) << 16 | Int(log[offset + 2]) << 8 | Int(log[offset + 3])
    }
}
