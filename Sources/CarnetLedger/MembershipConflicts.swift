import CarnetCore

/// An event held that does not count under the ledger's members (SPEC §9.5), as the
/// conflicts show it.
public struct SetAsideEvent: Hashable, Sendable {
    public var event: EventID
    public var clock: HLCTimestamp
    public var detail: String
    public var verdict: Membership.Verdict

    public init(event: EventID, clock: HLCTimestamp, detail: String, verdict: Membership.Verdict) {
        self.event = event
        self.clock = clock
        self.detail = detail
        self.verdict = verdict
    }
}

extension SetAsideEvent {
    /// A write that is not a ledger entry: a catalog edit or a member record.
    public init(_ event: Event, verdict: Membership.Verdict) {
        let detail: String
        switch event.operation {
        case let .assign(assignment): detail = "\(assignment.key) = \(assignment.value)"
        case let .append(entry):
            if let record = try? MemberRecord(entry) {
                detail = "member \(record.action.rawValue) \(record.device.short)" + (record.action == .revoke ? "" : " (\(record.roles))")
            } else {
                detail = "\(entry.kind) \(entry.id)"
            }
        }
        self.init(event: event.id, clock: event.clock, detail: detail, verdict: verdict)
    }
}

extension DomainConflictReports {
    /// One conflict per node and kind: its events past a revocation, or outside its
    /// writer's roles. They are kept as evidence and count nowhere; the conflict says so on
    /// every node. Events of a device not enrolled yet are no conflict: they wait.
    static func membership(_ events: [SetAsideEvent]) -> [ConflictReport] {
        var revoked: [NodeID: [SetAsideEvent]] = [:]
        var outOfRole: [NodeID: [SetAsideEvent]] = [:]
        for event in events {
            switch event.verdict {
            case .revoked: revoked[event.event.dot.node, default: []].append(event)
            case .outOfRole: outOfRole[event.event.dot.node, default: []].append(event)
            case .counts, .unenrolled: break
            }
        }
        func sides(_ events: [SetAsideEvent]) -> [ConflictSide] {
            events.sorted { ($0.clock, $0.event) < ($1.clock, $1.event) }
                .map { ConflictSide(event: $0.event, clock: $0.clock, detail: $0.detail, value: nil) }
        }
        var reports: [ConflictReport] = []
        for (node, events) in revoked.sorted(by: { $0.key < $1.key }) {
            let subject = "node/\(node.hex)/revoked"
            let revocations = Set(events.compactMap { if case let .revoked(by) = $0.verdict { by } else { nil } })
            reports.append(ConflictReport(
                kind: .pastRevocation, subject: subject,
                summary: "\(events.count) event\(events.count == 1 ? "" : "s") of node \(node.short) written past its device's revocation "
                    + "(\(revocations.sorted().map { $0.dot.description }.joined(separator: ", ")))",
                sides: sides(events),
                suggestion: "they count nowhere and are kept as evidence; if one was meant, have a member record it again, "
                    + "then \(reviewCommand(.pastRevocation, subject))"
            ))
        }
        for (node, events) in outOfRole.sorted(by: { $0.key < $1.key }) {
            let subject = "node/\(node.hex)/out-of-role"
            let lacked = Set(events.compactMap { if case let .outOfRole(role) = $0.verdict { role } else { nil } })
            reports.append(ConflictReport(
                kind: .outOfRole, subject: subject,
                summary: "\(events.count) event\(events.count == 1 ? "" : "s") of node \(node.short) outside its device's roles "
                    + "(it lacks \(lacked.sorted().joined(separator: ", ")))",
                sides: sides(events),
                suggestion: "they count nowhere and are kept as evidence; an administrator may give the role "
                    + "(`carnet member roles NODE --role ROLE`), or say they were seen with \(reviewCommand(.outOfRole, subject))"
            ))
        }
        return reports
    }
}
