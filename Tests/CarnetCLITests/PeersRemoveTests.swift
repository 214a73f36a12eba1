import Foundation
import Glibc
import Testing

/// Issue 21 item 4: whatever `carnet peers list` shows, `carnet peers remove` takes, even a
/// mistyped host that never resolved, a port no socket has, or a line an older version or
/// a person wrote without the port.
@Suite(.serialized)
struct PeersRemoveTests {
    /// The addresses `peers list --json` shows.
    static func listed(_ sandbox: borrowing Sandbox) throws -> [String] {
        let rows = try sandbox.json(["peers", "list"]) as? [[String: Any]] ?? []
        return rows.compactMap { $0["address"] as? String }
    }

    @Test func aMistypedHostThatASyncTriedCanBeRemoved() throws {
        let sandbox = try Sandbox()
        try sandbox.initNode("a", label: "col")
        let failed = try sandbox.run(["sync", "hub.locla:7420", "--timeout", "2"])
        #expect(failed.status != 0)
        #expect(try Self.listed(sandbox) == ["hub.locla:7420"])
        let removed = try sandbox.run(["peers", "remove", "hub.locla:7420"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(try Self.listed(sandbox) == [])
    }

    @Test func aMistypedPeerOfServeCanBeRemovedOnceServeIsStopped() throws {
        let sandbox = try Sandbox()
        try sandbox.initNode("a", label: "col")
        let serve = try ServeProcess(directory: sandbox.path("a"), extra: ["--peer", "hub.locla:7420"])
        let deadline = Date().addingTimeInterval(20)
        while try Self.listed(sandbox).isEmpty, Date() < deadline { usleep(100_000) }
        serve.stop()
        #expect(try Self.listed(sandbox) == ["hub.locla:7420"])
        try sandbox.ok(["peers", "remove", "hub.locla:7420"])
        #expect(try Self.listed(sandbox) == [])
    }

    @Test func addedPeersAreRemovedByWhatListShowsOrByWhatWasTyped() throws {
        let sandbox = try Sandbox()
        try sandbox.initNode("a", label: "col")
        try sandbox.ok(["peers", "add", "hub.locla"])
        try sandbox.ok(["peers", "add", "fe80::1"])
        #expect(Set(try Self.listed(sandbox)) == ["hub.locla:7420", "[fe80::1]:7420"])
        try sandbox.ok(["peers", "remove", "hub.locla:7420"])
        try sandbox.ok(["peers", "remove", "fe80::1"])
        #expect(try Self.listed(sandbox) == [])
    }

    @Test func linesThatDoNotParseOrLackThePortAreRemovedAsListShowsThem() throws {
        let sandbox = try Sandbox()
        try sandbox.initNode("a", label: "col")
        // Written by hand or by an older carnet: a port beyond 65535, a host without port.
        try "127.0.0.1:70000\nhub.local\nfarm.lan:7420\n".write(toFile: sandbox.path("a") + "/peers", atomically: true, encoding: .utf8)
        #expect(Set(try Self.listed(sandbox)) == ["127.0.0.1:70000", "hub.local", "farm.lan:7420"])
        try sandbox.ok(["peers", "remove", "127.0.0.1:70000"])
        try sandbox.ok(["peers", "remove", "hub.local"])
        #expect(try Self.listed(sandbox) == ["farm.lan:7420"], "the others stay")
        let peers = try String(contentsOfFile: sandbox.path("a") + "/peers", encoding: .utf8)
        #expect(peers == "farm.lan:7420\n")
    }

    @Test func removingWhatIsNotThereSaysSoAndChangesNothing() throws {
        let sandbox = try Sandbox()
        try sandbox.initNode("a", label: "col")
        try sandbox.ok(["peers", "add", "farm.lan:7420"])
        let run = try sandbox.run(["peers", "remove", "hub.local:7420"])
        #expect(run.status == 65)
        #expect(run.stderr.contains("hub.local:7420 is not a peer"), "\(run.stderr)")
        #expect(try Self.listed(sandbox) == ["farm.lan:7420"])
        let empty = try sandbox.run(["peers", "remove", ""])
        #expect(empty.status == 64)
    }
}
