import CarnetCore
import CarnetTestKit
import Synchronization

/// A node's replica, shared between the node and its sessions' context providers (a
/// session reads the events a primed batch refers to through a `@Sendable` closure, as
/// the real driver reads them from its store).
///
/// A class because the closure must see the replica as it is now, not as it was when
/// the session started; `Sendable` without `@unchecked` because the replica lives in a
/// `Mutex`. The simulation is single-threaded, so the lock is never contended.
public final class SimReplicaBox: Sendable {
    private let state: Mutex<Replica>

    public init(_ replica: Replica) {
        state = Mutex(replica)
    }

    /// Runs `body` with the replica (reading or changing it).
    public func with<Result: Sendable>(_ body: (inout Replica) -> Result) -> Result {
        state.withLock { replica in body(&replica) }
    }

    /// A copy of the replica (cheap: copy-on-write storage).
    public var replica: Replica {
        state.withLock { $0 }
    }

    public func replace(with replica: Replica) {
        state.withLock { $0 = replica }
    }

    /// What `Session` reads primed batches' contexts through.
    public var contextProvider: @Sendable (NodeID, UInt64, Int) -> [Event]? {
        { [self] node, endSeq, count in
            state.withLock { $0.history.chainEvents(of: node, endingAt: endSeq, count: count) }
        }
    }
}
