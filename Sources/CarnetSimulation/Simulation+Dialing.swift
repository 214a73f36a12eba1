import CarnetCore
import CarnetTestKit

/// Dialing, as `Server.dialLoop` does it.
extension Simulation {

    func dialLoop(waitingFor connection: ConnectionID) -> (Int, Int)? {
        for node in nodes.indices {
            if let loop = nodes[node].dialLoops.firstIndex(where: { $0.connection == connection }) { return (node, loop) }
        }
        return nil
    }

    mutating func scheduleDial(_ node: Int, _ loop: Int, after delay: SimTime) {
        nodes[node].dialLoops[loop].token += 1
        nodes[node].dialLoops[loop].nextAt = now + delay
        scheduler.schedule(.dial(node: node, loop: loop, token: nodes[node].dialLoops[loop].token), after: delay)
    }

    mutating func dial(_ node: Int, _ loop: Int, token: Int) {
        guard nodes[node].isUp, nodes[node].dialLoops[loop].token == token, nodes[node].dialLoops[loop].connection == nil else { return }
        nodes[node].dialLoops[loop].nextAt = nil
        let target = nodes[node].dialLoops[loop].target
        nodes[node].dialLoops[loop].connection = network.connect(from: node, to: target, listenerUp: nodes[target].isUp, now: now)
    }

    /// As `Server.dialLoop`: the interval after a session that went well, else backoff.
    mutating func loopFinished(_ node: Int, _ loop: Int, success: Bool) {
        nodes[node].dialLoops[loop].connection = nil
        guard nodes[node].isUp else { return }
        let delay: SimTime
        if success {
            nodes[node].dialLoops[loop].failures = 0
            delay = nodes[node].dialLoops[loop].interval
        } else {
            delay = nodes[node].dialLoops[loop].backoff(using: &rng)
        }
        scheduleDial(node, loop, after: delay)
    }

    /// One-shot farms sync a little after recording (`carnet record`, a few more entries,
    /// then `carnet sync`), unless a sync is due sooner anyway.
    mutating func nudgeDials(_ node: Int) {
        guard plan.mode == .oneShot, nodes[node].role == .farm else { return }
        for loop in nodes[node].dialLoops.indices where nodes[node].dialLoops[loop].connection == nil {
            let soon = now + rng.uniform(.minutes(1)...(.minutes(8)))
            if let next = nodes[node].dialLoops[loop].nextAt, next <= soon { continue }
            scheduleDial(node, loop, after: soon - now)
        }
    }
}
