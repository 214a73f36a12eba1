import CarnetCore
import CarnetSync
import CarnetWire

/// Drives the session under test the way `carnet`'s driver does, in memory and at once:
/// batches to persist go into a replica, requests for missing events are answered from
/// it, refusals are passed back. Collects what the session sends.
///
/// Checks, on every call: a `close` directive comes last in its list and at most once in
/// the session's life, and a closed session says nothing more (a driver would write to a
/// closed socket or persist after the end).
struct SessionDriver {
    static let name = "session"
    var session: Session
    private(set) var replica: Replica
    /// Every byte the session asked to send, in order.
    private(set) var output: [UInt8] = []
    private(set) var closed = false
    var now: Duration = .zero

    init(role: SessionRole, live: Bool, priming: Bool) {
        let replica = SessionFixtures.replica(of: role)
        var settings = SessionSettings()
        settings.primingContext = priming ? 256 : 0
        settings.window = 2
        settings.batchEvents = 4
        self.replica = replica
        session = Session(role: role, secret: SessionFixtures.secret, nonce: SessionFixtures.nonce(of: role),
                          local: SessionFixtures.local(of: role, live: live), settings: settings,
                          context: SessionFixtures.contextProvider(replica))
    }

    mutating func start() throws(FuzzViolation) {
        try carryOut(session.start(now: now))
    }

    mutating func receive(_ bytes: ArraySlice<UInt8>) throws(FuzzViolation) {
        now += .milliseconds(1)
        try carryOut(session.receive(Array(bytes), now: now))
    }

    mutating func tick(advancing seconds: Int) throws(FuzzViolation) {
        now += .seconds(seconds)
        try carryOut(session.tick(now: now))
    }

    mutating func peerClosed() throws(FuzzViolation) {
        try carryOut(session.peerClosed(now: now))
    }

    /// Carries out directives in order, feeding the session's answers back in.
    private mutating func carryOut(_ directives: [SessionDirective]) throws(FuzzViolation) {
        var queue = directives[...]
        try check(directives)
        while let directive = queue.popFirst() {
            var answer: [SessionDirective] = []
            switch directive {
            case let .send(bytes):
                output += bytes
            case let .persist(batch, events):
                let forksBefore = replica.forks.count
                let summary = replica.receive(contentsOf: events)
                let changed = replica.forks.count > forksBefore
                    ? SummaryMessage(live: false, node: replica.node, ledger: SessionFixtures.ledger, label: "fuzz",
                                     summary: replica.compactSummary)
                    : nil
                answer = session.persisted(batch: batch, newEvents: UInt64(summary.accepted), changedSummary: changed, now: now)
            case let .offerEventsMissing(summary):
                answer = session.offer(plan: replica.missingPlan(from: replica.expand(summary)), now: now)
            case let .refuse(batch, reason):
                answer = session.refuse(batch: batch, reason: reason, now: now)
            case .peerIdentified, .acknowledged, .refused, .caughtUp, .close:
                break
            case .inputOutOfState: break
            }
            try check(answer)
            queue += answer
        }
    }

    private mutating func check(_ directives: [SessionDirective]) throws(FuzzViolation) {
        guard directives.contains(where: { if case .inputOutOfState = $0 { false } else { true } }) else { return }
        try require(!closed, Self.name, "the session gave \(directives.count) directives after it closed")
        let closes = directives.indices.filter { if case .close = directives[$0] { true } else { false } }
        try require(closes.count <= 1 && (closes.first.map { $0 == directives.count - 1 } ?? true), Self.name,
                    "a close directive is not the last of its list")
        if !closes.isEmpty {
            closed = true
            try require(session.isClosed, Self.name, "the session asked to close but is not closed")
        }
    }
}
