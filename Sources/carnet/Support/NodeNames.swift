import CarnetCore

/// Finds a node a person names: by full hex id, by a unique prefix of it (the 8 digits
/// tables show), or by its label.
enum NodeNames {
    static func resolve(_ text: String, replica: Replica) throws -> NodeID {
        if let node = NodeID(hex: text) { return node }
        let known = replica.history.nodeIDs
        let byPrefix = known.filter { $0.hex.hasPrefix(text.lowercased()) }
        if text.count >= 4, byPrefix.count == 1 { return byPrefix[0] }
        let byLabel = known.filter { replica.label(of: $0) == text }
        if byLabel.count == 1 { return byLabel[0] }
        if byPrefix.count > 1 || byLabel.count > 1 {
            throw CLIError.usage("\"\(text)\" names several nodes; give more digits of the node id")
        }
        throw CLIError.data("no node \"\(text)\" is known here: give a node id (hex, or its first 8 digits) or label from `carnet status`")
    }
}
