import CarnetCore
import CarnetTestKit

/// The virtual clock and its agenda: timed actions in a binary min-heap.
///
/// Two actions due at the same instant run in the order they were scheduled (each gets
/// a sequence number), so a run never depends on how the heap happens to break ties.
/// Time only moves when the next action is taken: a simulated week with nothing to do
/// costs nothing.
public struct SimScheduler<Action: Sendable>: Sendable {
    private struct Entry: Sendable {
        var time: SimTime
        var order: UInt64
        var action: Action

        func precedes(_ other: Entry) -> Bool {
            time.micros != other.time.micros ? time.micros < other.time.micros : order < other.order
        }
    }

    private var heap: [Entry] = []
    private var nextOrder: UInt64 = 0
    /// The current virtual time: that of the action last taken.
    public private(set) var now: SimTime = .zero
    /// Actions taken so far (a measure of the simulation's work).
    public private(set) var actionsTaken = 0

    public init() {}

    public var isEmpty: Bool { heap.isEmpty }
    public var pendingCount: Int { heap.count }
    /// When the next action is due.
    public var nextTime: SimTime? { heap.first?.time }

    /// Schedules `action` at `time`; a time in the past means "now" (never backwards).
    public mutating func schedule(_ action: Action, at time: SimTime) {
        let entry = Entry(time: time < now ? now : time, order: nextOrder, action: action)
        nextOrder += 1
        heap.append(entry)
        siftUp(heap.count - 1)
    }

    public mutating func schedule(_ action: Action, after delay: SimTime) {
        schedule(action, at: now + delay)
    }

    /// Takes the next action and moves the clock to its time; nil when nothing is left.
    public mutating func next() -> Action? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        now = first.time
        actionsTaken += 1
        return first.action
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        let entry = heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard entry.precedes(heap[parent]) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = entry
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let entry = heap[parent]
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let child = right < count && heap[right].precedes(heap[left]) ? right : left
            guard heap[child].precedes(entry) else { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = entry
    }
}
