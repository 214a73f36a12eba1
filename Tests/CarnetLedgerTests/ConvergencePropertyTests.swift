import CarnetCore
import CarnetLedger
import CarnetTestKit
import Testing

/// The merge laws (`MergeLaws`), over thousands of seeded random histories: the order,
/// the duplication and the grouping of delivery never change the digest or the
/// conflicts. CI runs 10,000 more in release (`carnet-sim --laws 10000`).
struct ConvergencePropertyTests {
    /// Histories of ledgers with members that 30,000 release runs found breaking the fold
    /// law: a fork of a device whose cut names one branch, the cut's head arriving after
    /// the other branch was folded (offsets 23885, 28217 and 40193 of `carnet-sim --laws`).
    @Test(arguments: [(UInt64(23927), UInt64(23885)), (28259, 28217), (40235, 40193)])
    func membersHistoriesOnceBroken(seed: UInt64, offset: UInt64) {
        let result = MergeLaws.check(seed: seed, offset: offset, adoption: false)
        #expect(result.members)
        for failure in result.failures { Issue.record("\(failure)") }
    }

    /// 2,000 histories in 8 slices, so that Swift Testing runs them on every core.
    static let slices = 8
    static let historiesPerSlice = 250

    @Test(arguments: 0..<slices)
    func deliveryOrderDuplicationAndGroupingNeverChangeTheOutcome(slice: Int) {
        let baseSeed = testSeed(default: 42)
        var forkedHistories = 0, memberHistories = 0, adoptionHistories = 0, conflictKinds = Set<ConflictKind>()
        for index in 0..<Self.historiesPerSlice {
            let offset = UInt64(slice * Self.historiesPerSlice + index)
            let seed = baseSeed &+ offset
            let result = MergeLaws.check(seed: seed, offset: offset)
            for failure in result.failures { Issue.record("\(failure) (base seed \(baseSeed); replay with CARNET_SEED)") }
            if result.forked { forkedHistories += 1 }
            if result.members { memberHistories += 1 }
            if result.adoption { adoptionHistories += 1 }
            conflictKinds.formUnion(result.conflictKinds)
        }
        // The generator must actually exercise forks and every kind of conflict it can make.
        #expect(forkedHistories > 5, "only \(forkedHistories) histories forked")
        #expect(memberHistories > 50, "only \(memberHistories) histories had members")
        #expect(adoptionHistories > 20, "only \(adoptionHistories) histories adopted a format-1 writer")
        #expect(conflictKinds.isSuperset(of: [.field, .fork, .stockBelowZero, .doubleReversal, .unknownReference, .duplicateEntry,
                                              .pastRevocation, .outOfRole]),
                "conflict kinds seen: \(conflictKinds.sorted())")
    }
}
