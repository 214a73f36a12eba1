import CarnetCore
import CarnetNode
import CarnetSystem
import Foundation
import Testing

/// `peer-state` keeps its eight positional fields and takes named ones after them, so a
/// field added later neither breaks an older file nor is lost by a process that does not
/// know its name.
@Suite struct PeerStateFileTests {
    @Test func namedFieldsAfterThePositionalOnesReadAndAreKept() throws {
        let directory = NSTemporaryDirectory() + "carnet-peer-state-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let old = "peer\thub:7420\t1000\t\t\t\thub\t\n"
        let newer = "peer\tfarm:7420\t2000\t\t\t\tfarm\t\tfuture=1\tbytes-sent=42\n"
        try Data((old + newer).utf8).write(to: URL(fileURLWithPath: directory + "/" + PeerBook.stateFile))

        let states = PeerBook.states(directory: directory)
        #expect(states["hub:7420"]?.lastSyncMillis == 1000)
        #expect(states["hub:7420"]?.extra == [:])
        #expect(states["farm:7420"]?.extra == ["future": "1", "bytes-sent": "42"])

        // Removing one peer rewrites the file: the other's named fields survive.
        #expect(try PeerBook.remove("hub:7420", directory: directory))
        let after = PeerBook.states(directory: directory)
        #expect(after.keys.sorted() == ["farm:7420"])
        #expect(after["farm:7420"]?.extra == ["future": "1", "bytes-sent": "42"])
        #expect(after["farm:7420"]?.peerLabel == "farm")
    }
}
