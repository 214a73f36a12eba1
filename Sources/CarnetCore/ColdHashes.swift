/// The hashes of one chain's cold events (`NodeHistory`), kept in blocks of a fixed size.
///
/// A chain goes cold a little at a time: a chunk of the checkpoint at a time while a store
/// opens, an appended record at a time while it serves. One array reserved to the exact
/// size each time copied every hash it already held at every step: at ten million events
/// on one chain, opening a chunk at a time would copy some 100 GB. Appending to the last
/// block never moves the others, and the spare room is at most one block's.
struct ColdHashes: Sendable {
    static let blockSize = 4_096
    /// Full blocks, then the last one (growing); never an empty block.
    private var blocks: [[SHA256Digest]] = []
    private(set) var count = 0

    /// The hash at `index` (0-based: seq `index + 1`).
    subscript(index: Int) -> SHA256Digest {
        blocks[index / Self.blockSize][index % Self.blockSize]
    }

    mutating func append(_ hash: SHA256Digest) {
        if count % Self.blockSize == 0 { blocks.append([]) }
        blocks[blocks.count - 1].append(hash)
        count += 1
    }

    mutating func append(contentsOf hashes: some Sequence<SHA256Digest>) {
        for hash in hashes { append(hash) }
    }
}
