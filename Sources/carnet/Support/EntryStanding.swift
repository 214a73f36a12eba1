import CarnetCore
import CarnetLedger

import CarnetNode

/// An entry's standing in a ledger with members (SPEC §9.5): whether it counts, and the
/// roles its writer had there. Nil where every entry counts (no members). From the ledger
/// state, or from the entry index, which keeps it (§6.7).
struct EntryStanding {
    var verdict: Membership.Verdict
    var writerRoles: MemberRoles?
    /// Format-1 history the creator adopted (SPEC 9.7): it counts, and its writer had no
    /// roles, nor a key.
    var adopted: Bool

    init?(_ record: LedgerRecord, in state: LedgerState) {
        guard state.membership.enforced else { return nil }
        verdict = state.verdict(of: record)
        adopted = state.membership.isAdopted(record.event)
        writerRoles = adopted ? nil : state.membership.roles(at: record.event)
    }

    /// As the entry index kept it, judged by the writer from the same members.
    init(_ indexed: EntryIndexStanding) {
        verdict = indexed.verdict
        writerRoles = indexed.writerRoles
        adopted = indexed.adopted
    }

    /// What `show` prints for the writer's roles.
    var rolesText: String {
        adopted ? "none: format-1 history, adopted by the ledger's creator" : writerRoles?.description ?? "none: not enrolled"
    }
}
