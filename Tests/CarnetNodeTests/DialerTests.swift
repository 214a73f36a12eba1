import CarnetNet
import CarnetNode
import Foundation
import Testing

/// `carnet sync` dials while it opens its store. A listener drops a connection that sends
/// nothing within its handshake deadline, and a farm holding ten million events took 9 s
/// to open: its sync failed, told that the secret was wrong. A connection made ahead that
/// waited too long is replaced by a fresh one.
struct DialerTests {
    @Test func aConnectionThatWaitedTooLongIsMadeAgain() throws {
        let listener = try TCPListener(address: SocketAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        let address = SocketAddress(host: "127.0.0.1", port: listener.port)

        // Taken at once: the connection made ahead.
        let quick = SyncClient.Dialer(address, timeout: .seconds(5), waitsAtMost: .seconds(30))
        let kept = try quick.connection(directory: NSTemporaryDirectory())
        let first = try #require(try listener.accept(timeout: .seconds(5)))
        try kept.send([1, 2, 3], timeout: .seconds(5))
        #expect(try first.receive(maxBytes: 8, timeout: .seconds(5)) == [1, 2, 3])
        kept.close()

        // Taken after waiting past its bound: that one is closed, and another made.
        let slow = SyncClient.Dialer(address, timeout: .seconds(5), waitsAtMost: .milliseconds(100))
        let early = try #require(try listener.accept(timeout: .seconds(5)))
        Thread.sleep(forTimeInterval: 0.3)
        let fresh = try slow.connection(directory: NSTemporaryDirectory())
        #expect(try early.receive(maxBytes: 8, timeout: .seconds(5)) == [], "the connection made ahead was not closed")
        let second = try #require(try listener.accept(timeout: .seconds(5)), "no fresh connection")
        try fresh.send([4], timeout: .seconds(5))
        #expect(try second.receive(maxBytes: 8, timeout: .seconds(5)) == [4])
        fresh.close()
    }
}
