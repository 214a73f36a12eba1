import Foundation
import Testing

/// T3 (d), the real `carnet` binary on a failing disk, through `CARNET_FAULTS` (fault
/// rules the syscall funnel applies; see `FaultSpec`): an fsync that returns EIO, a disk
/// that fills up in the middle of a record, and a short write. A failing `record` says
/// what went wrong (the file and the errno) and exits non-zero without printing an id;
/// afterwards the store opens, `carnet verify` passes, and every entry acknowledged before
/// (and after) is there.
@Suite(.serialized)
struct DiskFaultTests {
    /// A node with a farm and a product, and the entries acknowledged on it so far.
    final class Node {
        let sandbox: Sandbox
        var acknowledged: [String] = []
        var counter = 0

        init() throws {
            sandbox = try Sandbox()
            try sandbox.initNode("a", label: "col")
            try sandbox.seedLedger("a")
            acknowledged = try entryIDs()
        }

        /// `carnet record harvest …` with `faults` as `CARNET_FAULTS`.
        func record(faults: String? = nil) throws -> CommandLineTests.Run {
            counter += 1
            var environment = ["NO_COLOR": "1", "HOME": sandbox.root, "PATH": "/usr/bin:/bin", "TZ": "UTC"]
            environment["CARNET_FAULTS"] = faults
            let run = try CommandLineTests.carnet(
                ["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "\(counter)kg",
                 "--lot", "F\(counter)", "--date", "2026-06-02", "--dir", sandbox.path("a")],
                environment: environment)
            if run.status == 0 { acknowledged.append(run.stdout.trimmedLine) }
            return run
        }

        func entryIDs() throws -> [String] {
            let entries = try sandbox.json(["log"]) as? [[String: Any]] ?? []
            return entries.compactMap { $0["id"] as? String }
        }

        /// I1 and I3 through the binary: verify exits 0, and every acknowledged entry is listed.
        func expectSound(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let verify = try sandbox.run(["verify"])
            #expect(verify.status == 0, "\(what): verify → \(verify.status): \(verify.stdout) \(verify.stderr)", sourceLocation: sourceLocation)
            let held = Set(try entryIDs())
            let missing = acknowledged.filter { !held.contains($0) }
            #expect(missing.isEmpty, "\(what): acknowledged entries missing: \(missing)", sourceLocation: sourceLocation)
        }
    }

    @Test func anFsyncEIOFailsTheRecordClearlyAndLosesNothing() throws {
        let node = try Node()
        for _ in 0..<3 { #expect(try node.record().status == 0) }
        let failed = try node.record(faults: "fsync:eio:path=events.log")
        #expect(failed.status != 0 && failed.stdout.isEmpty, "\(failed.status) \(failed.stdout)")
        #expect(failed.stderr.contains("fsync") && failed.stderr.contains("events.log") && failed.stderr.contains("EIO"), "\(failed.stderr)")
        try node.expectSound("after fsync EIO")
        #expect(try node.record().status == 0, "the store takes writes again")
        // The second fsync failing: the log's own is the first, so this one is the status
        // file's; the entry is durable, and the command succeeds with a warning.
        let late = try node.record(faults: "fsync:eio:after=1")
        #expect(late.status == 0, "\(late.stderr)")
        #expect(late.stderr.contains("EIO"), "a warning names the failed status write: \(late.stderr)")
        try node.expectSound("after fsync EIO on the status file")
    }

    @Test func aDiskFullInTheMiddleOfARecordFailsClearlyAndLosesNothing() throws {
        let node = try Node()
        for _ in 0..<3 { #expect(try node.record().status == 0) }
        for room in [0, 5, 40] {
            let failed = try node.record(faults: "write:enospc:bytes=\(room):path=events.log")
            #expect(failed.status != 0 && failed.stdout.isEmpty, "room \(room): \(failed.status) \(failed.stdout)")
            #expect(failed.stderr.contains("events.log") && failed.stderr.contains("ENOSPC"), "room \(room): \(failed.stderr)")
            try node.expectSound("after ENOSPC with \(room) bytes of room")
        }
        #expect(try node.record().status == 0, "the store takes writes again")
        try node.expectSound("after a write on the healed disk")
    }

    @Test func aShortWriteIsCompletedNotAnError() throws {
        let node = try Node()
        let run = try node.record(faults: "write:short=7:path=events.log")
        #expect(run.status == 0 && !run.stdout.isEmpty, "\(run.stderr)")
        let pieces = try node.record(faults: "write:short=3:times=always:path=events.log")
        #expect(pieces.status == 0, "a record written 3 bytes at a time: \(pieces.stderr)")
        try node.expectSound("after short writes")
    }

    @Test func aMalformedFaultSpecificationStopsBeforeAnythingRuns() throws {
        let node = try Node()
        let run = try node.record(faults: "fsync:explode")
        #expect(run.status == 64 && run.stderr.contains("CARNET_FAULTS"), "\(run.status) \(run.stderr)")
        try node.expectSound("after a refused specification")
    }
}
