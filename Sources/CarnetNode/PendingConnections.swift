import CarnetNet

/// The connections a listener accepted that have not completed the handshake yet, oldest
/// first, and who makes room when they are too many (SPEC 8.4, issue 18 item 3).
///
/// They have their own budget, apart from the authenticated sessions', so that a flood of
/// connections that never authenticate cannot refuse a farm: a new connection is always
/// taken, and when its address already has `perAddress` waiting, that address's oldest is
/// closed; otherwise, when `total` wait, the oldest of all is. Closing the oldest rather
/// than refusing the newest (OpenSSH's `MaxStartups` refuses at random, which also locks
/// out the honest peer) means an honest handshake, which takes one round trip, is only lost
/// if `perAddress` newer connections from its own address (or `total` from anywhere) arrive
/// before it completes; refusing the newest would refuse it for as long as the flood lasts.
/// "An address" is an `AddressGroup`: IPv6 addresses count per /64 prefix, IPv4 (and
/// IPv4-mapped IPv6) addresses one by one.
/// Generic over what is kept per connection so that it can be tested without sockets.
struct PendingConnections<Entry> {
    let perAddress: Int
    let total: Int
    private var waiting: [(key: ObjectIdentifier, host: String, entry: Entry)] = []

    init(perAddress: Int, total: Int) {
        precondition(perAddress > 0 && total >= perAddress, "a budget of \(perAddress) per address and \(total) in all")
        self.perAddress = perAddress
        self.total = total
    }

    var count: Int { waiting.count }

    /// Takes a new connection from `host` (numeric, as the kernel reports it); returns the
    /// one closed to make room, if any.
    mutating func admit(_ key: ObjectIdentifier, host: String, _ entry: Entry) -> Entry? {
        let host = AddressGroup.key(forHost: host)
        var evicted: Entry?
        if let oldest = waiting.firstIndex(where: { $0.host == host }),
           waiting.lazy.filter({ $0.host == host }).count >= perAddress {
            evicted = waiting.remove(at: oldest).entry
        } else if waiting.count >= total {
            evicted = waiting.removeFirst().entry
        }
        waiting.append((key, host, entry))
        return evicted
    }

    /// The connection authenticated, or ended: it no longer waits.
    mutating func remove(_ key: ObjectIdentifier) {
        waiting.removeAll { $0.key == key }
    }
}
