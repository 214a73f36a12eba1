import CarnetNet
import Foundation
import XCTest

final class TCPFailureTests: XCTestCase {
    func testReceiveReturnsEmptyAfterPeerClosed() throws {
        let (listener, client, server) = try connectedPair()
        defer { listener.close() }
        server.close()
        XCTAssertEqual(try client.receive(maxBytes: 100, timeout: .seconds(2)), [])
    }

    func testSendAfterPeerClosedThrowsInsteadOfRaisingSIGPIPE() throws {
        let (listener, client, server) = try connectedPair()
        defer { listener.close() }
        server.close()
        XCTAssertEqual(try client.receive(maxBytes: 100, timeout: .seconds(2)), [])
        // The first send may still be accepted by the kernel: the peer answers it with a
        // reset, and a later one fails. Without MSG_NOSIGNAL the process would die here.
        assertThrowsNetError(try {
            for _ in 0..<1000 {
                try client.send([UInt8](repeating: 1, count: 1024), timeout: .seconds(2))
                usleep(1000)
            }
        }()) { error in
            if case .closedByPeer = error { return true }
            return false
        }
    }

    func testConnectToAClosedPortIsRefused() throws {
        let listener = try TCPListener(address: loopback)
        let port = listener.port
        listener.close()
        let address = SocketAddress(host: "127.0.0.1", port: port)
        assertThrowsNetError(try TCPConnection.connect(to: address, timeout: .seconds(2))) { error in
            error == .connectionRefused(address)
        }
    }

    func testReceiveTimesOutWhenNothingArrives() throws {
        let (listener, client, server) = try connectedPair()
        defer { server.close() }  // Held open: a freed server end would close the connection.
        defer { listener.close() }
        assertThrowsNetError(try client.receive(maxBytes: 10, timeout: .milliseconds(50))) { error in
            if case .timedOut(operation: "receive from", address: client.peer) = error { return true }
            return false
        }
    }

    func testUnresolvableHostIsReported() {
        let address = SocketAddress(host: "no-such-host.invalid", port: 1)
        assertThrowsNetError(try TCPConnection.connect(to: address, timeout: .seconds(2))) { error in
            if case .unresolvable(address, _) = error { return true }
            return false
        }
    }

    func testMessagesNameTheAddressAndTheCause() {
        let address = SocketAddress(host: "10.0.0.7", port: 7420)
        XCTAssertEqual(NetError.connectionRefused(address).description,
                       "connect 10.0.0.7:7420: connection refused (is carnet serving there?)")
        XCTAssertEqual(NetError.timedOut(operation: "receive from", address: address).description,
                       "receive from 10.0.0.7:7420: timed out")
        let system = NetError.system(.init("send to", path: address.description, errno: EHOSTUNREACH))
        XCTAssertTrue(system.description.hasPrefix("send to 10.0.0.7:7420: No route to host"), system.description)
    }
}
