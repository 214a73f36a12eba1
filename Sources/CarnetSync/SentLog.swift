import CarnetWire

/// What this side's latest frames were, in order: their messages' types (and an ACK's
/// content), which travel encrypted in SEALED frames. For the simulation and tests, which
/// account for traffic by kind; a session's own logic never reads it. Bounded: it keeps
/// the last `capacity` frames, far more than one input ever sends (a window of batches
/// and a few control messages).
public struct SentLog: Sendable {
    public static let capacity = 256

    /// One frame sent: its type on the wire, the type of the message inside (for SEALED;
    /// the frame's type otherwise), and an ACK's content.
    public struct Entry: Sendable, Equatable {
        public var frameType: FrameType
        public var messageType: FrameType
        public var ack: AckMessage?
    }

    /// The latest frames, oldest first.
    public private(set) var entries: [Entry] = []
    /// Frames recorded since the session began: frame `i` (from 0) is `entry(i)`.
    public private(set) var total = 0

    /// The entry of the session's frame `index` (from 0), while the log still holds it.
    public func entry(_ index: Int) -> Entry? {
        let position = index - (total - entries.count)
        return entries.indices.contains(position) ? entries[position] : nil
    }

    mutating func record(_ frame: Frame) {
        var entry = Entry(frameType: frame.type, messageType: frame.sealedMessage?.frameType ?? frame.type)
        if case let .ack(ack)? = frame.sealedMessage { entry.ack = ack }
        if frame.type == .handshake2 { entry.messageType = .summary }
        entries.append(entry)
        total += 1
        if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
    }

    /// The entries of the last `count` frames sent (fewer if the log holds fewer).
    public func last(_ count: Int) -> ArraySlice<Entry> {
        entries.suffix(count)
    }
}
