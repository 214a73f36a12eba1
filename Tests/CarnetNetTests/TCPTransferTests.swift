import CarnetNet
import XCTest

final class TCPTransferTests: XCTestCase {
    func testListenerOnPortZeroGetsARealPort() throws {
        let listener = try TCPListener(address: loopback)
        XCTAssertNotEqual(listener.port, 0)
    }

    func testSmallRoundTrip() throws {
        let (listener, client, server) = try connectedPair()
        defer { listener.close() }
        try client.send(Array("hello".utf8), timeout: .seconds(2))
        XCTAssertEqual(try receiveAll(server, count: 5, seed: 1), Array("hello".utf8))
        try server.send(Array("olleh".utf8), timeout: .seconds(2))
        XCTAssertEqual(try receiveAll(client, count: 5, seed: 2), Array("olleh".utf8))
        XCTAssertEqual(server.localPort, listener.port)
        XCTAssertEqual(client.peer.port, listener.port)
        XCTAssertEqual(server.peer.port, client.localPort)
        XCTAssertEqual(server.peer.host, "127.0.0.1")
    }

    /// 1 MiB each way at the same time, both sides sending in random chunks while reading
    /// in random sizes: more than the socket buffers hold, so each side's sends only finish
    /// because the other side keeps reading meanwhile.
    func testOneMebibyteBothWaysAtOnce() throws {
        let (listener, client, server) = try connectedPair()
        defer { listener.close() }
        var random = TestRandom(state: 42)
        let up = random.bytes(1 << 20)
        let down = random.bytes(1 << 20)

        let clientSends = Background { try sendInChunks(client, up, seed: 3) }
        let serverSends = Background { try sendInChunks(server, down, seed: 4) }
        let serverReceives = Background { try receiveAll(server, count: up.count, seed: 5) }
        let clientReceived = try receiveAll(client, count: down.count, seed: 6)

        try clientSends.join()
        try serverSends.join()
        XCTAssertTrue(try serverReceives.join() == up, "bytes from client to server differ")
        XCTAssertTrue(clientReceived == down, "bytes from server to client differ")
    }

    func testNonContiguousCollectionsAreSent() throws {
        let (listener, client, server) = try connectedPair()
        defer { listener.close() }
        try client.send((0..<200).lazy.map { UInt8($0) }, timeout: .seconds(2))
        XCTAssertEqual(try receiveAll(server, count: 200, seed: 7), (0..<200).map { UInt8($0) })
    }

    func testIPv6Loopback() throws {
        let listener: TCPListener
        do {
            listener = try TCPListener(address: SocketAddress(host: "::1", port: 0))
        } catch {
            throw XCTSkip("no IPv6 loopback here: \(error)")
        }
        defer { listener.close() }
        let client = try TCPConnection.connect(to: try SocketAddress(parsing: "[::1]:\(listener.port)"), timeout: .seconds(2))
        let server = try XCTUnwrap(try listener.accept(timeout: .seconds(2)))
        try client.send([1, 2, 3], timeout: .seconds(2))
        XCTAssertEqual(try receiveAll(server, count: 3, seed: 8), [1, 2, 3])
        XCTAssertEqual(server.peer.host, "::1")
    }

    func testShutdownWriteLetsThePeerReadToTheEndAndStillReply() throws {
        let (listener, client, server) = try connectedPair()
        defer { listener.close() }
        try client.send([9, 9], timeout: .seconds(2))
        client.shutdownWrite()
        XCTAssertEqual(try receiveAll(server, count: 2, seed: 9), [9, 9])
        XCTAssertEqual(try server.receive(maxBytes: 10, timeout: .seconds(2)), [])
        try server.send([7], timeout: .seconds(2))
        XCTAssertEqual(try client.receive(maxBytes: 10, timeout: .seconds(2)), [7])
    }
}
