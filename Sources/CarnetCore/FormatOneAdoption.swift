/// How the creator of a signed ledger adopts a format-1 history (SPEC 9.7): it signs, with
/// its device key and under the adoption domain, heads over the chains that have no key
/// of their own, so that every node of the signed ledger can store and forward them as it
/// does any signed chain.
///
/// Why heads every 1,024 seqs and not only at the tips: a sender cuts a long range of
/// another node's events at the heads it kept (`SignedHeadBook` keeps the highest of each
/// 1,024-seq bucket), so adopted chains travel in batches of the usual size.
public enum FormatOneAdoption {
    /// The events of `nodes` in `history`, in an order a store takes without waiting
    /// (each node's first branch, then its other branches), cut into groups of about
    /// `groupEvents`, each with the adoption heads that vouch for its runs.
    public static func batches(of history: History, nodes: [NodeID], by creator: DeviceSigner, ledger: LedgerID,
                               groupEvents: Int = 8_192) -> [SignedEvents] {
        var batches: [SignedEvents] = []
        var events: [Event] = []
        var heads: [SignedHead] = []
        func flush() {
            guard !events.isEmpty else { return }
            batches.append(SignedEvents(events: events, heads: heads))
            events = []
            heads = []
        }
        for node in nodes {
            for run in runs(of: node, in: history) {
                for (index, event) in run.enumerated() {
                    events.append(event)
                    let endsBucket = (event.dot.seq + 1) % SignedHeadBook.bucketSize == 0
                    if endsBucket || index == run.count - 1 {
                        heads.append(creator.signAdoption(of: event.id, ledger: ledger))
                        if events.count >= groupEvents { flush() }
                    }
                }
            }
        }
        flush()
        return batches
    }

    /// The branch tips of `nodes`: what the genesis names as adopted.
    public static func tips(of history: History, nodes: [NodeID]) -> [EventID] {
        nodes.flatMap { history.heads(of: $0) }
    }

    /// A node's events as chained runs: the first branch, then each other branch's
    /// consecutive events (`History.branchEvents` keeps a branch together).
    static func runs(of node: NodeID, in history: History) -> [[Event]] {
        var runs: [[Event]] = []
        let chain = history.chainEvents(of: node, after: 0, max: Int(history.chainLength(of: node)))
        if !chain.isEmpty { runs.append(chain) }
        for event in history.branchEvents(of: node) {
            if let last = runs.last?.last, runs.count > 1 || chain.isEmpty, event.follows(last) {
                runs[runs.count - 1].append(event)
            } else {
                runs.append([event])
            }
        }
        return runs
    }
}

extension DeviceSigner {
    /// The ledger creator's adoption of the chain ending at `id`, a chain this device did
    /// not write (SPEC 9.7).
    public func signAdoption(of id: EventID, ledger: LedgerID) -> SignedHead {
        let head = SignedHead(node: id.dot.node, seq: id.dot.seq, hash: id.hash, signature: [])
        return SignedHead(node: id.dot.node, seq: id.dot.seq, hash: id.hash,
                          signature: privateKey.sign(head.adoptionMessage(ledger: ledger)))
    }
}
