import CarnetCore
import CarnetSystem

/// The pieces a cold store's source decoded last, by piece (as `ChainRun.piece` names
/// them: a checkpoint chunk's number, a log record's offset), a few kept, shared by the
/// copies of one source (`CheckpointChains`) or by every source a store makes (one per
/// append, `StoreChains`), so that they neither decode again nor pile up.
///
/// A few, not one: a session sending several nodes' chains, or a fold walking one chain
/// while it looks up what a void cancels, alternates between pieces, and a chunk's decode
/// is 16,384 events. Four chunks of decoded events are some 50 MB at most, for as long as
/// they are read.
///
/// `@unchecked Sendable` is sound: `recent` is read and written only while holding `lock`.
final class RecentlyDecodedPieces: @unchecked Sendable {
    static let kept = 4
    private let lock = Lock()
    /// Most recently used last.
    private var recent: [(piece: Int, events: [Event])] = []

    /// Drops every piece kept: the next read of each decodes it from its file again.
    func forget() {
        lock.withLock { recent = [] }
    }

    /// The events of `piece`: those kept, or what `decode` gives (then kept).
    func events(of piece: Int, decode: () throws -> [Event]) throws -> [Event] {
        try lock.withLock { () throws -> [Event] in
            if let at = recent.firstIndex(where: { $0.piece == piece }) {
                let hit = recent.remove(at: at)
                recent.append(hit)
                return hit.events
            }
            let events = try decode()
            if recent.count == Self.kept { recent.removeFirst() }
            recent.append((piece, events))
            return events
        }
    }
}
