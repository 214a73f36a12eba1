import Foundation
import Testing

/// Issue 22: a name typed in a decomposed Unicode form (as some keyboards type it) is
/// taken in its composed form, so that "café" typed on two machines is one party; the
/// person is told; stored bytes are never rewritten.
struct TypedNamesTests {
    @Test func aDecomposedNameIsTakenComposedAndSaidSo() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "hub")
        let decomposed = "cafe\u{301}", composed = "caf\u{E9}"
        let first = try box.run(["party", "set", decomposed, "--name", "Café du Col", "--kind", "shop"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("typed in a decomposed Unicode form"), "\(first.stderr)")
        #expect(first.stdout.contains("created party"))
        let second = try box.run(["party", "set", composed, "--name", "Café du Col", "--kind", "shop"])
        #expect(second.status == 0 && second.stderr.isEmpty, "\(second.stderr)")
        #expect(second.stdout.contains("updated party"), "the composed name finds the same party: \(second.stdout)")
        let parties = try #require(try box.json(["party", "list"]) as? [[String: Any]])
        #expect(parties.count == 1)
        #expect((parties.first?["id"] as? String).map { Array($0.utf8) } == Array(composed.utf8), "stored composed")
        // A path is never normalized: it names bytes on disk.
        try box.ok(["secret", "new", "--out", box.path("s-" + decomposed)], node: nil)
        #expect(FileManager.default.fileExists(atPath: box.path("s-" + decomposed)))
    }
}
