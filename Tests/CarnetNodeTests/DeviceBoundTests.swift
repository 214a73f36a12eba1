import CarnetCore
import CarnetLedger
import CarnetNode
import CarnetTestKit
import Testing

/// Issue 17, item 7: in a ledger with members, the nodes it holds are bounded by its
/// devices: enrolled ones, each under a few node ids, and a few waiting for an enrolment.
/// A batch (a sync, a bundle, a merge) past a bound is refused whole, with the reason.
@Suite("Device bound")
struct DeviceBoundTests {
    static let t0: UInt64 = 1_780_000_000_000
    static let limits = DeviceBound.Limits(waitingDevices: 4, nodesPerDevice: 3)

    /// A hub that created a ledger, and the ledger id.
    static func hub(_ rng: inout SplitMix64) -> (replica: Replica, device: DeviceSigner) {
        let device = DeviceSigner.generate(using: &rng)
        let salt = DeviceSigner.randomSalt(using: &rng)
        let ledger = LedgerID.derived(creator: device.nodeKey.publicKey, salt: salt)
        var replica = Replica(node: device.node, ledger: ledger)
        replica.assign(NodeKey.declarationKey(for: device.node), .text(device.nodeKey.declarationText), wallMillis: t0)
        replica.assign(LedgerGenesis.genesisKey(ledger), .text(LedgerGenesis.text(creator: device.nodeKey.publicKey, salt: salt)),
                       wallMillis: t0)
        return (replica, device)
    }

    /// The first event of a node of `device` (its key declaration).
    static func firstEvent(of key: NodeKey, ledger: LedgerID) -> Event {
        var replica = Replica(node: key.node, ledger: ledger)
        return replica.assign(NodeKey.declarationKey(for: key.node), .text(key.declarationText), wallMillis: t0 + 1)
    }

    @Test func devicesWaitingForAnEnrolmentAreBounded() {
        var rng = SplitMix64(seed: 71)
        let (hub, _) = Self.hub(&rng)
        let devices = (0..<6).map { _ in DeviceSigner.generate(using: &rng) }
        let four = devices.prefix(4).map { Self.firstEvent(of: $0.nodeKey, ledger: hub.ledger!) }
        #expect(DeviceBound.refusal(of: four, into: hub, limits: Self.limits) == nil)
        let six = devices.map { Self.firstEvent(of: $0.nodeKey, ledger: hub.ledger!) }
        let refusal = DeviceBound.refusal(of: six, into: hub, limits: Self.limits)
        #expect(refusal?.contains("6 devices not enrolled would wait here") == true, "\(String(describing: refusal))")
        // Enrolled, they are no longer waiting: the same batch is taken.
        var enrolled = hub
        for device in devices {
            let record = MemberRecord(id: "member-\(device.node.short)", action: .enrol, device: device.node,
                                      roles: MemberRoles([.producer("x")]))
            enrolled.write(.append(record.coreEntry), wallMillis: Self.t0 + 2)
        }
        #expect(DeviceBound.refusal(of: six, into: enrolled, limits: Self.limits) == nil)
        // Without a genesis held, there is no bound (nor members).
        var open = Replica(node: NodeID.derived(from: "open"), ledger: hub.ledger)
        open.admit(contentsOf: [])
        #expect(DeviceBound.refusal(of: six, into: open, limits: Self.limits) == nil)
    }

    /// SPEC 9.7: format-1 nodes the creator adopted are named, not waiting, whatever order
    /// the genesis and their events arrive in.
    @Test func adoptedFormatOneNodesAreNotWaiting() {
        var rng = SplitMix64(seed: 73)
        var (hub, _) = Self.hub(&rng)
        var legacy: [Event] = []
        var tips: [MemberCut] = []
        for index in 0..<6 {
            var old = Replica(node: NodeID.derived(from: "format-1-\(index)"))
            let event = old.write(.append(Entry(id: "e\(index)", kind: "note", fields: [])), wallMillis: Self.t0 - 10)
            legacy.append(event)
            tips.append(MemberCut(node: event.dot.node, seq: 1, head: event.hash))
        }
        #expect(DeviceBound.refusal(of: legacy, into: hub, limits: Self.limits) != nil, "six keyless nodes wait, over the bound of 4")
        hub.assign(LedgerGenesis.adoptedKey(hub.ledger!), .text(LedgerGenesis.adoptedText(tips)), wallMillis: Self.t0 + 1)
        #expect(DeviceBound.refusal(of: legacy, into: hub, limits: Self.limits) == nil)
    }

    @Test func oneDeviceUnderTooManyNodeIDsIsRefused() {
        var rng = SplitMix64(seed: 72)
        let (hub, _) = Self.hub(&rng)
        let device = DeviceSigner.generate(using: &rng)
        let incarnations = (0..<4).map { _ in device.reincarnated(using: &rng).nodeKey }
        let refusal = DeviceBound.refusal(of: incarnations.map { Self.firstEvent(of: $0, ledger: hub.ledger!) }, into: hub,
                                          limits: Self.limits)
        #expect(refusal?.contains("more than 3 node ids") == true, "\(String(describing: refusal))")
        #expect(DeviceBound.refusal(of: incarnations.prefix(3).map { Self.firstEvent(of: $0, ledger: hub.ledger!) }, into: hub,
                                    limits: Self.limits) == nil)
    }
}
