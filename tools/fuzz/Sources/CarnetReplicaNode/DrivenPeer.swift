import CarnetSync
import CarnetWire

/// A session's driver and the in-memory node it runs on, driven without a socket: each
/// input returns the bytes the session wrote for its peer. The sync and live-session
/// harnesses hold one per side, so the plumbing between a driver call and the bytes it
/// produced is written once.
public struct DrivenPeer: Sendable {
    public private(set) var driver: PeerDriver
    public let store: ReplicaPeerStore

    public init(role: SessionRole, secret: [UInt8], nonce: [UInt8], live: Bool, settings: SessionSettings = SessionSettings(),
                retired: [RetiredSecret] = [], store: ReplicaPeerStore) {
        self.store = store
        driver = PeerDriver(role: role, secret: secret, nonce: nonce, live: live, settings: settings, retired: retired, store: store)
    }

    public var session: Session { driver.session }

    public mutating func start(now: Duration) -> [UInt8] {
        call { driver, store, out in driver.start(store: store, transport: &out, now: now) }
    }

    public mutating func receive(_ bytes: [UInt8], now: Duration) -> [UInt8] {
        call { driver, store, out in driver.received(bytes, store: store, transport: &out, now: now) }
    }

    public mutating func peerClosed(now: Duration) -> [UInt8] {
        call { driver, store, out in driver.peerClosed(store: store, transport: &out, now: now) }
    }

    /// The store woke the session: what it learned since goes to the peer.
    public mutating func newsArrived(now: Duration) -> [UInt8] {
        call { driver, store, out in driver.newsArrived(store: store, transport: &out, now: now) }
    }

    public mutating func tick(now: Duration) -> [UInt8] {
        call { driver, store, out in driver.tick(store: store, transport: &out, now: now) }
    }

    private mutating func call(_ input: (inout PeerDriver, ReplicaPeerStore, inout OutgoingBytes) -> Void) -> [UInt8] {
        var out = OutgoingBytes()
        input(&driver, store, &out)
        return out.bytes
    }
}
