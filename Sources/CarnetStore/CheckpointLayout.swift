import CarnetCore

/// Where each event of a history lies in the checkpoint written of it, without holding
/// the events: every node in id order, its first branch in seq order then its other
/// branches (as `Replica.allEvents` gives them), then every event waiting for its
/// predecessor. A store that keeps its chains cold writes its checkpoint a chunk at a time
/// from this, and knows where each first-branch event went without looking at it.
struct CheckpointLayout: Sendable {
    struct Part: Sendable {
        var node: NodeID
        /// Position of the node's seq-1 event in the checkpoint.
        var start: Int
        var chainLength: Int
        var branches: [Event]
        var end: Int { start + chainLength + branches.count }
    }

    let parts: [Part]
    let pending: [Event]
    let pendingStart: Int
    var count: Int { pendingStart + pending.count }

    init(history: History) {
        var parts: [Part] = []
        var position = 0
        for node in history.nodeIDs {
            let part = Part(node: node, start: position, chainLength: Int(history.chainLength(of: node)),
                            branches: history.branchEvents(of: node))
            parts.append(part)
            position = part.end
        }
        self.parts = parts
        pendingStart = position
        pending = history.pendingEvents
    }

    /// The events at `range` of the checkpoint, first-branch ones read from `history`
    /// (cold ones from its source).
    func events(_ range: Range<Int>, in history: History) throws(ColdReadError) -> [Event] {
        var out: [Event] = []
        out.reserveCapacity(range.count)
        var low = 0, high = parts.count
        while low < high {
            let middle = (low + high) / 2
            if parts[middle].end <= range.lowerBound { low = middle + 1 } else { high = middle }
        }
        for part in parts[low...] where part.start < range.upperBound {
            let chain = part.start..<(part.start + part.chainLength)
            let wanted = chain.clamped(to: range)
            if !wanted.isEmpty {
                out += try history.readChainEvents(of: part.node, after: UInt64(wanted.lowerBound - part.start), max: wanted.count)
            }
            let branches = (part.start + part.chainLength)..<part.end
            let wantedBranches = branches.clamped(to: range)
            if !wantedBranches.isEmpty {
                out += part.branches[(wantedBranches.lowerBound - branches.lowerBound)..<(wantedBranches.upperBound - branches.lowerBound)]
            }
        }
        let wantedPending = (pendingStart..<count).clamped(to: range)
        if !wantedPending.isEmpty {
            out += pending[(wantedPending.lowerBound - pendingStart)..<(wantedPending.upperBound - pendingStart)]
        }
        return out
    }

    /// Where each node's first branch lies in the chunks of `chunkEvents` events.
    func chainRuns(chunkEvents: Int) -> [NodeID: [ChainRun]] {
        var runs: [NodeID: [ChainRun]] = [:]
        for part in parts where part.chainLength > 0 {
            var position = part.start, seq: UInt64 = 1
            let end = part.start + part.chainLength
            while position < end {
                let chunk = position / chunkEvents
                let chunkEnd = Swift.min(end, (chunk + 1) * chunkEvents)
                runs[part.node, default: []].append(ChainRun(firstSeq: seq, count: chunkEnd - position, piece: chunk,
                                                             firstIndex: position - chunk * chunkEvents))
                seq += UInt64(chunkEnd - position)
                position = chunkEnd
            }
        }
        return runs
    }
}
