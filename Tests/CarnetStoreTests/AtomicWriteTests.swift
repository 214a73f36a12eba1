import Foundation
import Testing
@testable import CarnetSystem

/// Replacing a file atomically goes through a temporary file beside it. Someone who can
/// write in that directory must not be able to redirect the write by planting a symlink
/// where the temporary will be: the temporary is a new file (O_EXCL, O_NOFOLLOW) under a
/// name nobody can guess, and a name already taken is never opened.
struct AtomicWriteTests {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "carnet-atomic-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: root) }

    /// A file that must not change, and symlinks to it at every name a writer of `target`
    /// could have predicted.
    func plantSymlinks(for target: String) throws -> (victim: String, links: [String]) {
        let victim = root + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let links = [target + ".\(getpid()).tmp", target + ".tmp", target + ".1.tmp", target + "~"]
        for link in links { try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim) }
        return (victim, links)
    }

    func isSymlink(_ path: String, to destination: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == destination
    }

    @Test func aPlantedSymlinkAtAPredictableTemporaryNameIsNotWrittenThrough() throws {
        defer { cleanUp() }
        let target = root + "/checkpoint"
        try Data([9, 9]).write(to: URL(fileURLWithPath: target))
        let (victim, links) = try plantSymlinks(for: target)

        try Directory.writeAtomically([1, 2, 3], to: target, in: root)

        #expect(FileManager.default.contents(atPath: victim) == Data("precious".utf8), "the write went through a planted symlink")
        #expect(FileManager.default.contents(atPath: target) == Data([1, 2, 3]))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: target)) == nil, "the target is a file of its own")
        for link in links { #expect(isSymlink(link, to: victim), "\(link) was replaced or removed") }
    }

    @Test func temporaryFilesAreNewPrivateAndUnguessable() throws {
        defer { cleanUp() }
        let target = root + "/status"
        let storage = PosixStorage()
        let first = try storage.createTemporary(for: target)
        let second = try storage.createTemporary(for: target)
        #expect(first.path != second.path)
        for file in [first, second] {
            #expect(file.path.hasPrefix(target + "."), "beside its target, in the same directory: \(file.path)")
            #expect(file.path.hasSuffix(".tmp"))
            #expect(!file.path.contains(".\(getpid())."), "the process id is guessable: \(file.path)")
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file.path)")
        }
        // 64 random bits: two names share no 8-hex-digit run by chance.
        #expect(first.path.dropFirst(target.count).prefix(9) != second.path.dropFirst(target.count).prefix(9))
    }

    @Test func aTakenTemporaryNameIsSkippedNotOpened() throws {
        defer { cleanUp() }
        let target = root + "/node"
        let (victim, links) = try plantSymlinks(for: target)
        var names = links.makeIterator()
        let file = try Directory.createTemporary(for: target) { names.next() ?? target + ".fresh.tmp" }
        #expect(file.path == target + ".fresh.tmp", "every planted name was skipped")
        try file.write([7], at: 0)
        #expect(FileManager.default.contents(atPath: victim) == Data("precious".utf8))

        var taken = links.makeIterator()
        #expect(throws: SystemError.self, "a writer gives up after a few taken names") {
            _ = try Directory.createTemporary(for: target, attempts: links.count) { taken.next()! }
        }
    }

    @Test func aReadOnlyOpenNeverWritesAndRefusesSymlinksWhenAsked() throws {
        defer { cleanUp() }
        let path = root + "/events.log"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        let file = try File(readingOnly: path)
        #expect(try file.readAll() == [1, 2, 3])
        #expect(throws: SystemError.self, "the descriptor is read-only") { try file.write([4], at: 3) }
        #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 3]))

        let link = root + "/link.log"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        #expect(try File(readingOnly: link).readAll() == [1, 2, 3])
        #expect(throws: SystemError.self) { _ = try File(readingOnly: link, followingSymlink: false) }
    }
}
