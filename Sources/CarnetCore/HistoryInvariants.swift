extension History {
    /// Every structural invariant of the history, checked; returns what is broken (empty
    /// when sound). Run by tests after every scenario, and cheap enough for debug checks.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        var total = 0
        for node in nodeIDs {
            let chain = events(of: node, after: 0).filter { isOnChain($0) }
            for (index, event) in chain.enumerated() {
                if event.dot.node != node { problems.append("\(event.id) is filed under node \(node.short)") }
                if event.dot.seq != UInt64(index + 1) { problems.append("\(event.id) sits at chain position \(index + 1)") }
                let expected = index == 0 ? SHA256Digest.zero : chain[index - 1].hash
                if event.previous != expected { problems.append("\(event.id) does not link to its predecessor") }
            }
            var highest = UInt64(chain.count)
            for event in branchEvents(of: node) {
                highest = max(highest, event.dot.seq)
                let predecessor = EventID(dot: Dot(node: node, seq: event.dot.seq - 1), hash: event.previous)
                if event.dot.seq > 1 && !contains(predecessor) { problems.append("branch event \(event.id) lacks its predecessor") }
                if event.dot.seq == 1 && event.previous != .zero { problems.append("branch event \(event.id) claims a predecessor at seq 1") }
            }
            if versionVector[node] != highest {
                problems.append("version vector says \(versionVector[node]) for \(node.short), history holds seq \(highest)")
            }
            total += chain.count + branchEvents(of: node).count
        }
        if total != count { problems.append("count is \(count) but \(total) events are held") }
        if pendingEvents.count != pendingCount { problems.append("pendingCount is \(pendingCount) but \(pendingEvents.count) wait") }
        return problems
    }

    private func isOnChain(_ event: Event) -> Bool {
        event.dot.seq <= chainLength(of: event.dot.node) && !branchEvents(of: event.dot.node).contains(event)
    }
}
