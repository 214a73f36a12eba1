import CarnetCore
import CarnetSync
import CarnetTestKit
import Testing

/// A node restored from an older copy continues under a new id once it finds its own
/// history forked, and writes one link event under it (`Replica.continuing(as:)`). The
/// peer of the session in which that happens must get the link event in that same session,
/// one-shot or live: the link event is a change of this node's history the peer cannot
/// infer (SPEC 8.3 rule 6), and a live peer that lacked it would hold the node's later
/// writes as pending.
struct ContinuationTests {
    /// A laptop that wrote `entries` entries, synced them to the hub, and was restored from
    /// a copy holding only the first `kept`; the hub's replica holds all of them.
    static func restoredLaptop(entries: Int, kept: Int) -> (laptop: Replica, hub: Replica) {
        var laptop = Replica(node: NodeID.derived(from: "laptop"))
        var older = laptop
        for index in 0..<entries {
            let event = laptop.write(.append(Entry(id: "l\(index)", kind: "harvest", fields: [])), wallMillis: 1_000 + UInt64(index))
            if index < kept { older.admit(contentsOf: [event]) }
        }
        var hub = Replica(node: NodeID.derived(from: "hub"))
        hub.admit(contentsOf: laptop.allEvents)
        hub.write(.append(Entry(id: "h0", kind: "delivery", fields: [])), wallMillis: 9_000)
        return (older, hub)
    }

    /// The link event of `continued`, which continues `node`, if `replica` holds it.
    static func linkEvent(of node: NodeID, continuedAs continued: NodeID, in replica: Replica) -> Event? {
        replica.history.events(of: continued).first {
            $0.dot.seq == 1 && replica.predecessors(of: continued).first == node
        }
    }

    /// The restored laptop writes two new entries (reusing the seqs its lost copy had),
    /// then syncs once with the hub: the hub's batch shows it its fork, it continues under
    /// a new id and re-summarizes; the hub ends with both branches and the link event.
    @Test func aForkRevealedInTheSessionSendsTheLinkEventInIt() {
        let (older, hub) = Self.restoredLaptop(entries: 4, kept: 2)
        var restored = older
        let newWrites = (0..<2).map {
            restored.write(.append(Entry(id: "again\($0)", kind: "sale", fields: [])), wallMillis: 20_000 + UInt64($0))
        }
        Self.syncOnce(laptop: restored, hub: hub, newWrites: newWrites)
    }

    /// Both sides already hold both branches when the session begins: the hub got the
    /// laptop's new writes, and the laptop's store took in its lost branch (as a server's
    /// store does once `refresh()` took in what another process's session received) but has
    /// not continued yet. It does at the first batch it persists (the hub's new entry): a
    /// continuation that adds no fork, on either side. Before the fix the session
    /// re-summarized only when the fork count grew, the store fed the link event to every
    /// session but this one, and the hub got it only in a later session (as
    /// `anInterruptedSessionResumes…` showed with continuation on, seeds 3080 and 3084).
    @Test func aContinuationThatAddsNoForkSendsTheLinkEventInTheSession() {
        var (older, hub) = Self.restoredLaptop(entries: 4, kept: 2)
        var restored = older
        let newWrites = (0..<2).map {
            restored.write(.append(Entry(id: "again\($0)", kind: "sale", fields: [])), wallMillis: 20_000 + UInt64($0))
        }
        restored.admit(contentsOf: hub.history.events(of: restored.node))
        hub.admit(contentsOf: newWrites)
        #expect(restored.hasForkedItself && restored.forks == hub.forks)
        Self.syncOnce(laptop: restored, hub: hub, newWrites: newWrites)
    }

    /// One one-shot session, the laptop dialing the hub, in any chunking: both end with the
    /// same events, among them the laptop's new writes and its link event.
    static func syncOnce(laptop: Replica, hub: Replica, newWrites: [Event]) {
        for seed: UInt64 in 1...8 {
            var pair = SessionPair(dialer: Side(role: .dialer, replica: laptop, secret: testSecret, nonceSeed: 1),
                                   listener: Side(role: .listener, replica: hub, secret: testSecret, nonceSeed: 2), seed: seed)
            pair.start()
            pair.run()
            #expect(pair.dialer.end == SessionEnd(.completed) && pair.listener.end == SessionEnd(.completed),
                    "seed \(seed): \(String(describing: pair.dialer.end)) / \(String(describing: pair.listener.end))")
            let continued = pair.dialer.replica.node
            #expect(continued != laptop.node, "seed \(seed): the laptop should continue under a new id")
            let hubAfter = pair.listener.replica
            #expect(linkEvent(of: laptop.node, continuedAs: continued, in: hubAfter) != nil,
                    "seed \(seed): the hub lacks the link event of \(continued.short) after the session")
            #expect(newWrites.allSatisfy { hubAfter.history.contains($0.id) }, "seed \(seed): the hub lacks the laptop's new writes")
            #expect(hubAfter.summary == pair.dialer.replica.summary, "seed \(seed)")
        }
    }
}
