import Foundation
import Testing

/// A ledger secret is only taken from a file that is what `carnet secret new` writes and
/// that nobody but its owner can read or change, as ssh does with private keys.
struct SecretFileTests {
    static func write(_ text: String, to path: String, mode: Int = 0o600) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    static func mode(_ path: String) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    }

    /// The secret ids a line names ("id 0123456789abcdef"), in order.
    static func ids(_ text: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: "id ([0-9a-f]{16})\\b")
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
            String(text[Range($0.range(at: 1), in: text)!])
        }
    }

    @Test func secretInstallTakesOnlyWhatSecretNewWrites() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        let current = FileManager.default.contents(atPath: box.path("a/secret"))
        let hex = String(repeating: "0123456789abcdef", count: 4)
        let bad: [(String, String)] = [
            ("uppercase", hex.uppercased() + "\n"),
            ("crlf", hex + "\r\n"),
            ("two-newlines", hex + "\n\n"),
            ("leading-space", " " + hex + "\n"),
            ("hash-line", hex + "  ledger.secret\n"),
            ("short", String(hex.dropLast(2)) + "\n"),
            ("empty", ""),
        ]
        for (name, text) in bad {
            let file = box.path(name)
            try Self.write(text, to: file)
            let run = try box.run(["secret", "install", file])
            #expect(run.status != 0, "\(name) was installed")
            #expect(run.stderr.contains("is not a ledger secret"), "\(name): \(run.stderr)")
            #expect(FileManager.default.contents(atPath: box.path("a/secret")) == current, "\(name) changed the secret")
        }
        // A directory is not a secret file either.
        let folder = box.path("folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(try box.run(["secret", "install", folder]).status != 0)
        #expect(FileManager.default.contents(atPath: box.path("a/secret")) == current)
    }

    @Test func secretInstallSaysWhichSecretItReplacesByIdNeverByItsBytes() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        let second = box.path("second.secret"), third = box.path("third.secret")
        try box.ok(["secret", "new", "--out", second], node: nil)
        try box.ok(["secret", "new", "--out", third], node: nil)

        let first = try box.ok(["secret", "install", second])
        let firstIDs = Self.ids(first)
        #expect(firstIDs.count == 2, "the new secret's id and the replaced one's: \(first)")
        let next = try box.ok(["secret", "install", third])
        let nextIDs = Self.ids(next)
        #expect(nextIDs.count == 2, "\(next)")
        #expect(Set(firstIDs).count == 2 && Set(nextIDs).count == 2)
        #expect(firstIDs.first == nextIDs.last, "the secret installed first is the one replaced next: \(first) / \(next)")
        for file in [box.path("ledger.secret"), second, third] {
            let secret = String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self).trimmedLine
            #expect(!first.contains(secret) && !next.contains(secret), "a secret's bytes were printed")
        }
        #expect(try Self.mode(box.path("a/secret")) == 0o600)
        #expect(try Self.mode(box.path("a/retired-secrets")) == 0o600)
    }

    @Test func aSecretFileOthersCanReadOrWriteIsRefusedWithTheChmodToRun() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col-laptop")
        let shared = box.path("shared.secret")
        try box.ok(["secret", "new", "--out", shared], node: nil)
        for mode in [0o640, 0o604, 0o620, 0o602] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: shared)
            let install = try box.run(["secret", "install", shared])
            #expect(install.status != 0, "mode \(String(mode, radix: 8)) was accepted")
            #expect(install.stderr.contains("chmod 600 \(shared)"), "\(install.stderr)")
            let created = try box.run(["init", "--ledger", "coop", "--label", "b", "--secret-file", shared], node: "b")
            #expect(created.status != 0 && created.stderr.contains("chmod 600 \(shared)"), "\(created.stderr)")
            #expect(!FileManager.default.fileExists(atPath: box.path("b/node")), "no node is made with an exposed secret")
        }

        // The node's own secret file, loaded by every command that uses it.
        let own = box.path("a/secret")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: own)
        let before = FileManager.default.contents(atPath: own)
        for arguments in [["secret", "rotate", "--out", box.path("rotated.secret")], ["sync", "127.0.0.1:9"]] {
            let run = try box.run(arguments)
            #expect(run.status != 0, "\(arguments)")
            #expect(run.stderr.contains("chmod 600 \(own)"), "\(arguments): \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: box.path("rotated.secret")))
        #expect(FileManager.default.contents(atPath: own) == before)

        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: own)
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: shared)
        try box.ok(["secret", "install", shared])
    }
}
