/// What a device does once it learns that its own history forked (it was restored from a
/// backup and reused sequence numbers): it keeps every event, both branches included, and
/// goes on writing under a fresh node id, so its next writes cannot collide again.
extension Replica {
    /// Record type of the event that links a new incarnation to the node it continues.
    public static let incarnationRecordType = "node"
    /// Field of that record: the hex id of the node continued.
    public static let incarnationField = "continues"

    /// True when this replica holds a fork of its own node: writing on would risk reusing
    /// sequence numbers again.
    public var hasForkedItself: Bool {
        history.heads(of: node).count > 1
    }

    /// A replica holding the same events that writes as `newNode`. Its first event says
    /// which node it continues, so people and tools can follow the device across ids.
    public func continuing(as newNode: NodeID, wallMillis: UInt64) -> Replica {
        precondition(newNode != node, "a new incarnation needs a new node id")
        var next = Replica(node: newNode, clock: clock, history: history, registers: registers, signedHeads: signedHeads,
                           ledger: ledger, membershipEvents: membershipEvents)
        next.assign(
            FieldKey(Self.incarnationRecordType, newNode.hex, Self.incarnationField),
            .text(node.hex), wallMillis: wallMillis
        )
        return next
    }

    /// Like `continuing(as:wallMillis:)` for a signed ledger: the new incarnation's first
    /// event declares its key (same device key, fresh salt), its second names the node it
    /// continues.
    public func continuing(as key: NodeKey, wallMillis: UInt64) -> Replica {
        let newNode = key.node
        precondition(newNode != node, "a new incarnation needs a new node id")
        var next = Replica(node: newNode, clock: clock, history: history, registers: registers, signedHeads: signedHeads,
                           ledger: ledger, membershipEvents: membershipEvents)
        next.assign(NodeKey.declarationKey(for: newNode), .text(key.declarationText), wallMillis: wallMillis)
        next.assign(
            FieldKey(Self.incarnationRecordType, newNode.hex, Self.incarnationField),
            .text(node.hex), wallMillis: wallMillis
        )
        return next
    }

    /// The node ids this replica knows to be earlier incarnations of `node`, oldest last.
    public func predecessors(of node: NodeID) -> [NodeID] {
        var chain: [NodeID] = []
        var current = node
        while chain.count < 64,
              let value = registers[FieldKey(Self.incarnationRecordType, current.hex, Self.incarnationField)]?.preferred?.value,
              case let .text(hex) = value, let previous = NodeID(hex: hex), !chain.contains(previous) {
            chain.append(previous)
            current = previous
        }
        return chain
    }
}
