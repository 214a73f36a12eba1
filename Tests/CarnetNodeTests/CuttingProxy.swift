import CarnetNet
import Foundation

/// A TCP proxy on loopback that forwards to `target` and cuts each connection once
/// `cutAfter` bytes went from client to server (nil: never): a link that drops
/// mid-batch, for tests.
final class CuttingProxy: @unchecked Sendable {
    // `@unchecked Sendable`: `listener` and `target` are immutable; `forwarded` is only
    // touched under `lock`.
    let listener: TCPListener
    let target: SocketAddress
    let cutAfter: Int?
    private let lock = NSLock()
    private var stopped = false
    private(set) var forwardedToServer = 0

    init(target: SocketAddress, cutAfter: Int?) throws {
        listener = try TCPListener(address: SocketAddress(host: "127.0.0.1", port: 0))
        self.target = target
        self.cutAfter = cutAfter
        Thread { self.acceptLoop() }.start()
    }

    var address: SocketAddress { SocketAddress(host: "127.0.0.1", port: listener.port) }

    func stop() {
        lock.withLock { stopped = true }
        listener.close()
    }

    private func acceptLoop() {
        while !lock.withLock({ stopped }) {
            guard let client = try? listener.accept(timeout: .milliseconds(200)) else { continue }
            guard let server = try? TCPConnection.connect(to: target, timeout: .seconds(2)) else {
                client.close()
                continue
            }
            Thread { self.pump(from: client, to: server, counted: true) }.start()
            Thread { self.pump(from: server, to: client, counted: false) }.start()
        }
    }

    private func pump(from source: TCPConnection, to destination: TCPConnection, counted: Bool) {
        while true {
            guard let bytes = try? source.receive(maxBytes: 4096, timeout: .seconds(10)), !bytes.isEmpty else { break }
            var chunk = bytes
            var cut = false
            if counted, let cutAfter {
                lock.withLock {
                    let room = max(0, cutAfter - forwardedToServer)
                    if chunk.count >= room {
                        chunk = Array(chunk.prefix(room))
                        cut = true
                    }
                    forwardedToServer += chunk.count
                }
            } else if counted {
                lock.withLock { forwardedToServer += chunk.count }
            }
            if !chunk.isEmpty, (try? destination.send(chunk, timeout: .seconds(10))) == nil { break }
            if cut { break }
        }
        source.close()
        destination.close()
    }
}
