import CarnetNet
import Foundation
import XCTest

final class WakeupTests: XCTestCase {
    func testWaitForInputIsWokenFromAnotherThread() throws {
        let (listener, client, server) = try connectedPair()
        defer { server.close() }  // Held open: a freed server end would close the connection.
        defer { listener.close() }
        let wakeup = try Wakeup()
        let signaller = Background {
            usleep(20_000)
            wakeup.signal()
        }
        XCTAssertEqual(try client.waitForInput(timeout: .seconds(10), wakeup: wakeup), .woken)
        try signaller.join()
        // Level-triggered until drained.
        XCTAssertEqual(try client.waitForInput(timeout: .zero, wakeup: wakeup), .woken)
        wakeup.drain()
        XCTAssertEqual(try client.waitForInput(timeout: .milliseconds(20), wakeup: wakeup), .timedOut)
    }

    func testWaitForInputSeesThePeersBytes() throws {
        let (listener, client, server) = try connectedPair()
        defer { listener.close() }
        let wakeup = try Wakeup()
        XCTAssertEqual(try client.waitForInput(timeout: .milliseconds(20), wakeup: wakeup), .timedOut)
        try server.send([5], timeout: .seconds(1))
        XCTAssertEqual(try client.waitForInput(timeout: .seconds(10), wakeup: wakeup), .readable)
        XCTAssertEqual(try client.waitForInput(timeout: .seconds(10), wakeup: nil), .readable)
        XCTAssertEqual(try client.receive(maxBytes: 10, timeout: .seconds(1)), [5])
    }

    func testManySignalsCoalesceAndDrainEmptiesThePipe() throws {
        let (listener, client, server) = try connectedPair()
        defer { server.close() }  // Held open: a freed server end would close the connection.
        defer { listener.close() }
        let wakeup = try Wakeup()
        for _ in 0..<100_000 { wakeup.signal() }  // More than a pipe holds: EAGAIN is ignored.
        XCTAssertEqual(try client.waitForInput(timeout: .zero, wakeup: wakeup), .woken)
        wakeup.drain()
        XCTAssertEqual(try client.waitForInput(timeout: .zero, wakeup: wakeup), .timedOut)
    }

    func testAcceptReturnsNilOnTimeout() throws {
        let listener = try TCPListener(address: loopback)
        defer { listener.close() }
        XCTAssertNil(try listener.accept(timeout: .milliseconds(50)))
    }

    func testAcceptReturnsNilWhenWoken() throws {
        let listener = try TCPListener(address: loopback)
        defer { listener.close() }
        let wakeup = try Wakeup()
        let signaller = Background {
            usleep(20_000)
            wakeup.signal()
        }
        XCTAssertNil(try listener.accept(timeout: .seconds(10), wakeup: wakeup))
        try signaller.join()
    }
}
