import CarnetCore
import CarnetNet
import CarnetSystem
import Foundation

/// A TCP proxy on loopback that makes a connection behave like `profile`: a connection
/// starts one round trip late (TCP's handshake), each direction is paced to its bandwidth (a chunk leaves after the previous one has been "on the
/// wire" long enough), delayed by half the round trip plus jitter, and cut or stalled on
/// schedule. Two threads per direction (reader and timed writer); nothing on the Swift
/// concurrency pool.
public final class LinkSimulator: @unchecked Sendable {
    // `@unchecked Sendable`: immutable configuration; counters and flags under `lock`.
    public let profile: LinkProfile
    public let target: SocketAddress
    private let listener: TCPListener
    fileprivate let started = ContinuousClock().now
    private let lock = Lock()
    private var stopped = false
    private var connectionCount = 0
    private var counters = LinkCounters()

    public init(target: SocketAddress, profile: LinkProfile, listen: SocketAddress = SocketAddress(host: "127.0.0.1", port: 0)) throws(NetError) {
        self.profile = profile
        self.target = target
        listener = try TCPListener(address: listen)
        Thread { self.acceptLoop() }.start()
    }

    public var address: SocketAddress { SocketAddress(host: "127.0.0.1", port: listener.port) }
    public var statistics: LinkCounters { lock.withLock { counters } }

    public func stop() {
        lock.withLock { stopped = true }
        listener.close()
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    fileprivate func count(_ direction: LinkDirection, _ bytes: Int, _ cut: Bool) {
        lock.withLock {
            if direction == .up { counters.bytesUp += bytes } else { counters.bytesDown += bytes }
            if cut { counters.cuts += 1 }
        }
    }

    private func acceptLoop() {
        while !isStopped {
            guard let client = try? listener.accept(timeout: .milliseconds(200)) else { continue }
            if ContinuousClock().now - started < profile.refuseFor {
                lock.withLock { counters.refused += 1 }
                client.close()
                continue
            }
            let index = lock.withLock { () -> Int in
                connectionCount += 1
                counters.connections += 1
                return connectionCount
            }
            Thread { self.open(client, index: index) }.start()
        }
    }
}

extension LinkSimulator {
    /// Connects through to the target and starts the link. The client's connect returned
    /// at once (the proxy is local); a real link spends one round trip on TCP's handshake
    /// first, so nothing moves until one round trip has passed.
    fileprivate func open(_ client: TCPConnection, index: Int) {
        if profile.roundTrip > .zero { Thread.sleep(forTimeInterval: profile.roundTrip.seconds) }
        guard let server = try? TCPConnection.connect(to: target, timeout: .seconds(5)) else {
            client.close()
            return
        }
        let link = LinkConnection(client: client, server: server, profile: profile, seed: profile.seed &+ UInt64(index),
                                  simulatorStart: started) { [weak self] direction, bytes, cut in
            guard let self else { return }
            self.count(direction, bytes, cut)
        }
        link.start()
    }
}

/// What crossed the simulated link.
public struct LinkCounters: Sendable, Equatable {
    public var connections = 0
    public var refused = 0
    public var cuts = 0
    /// Bytes delivered dialer → listener, and back.
    public var bytesUp = 0
    public var bytesDown = 0
}

enum LinkDirection: Sendable { case up, down }

/// One proxied connection: a reader and a paced writer per direction.
final class LinkConnection: @unchecked Sendable {
    // `@unchecked Sendable`: queues, counters and flags are only touched while holding
    // `condition` (an NSCondition, also the lock); the sockets
    // are `Sendable`.
    private let client: TCPConnection
    private let server: TCPConnection
    private let profile: LinkProfile
    private let opened = ContinuousClock().now
    private let simulatorStart: ContinuousClock.Instant
    private let condition = NSCondition()
    private var queues: [LinkDirection: [(due: ContinuousClock.Instant, bytes: [UInt8])]] = [.up: [], .down: []]
    private var lastDue: [LinkDirection: ContinuousClock.Instant] = [:]
    private var wireFree: [LinkDirection: ContinuousClock.Instant] = [:]
    private var closedReaders = 0
    /// Bytes read and not yet delivered, per direction: bounded like a router's buffer, so
    /// the sender feels the link (TCP flow control) instead of filling the proxy.
    private var queued: [LinkDirection: Int] = [.up: 0, .down: 0]
    static let bufferLimit = 64 << 10
    private var isCut = false
    private var crossed = 0
    private var random: SplitMix64
    private let report: @Sendable (LinkDirection, Int, Bool) -> Void

    init(client: TCPConnection, server: TCPConnection, profile: LinkProfile, seed: UInt64,
         simulatorStart: ContinuousClock.Instant, report: @escaping @Sendable (LinkDirection, Int, Bool) -> Void) {
        self.client = client
        self.server = server
        self.profile = profile
        self.simulatorStart = simulatorStart
        random = SplitMix64(seed: seed)
        self.report = report
    }

    func start() {
        Thread { self.read(.up, from: self.client) }.start()
        Thread { self.read(.down, from: self.server) }.start()
        Thread { self.write(.up, to: self.server) }.start()
        Thread { self.write(.down, to: self.client) }.start()
    }

    private func read(_ direction: LinkDirection, from source: TCPConnection) {
        let rate = direction == .up ? profile.upBytesPerSecond : profile.downBytesPerSecond
        while true {
            guard let bytes = try? source.receive(maxBytes: 1_400, timeout: .seconds(3600)), !bytes.isEmpty else { break }
            condition.lock()
            while queued[direction]! >= Self.bufferLimit && !isCut { condition.wait() }
            if isCut {
                condition.unlock()
                break
            }
            queued[direction]! += bytes.count
            let now = ContinuousClock().now
            // Serialization: the chunk occupies the wire after the previous one.
            let start = max(now, wireFree[direction] ?? now)
            let onWire = rate.map { Duration.seconds(Double(bytes.count) / Double($0)) } ?? .zero
            wireFree[direction] = start + onWire
            var jitter = Duration.zero
            if profile.jitter > .zero {
                jitter = profile.jitter * (Double(random.next() % 1_000) / 1_000)
            }
            var due = start + onWire + profile.roundTrip / 2 + jitter
            if let previous = lastDue[direction], due < previous { due = previous }  // TCP keeps order
            lastDue[direction] = due
            queues[direction]!.append((due, bytes))
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        closedReaders += 1
        queues[direction]!.append((ContinuousClock().now, []))  // end of stream marker
        condition.broadcast()
        condition.unlock()
    }

    private func write(_ direction: LinkDirection, to destination: TCPConnection) {
        while true {
            condition.lock()
            while queues[direction]!.isEmpty && !isCut { condition.wait() }
            if isCut {
                condition.unlock()
                break
            }
            let (due, bytes) = queues[direction]!.removeFirst()
            queued[direction]! -= bytes.count
            condition.broadcast()
            condition.unlock()
            if bytes.isEmpty {
                destination.shutdownWrite()
                break
            }
            var wait = due - ContinuousClock().now
            if let at = profile.blackoutAt {
                let blackoutStart = simulatorStart + at, blackoutEnd = blackoutStart + profile.blackoutLength
                let deliverAt = ContinuousClock().now + max(.zero, wait)
                if deliverAt >= blackoutStart && deliverAt < blackoutEnd { wait = blackoutEnd - ContinuousClock().now }
            }
            if wait > .zero { Thread.sleep(forTimeInterval: wait.seconds) }
            var chunk = bytes
            var cutNow = false
            condition.lock()
            if let limit = profile.cutAfterBytes, crossed + chunk.count >= limit {
                chunk = Array(chunk.prefix(max(0, limit - crossed)))
                cutNow = true
            }
            if let every = profile.cutEvery, ContinuousClock().now - opened >= every { chunk = []; cutNow = true }
            crossed += chunk.count
            condition.unlock()
            if !chunk.isEmpty {
                if (try? destination.send(chunk, timeout: .seconds(30))) == nil { cutNow = true }
                report(direction, chunk.count, false)
            }
            if cutNow {
                cut()
                break
            }
        }
    }

    /// Drops the connection both ways, as a failing link does.
    private func cut() {
        condition.lock()
        let first = !isCut
        isCut = true
        condition.broadcast()
        condition.unlock()
        guard first else { return }
        report(.up, 0, true)
        client.close()
        server.close()
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number (for sleeping).
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
