import CarnetCore
import CarnetLedger

/// How many nodes a ledger with members holds (SPEC §9.5, "Bounds"): the devices its
/// administrators enrolled, each under at most `nodesPerDevice` node ids (a device that
/// continues after a restore takes a new one), and at most `waitingDevices` devices that
/// wrote before anyone enrolled them. A batch, bundle or merge that would pass either
/// bound is refused whole, by name, so that no member can grow every summary by making
/// devices by the thousand (a bundle of 60,000 one-event nodes once made a hub's summary
/// outgrow a frame). A ledger without members (format 1, or no genesis held) has no such
/// bound: its summaries travel in parts (SPEC §8.1).
public enum DeviceBound {
    public struct Limits: Sendable {
        public var waitingDevices: Int
        public var nodesPerDevice: Int
        public init(waitingDevices: Int, nodesPerDevice: Int) {
            self.waitingDevices = waitingDevices
            self.nodesPerDevice = nodesPerDevice
        }
        public static let standard = Limits(waitingDevices: 256, nodesPerDevice: 64)
    }

    /// Nil when `events` bring no node this replica does not hold, or keep within bounds.
    public static func refusal(of events: [Event], into replica: Replica, limits: Limits = .standard) -> String? {
        let waitingDevices = limits.waitingDevices, nodesPerDevice = limits.nodesPerDevice
        let history = replica.history
        var newKeys: [NodeID: NodeKey?] = [:]
        for event in events where !history.holds(node: event.dot.node) {
            if let key = NodeKey.declared(by: event) {
                newKeys[event.dot.node] = key
            } else if newKeys[event.dot.node] == nil {
                newKeys[event.dot.node] = .some(nil)
            }
        }
        guard !newKeys.isEmpty, replica.ledger != nil else { return nil }
        let membership = Membership(replica: replica)
        guard membership.enforced else { return nil }
        var (waiting, perDevice) = membership.deviceCensus(of: history.nodeIDs)
        // Devices the batch's own member records name may be enrolled by it: counted as
        // named when an administrator of what is held wrote the record.
        var namedInBatch = Set<Membership.Device>()
        for event in events {
            guard case let .append(entry) = event.operation, entry.kind == Replica.memberEntryKind,
                  let record = try? MemberRecord(entry), record.action != .revoke,
                  membership.nextWrite(of: event.dot.node, history: history).roles?.administers == true else { continue }
            namedInBatch.insert(newKeys[record.device].flatMap { $0 }.map { .key($0.publicKey.bytes) } ?? membership.device(of: record.device))
        }
        waiting.subtract(namedInBatch)
        for (node, key) in newKeys {
            let device: Membership.Device = key.map { .key($0.publicKey.bytes) } ?? membership.device(of: node)
            perDevice[device, default: 0] += 1
            if perDevice[device]! > nodesPerDevice {
                return "refused: one device would write under more than \(nodesPerDevice) node ids (node \(node.short) among them); a device continues under a new id only after a restore"
            }
            // An enrolment may name the node before its key was held: `.node(id)` then.
            if membership.standing(of: device) == nil, membership.standing(of: .node(node)) == nil,
               device != membership.creator.map(membership.device(of:)),
               key != nil || membership.adopted[node] == nil,  // adopted format-1 history is named (SPEC 9.7)
               !namedInBatch.contains(device) {
                waiting.insert(device)
            }
        }
        guard waiting.count <= waitingDevices else {
            return "refused: \(waiting.count) devices not enrolled would wait here, and a ledger with members holds at most \(waitingDevices): an administrator enrols real ones (`carnet member add NODE --role ROLE`); many more are a flood"
        }
        return nil
    }
}
