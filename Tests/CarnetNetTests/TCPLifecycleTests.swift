import CarnetNet
import Foundation
import XCTest

final class TCPLifecycleTests: XCTestCase {
    func testCloseIsIdempotentAndLaterCallsThrow() throws {
        let (listener, client, server) = try connectedPair()
        defer { server.close() }  // Held open: a freed server end would close the connection.
        client.close()
        client.close()
        assertThrowsNetError(try client.send([1], timeout: .seconds(1))) { error in
            if case .closedLocally = error { return true }
            return false
        }
        assertThrowsNetError(try client.receive(maxBytes: 1, timeout: .seconds(1))) { error in
            if case .closedLocally = error { return true }
            return false
        }
        client.shutdownWrite()  // A no-op now, not a crash.
        listener.close()
        listener.close()
        assertThrowsNetError(try listener.accept(timeout: .seconds(1))) { error in
            if case .closedLocally = error { return true }
            return false
        }
    }

    func testCloseFromAnotherThreadWakesABlockedReceive() throws {
        let (listener, client, server) = try connectedPair()
        defer { server.close() }  // Held open: a freed server end would close the connection.
        defer { listener.close() }
        let receiver = Background { try client.receive(maxBytes: 10, timeout: .seconds(10)) }
        usleep(20_000)  // Most likely blocked in poll by now; either order must end the same way.
        client.close()
        XCTAssertThrowsError(try receiver.join()) { error in
            guard case .closedLocally? = error as? NetError else { return XCTFail("unexpected error \(error)") }
        }
    }

    func testCloseFromAnotherThreadWakesABlockedAccept() throws {
        let listener = try TCPListener(address: loopback)
        let acceptor = Background { try listener.accept(timeout: .seconds(10)) }
        usleep(20_000)
        listener.close()
        XCTAssertThrowsError(try acceptor.join()) { error in
            guard case .closedLocally? = error as? NetError else { return XCTFail("unexpected error \(error)") }
        }
    }

    func testNoDescriptorLeaksOverManyConnections() throws {
        func cycle() throws {
            let (listener, client, server) = try connectedPair()
            try client.send([1], timeout: .seconds(1))
            XCTAssertEqual(try server.receive(maxBytes: 1, timeout: .seconds(1)), [1])
            client.close()
            server.close()
            listener.close()
        }
        try cycle()  // Anything opened once per process (resolver files) is open from here on.
        let before = try openDescriptorCount()
        for _ in 0..<200 { try cycle() }
        // Objects that were never closed explicitly release their descriptor when freed.
        for _ in 0..<20 { _ = try connectedPair() }
        XCTAssertEqual(try openDescriptorCount(), before)
    }

    private func openDescriptorCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
    }
}
