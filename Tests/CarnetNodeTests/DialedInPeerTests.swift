import CarnetCore
import CarnetNode
import Foundation
import Testing

/// A peer that dials in is kept under its node id (its address is an ephemeral port):
/// `peers remove` takes it by that id, the 8-digit prefix or its label, and a live mark
/// left by a `serve` that no longer runs does not say the session is open.
@Suite struct DialedInPeerTests {
    static let hub = NodeID(hex: "0b61ac4ce1362f7ff9528f3d02a87cfb")!
    static let farm = NodeID(hex: "2e51c83a7f11458921197693a505ab57")!

    /// A state file with a dialed hub and a farm that dialed in, marked live by `pid`.
    static func directory(livePID: Int) throws -> String {
        let directory = NSTemporaryDirectory() + "carnet-dialed-in-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = "peer\thub.local:7420\t1000\t\t\t\(hub.hex)\tferme\t\n"
            + "peer\t\(farm.hex)\t2000\t\t\t\(farm.hex)\tferme\t\tdialed-in=1\tlive-pid=\(livePID)\tlive-since=1500\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + PeerBook.stateFile))
        return directory
    }

    @Test func aPeerThatDialedInIsNamedByItsNodeItsPrefixOrItsLabel() throws {
        for typed in [Self.farm.hex, Self.farm.short, Self.farm.short.uppercased(), "ferme"] {
            let directory = try Self.directory(livePID: Int(getpid()))
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let record = try #require(PeerBook.states(directory: directory)[Self.farm.hex])
            #expect(record.isDialedIn && record.isLive && record.liveSinceMillis == 1500)
            #expect(try PeerBook.remove(typed, directory: directory), "\(typed)")
            // The dialed hub shares the label, but is named by its address only.
            #expect(PeerBook.states(directory: directory).keys.sorted() == ["hub.local:7420"], "\(typed)")
        }
    }

    @Test func aLiveMarkOfAServerThatIsGoneSaysNothingIsOpen() throws {
        // A pid that no process has: the server was killed and could not take its mark back.
        let directory = try Self.directory(livePID: Int(Int32.max))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let record = try #require(PeerBook.states(directory: directory)[Self.farm.hex])
        #expect(record.isDialedIn && !record.isLive)
        let shorter = String(Self.farm.short.dropLast())
        #expect(!(try PeerBook.remove(shorter, directory: directory)), "a prefix shorter than shown names nothing")
    }
}
