import Foundation
import Glibc
import Testing

/// Issue 21 item 3: one `carnet serve` per node directory. A second one (on another port)
/// used to run beside the first, and `status` then described whichever wrote last.
@Suite(.serialized)
struct ServeLockTests {
    @Test func aSecondServeOnTheSameDirectoryIsRefusedNamingTheFirstAndAKilledOneDoesNotBlock() throws {
        let sandbox = try Sandbox()
        try sandbox.initNode("hub", label: "Hub")
        let directory = sandbox.path("hub")
        let first = try ServeProcess(directory: directory)
        let port = try #require(first.port, "first serve: \(first.firstLine)")

        let second = try ServeProcess(directory: directory)
        let ended = second.waitForExit(seconds: 15)
        let (status, stderr) = try #require(ended, "a second serve on the same directory kept running")
        #expect(status != 0)
        #expect(second.port == nil, "the second serve said it listens: \(second.firstLine)")
        #expect(stderr.contains("already running"), "\(stderr)")
        #expect(stderr.contains("pid \(first.pid)"), "the message names the running server's pid: \(stderr)")
        #expect(stderr.contains("127.0.0.1:\(port)"), "the message names its address: \(stderr)")
        #expect(first.process.isRunning, "the refused server must leave the running one alone")

        // A lock left by a killed server blocks nothing: the kernel drops it with the process.
        first.stop(SIGKILL)
        let third = try ServeProcess(directory: directory)
        #expect(third.port != nil, "a serve after the first was killed must start: \(third.firstLine)")
        let lockText = try String(contentsOfFile: directory + "/serve.lock", encoding: .utf8)
        #expect(lockText.contains("pid \(third.pid)"), "the stale text is overwritten: \(lockText)")
        third.stop()
        #expect(third.process.terminationStatus == 0)

        // A clean stop releases it too.
        let fourth = try ServeProcess(directory: directory)
        #expect(fourth.port != nil, "a serve after a clean stop must start: \(fourth.firstLine)")
        fourth.stop()
    }
}
