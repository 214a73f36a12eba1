import CarnetNet
import Dispatch
import Foundation
import XCTest

final class SignalWatcherTests: XCTestCase {
    /// Uses SIGUSR1 delivered to the watching thread, so that the test process's other
    /// threads (which started before the watcher, so do not block it) are not involved.
    func testHandlerRunsOnTheWatchingThreadForEachSignal() throws {
        let received = DispatchSemaphore(value: 0)
        let watcher = try SignalWatcher(signals: [SIGUSR1]) { signal in
            if signal == SIGUSR1 { received.signal() }
        }
        watcher.deliver(SIGUSR1)
        XCTAssertEqual(received.wait(timeout: .now() + 5), .success)
        watcher.deliver(SIGUSR1)
        XCTAssertEqual(received.wait(timeout: .now() + 5), .success)
    }
}
