import CarnetCore
import CarnetLedger

/// An entry's standing in a ledger with members (SPEC §9.5): whether it counts, and the
/// roles its writer had there. Nil where every entry counts (no members), and on the entry
/// index's path, which serves ledgers without members only (§6.7).
struct EntryStanding {
    var verdict: Membership.Verdict
    var writerRoles: MemberRoles?

    init?(_ record: LedgerRecord, in state: LedgerState) {
        guard state.membership.enforced else { return nil }
        verdict = state.verdict(of: record)
        writerRoles = state.membership.roles(at: record.event)
    }
}
