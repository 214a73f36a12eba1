/// The first 8 bytes of the hashes of one chain's cold events (`NodeHistory`), kept in
/// blocks of a fixed size.
///
/// Eight bytes, not thirty-two: at ten million events the whole hashes were some 320 MB
/// of a hub's memory, most of `serve`'s. A prefix that differs tells that an event is not
/// the one held; one that matches is confirmed on the event read back (`History`), which
/// only a duplicate or a fork asks for. What grants and the entry index compare is this
/// prefix already.
///
/// A chain goes cold a little at a time: a chunk of the checkpoint at a time while a store
/// opens, an appended record at a time while it serves. One array reserved to the exact
/// size each time copied every prefix it already held at every step: at ten million events
/// on one chain, opening a chunk at a time would copy some 25 GB. Appending to the last
/// block never moves the others, and the spare room is at most one block's.
struct ColdHashPrefixes: Sendable {
    static let blockSize = 4_096
    /// Full blocks, then the last one (growing); never an empty block.
    private var blocks: [[UInt64]] = []
    private(set) var count = 0

    /// The prefix at `index` (0-based: seq `index + 1`).
    subscript(index: Int) -> UInt64 {
        blocks[index / Self.blockSize][index % Self.blockSize]
    }

    mutating func append(_ prefix: UInt64) {
        if count % Self.blockSize == 0 { blocks.append([]) }
        blocks[blocks.count - 1].append(prefix)
        count += 1
    }

    mutating func append(contentsOf prefixes: some Sequence<UInt64>) {
        for prefix in prefixes { append(prefix) }
    }
}
