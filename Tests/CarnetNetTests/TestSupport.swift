import CarnetNet
import CarnetSystem
import Dispatch
import Foundation
import XCTest

/// Runs a closure on its own thread (as a real session would run), and hands back what it
/// returned or threw when joined.
final class Background<T: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Outcome<T>()

    init(_ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [done, outcome] in
            outcome.set(Result { try body() })
            done.signal()
        }
        thread.start()
    }

    /// Waits for the thread's result; fails the test rather than hanging forever.
    func join(file: StaticString = #filePath, line: UInt = #line) throws -> T {
        guard done.wait(timeout: .now() + 10) == .success else {
            XCTFail("background thread did not finish", file: file, line: line)
            throw CancellationError()
        }
        return try outcome.get().get()
    }
}

/// `@unchecked Sendable` is sound: `value` is only touched under `lock`.
final class Outcome<T>: @unchecked Sendable {
    private let lock = Lock()
    private var value: Result<T, any Error>?

    func set(_ result: Result<T, any Error>) { lock.withLock { value = result } }
    func get() -> Result<T, any Error> { lock.withLock { value! } }
}

/// A small seeded generator, so that chunk sizes and payloads repeat run after run.
struct TestRandom: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        // xorshift64*
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_f491_4f6c_dd1d
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}

let loopback = SocketAddress(host: "127.0.0.1", port: 0)

/// A listener on a free loopback port and both ends of one connection to it.
func connectedPair(file: StaticString = #filePath, line: UInt = #line) throws
    -> (listener: TCPListener, client: TCPConnection, server: TCPConnection) {
    let listener = try TCPListener(address: loopback)
    let client = try TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: listener.port), timeout: .seconds(2))
    let server = try XCTUnwrap(try listener.accept(timeout: .seconds(2)), "accept timed out", file: file, line: line)
    return (listener, client, server)
}

/// Receives exactly `count` bytes (in pieces of random size), failing on early close.
func receiveAll(_ connection: TCPConnection, count: Int, seed: UInt64) throws -> [UInt8] {
    var random = TestRandom(state: seed)
    var received: [UInt8] = []
    received.reserveCapacity(count)
    while received.count < count {
        let piece = try connection.receive(maxBytes: Int.random(in: 1...70_000, using: &random), timeout: .seconds(5))
        guard !piece.isEmpty else { throw NetError.closedByPeer(connection.peer) }
        received += piece
    }
    return received
}

/// Sends all of `bytes` in chunks of random size.
func sendInChunks(_ connection: TCPConnection, _ bytes: [UInt8], seed: UInt64) throws {
    var random = TestRandom(state: seed)
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + Int.random(in: 1...70_000, using: &random))
        try connection.send(bytes[offset..<end], timeout: .seconds(5))
        offset = end
    }
}

/// Asserts that `body` throws a `NetError` matching `expected`.
func assertThrowsNetError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
                             _ expected: (NetError) -> Bool) {
    do {
        _ = try body()
        XCTFail("expected a NetError, nothing was thrown", file: file, line: line)
    } catch let error as NetError {
        XCTAssertTrue(expected(error), "unexpected error: \(error)", file: file, line: line)
    } catch {
        XCTFail("expected a NetError, got \(error)", file: file, line: line)
    }
}
