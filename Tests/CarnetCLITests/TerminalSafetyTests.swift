import CarnetNet
import CarnetWire
import Foundation
import Testing

/// Issue 18 item 3: strings from peers and files never reach a terminal raw. Escape
/// sequences, BEL, CR, line breaks and bidi overrides in a note, a label or a peer's
/// error become visible escapes in human output; `--json` keeps the exact text.
struct TerminalSafetyTests {
    /// ESC sequences (an OSC window title, a CSI cursor move, a clear screen), BEL, CR, a
    /// line break that would fake a line, DEL, a C1 CSI and the bidi overrides/isolates.
    static let hostile = "ok\u{1B}]0;pwned\u{07}\u{1B}[2J\u{1B}[1A\rfake\nsynced with hub\u{7F}\u{9B}31m\u{202E}gnp.exe\u{2066}x\u{2069}"

    /// The scalars no human output may contain, whatever the data (ESC only when colour
    /// is off, as in these runs).
    static func unsafeScalars(in text: String) -> [String] {
        text.unicodeScalars.filter { scalar in
            switch scalar.value {
            case 0x0A: false  // the output's own line breaks
            case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: true
            default: false
            }
        }.map { String(format: "U+%04X", $0.value) }
    }

    @Test func entryTextAndLabelsAreShownEscapedAndExactInJSON() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col")
        try box.seedLedger("a")
        try box.ok(["party", "set", "evil", "--name", Self.hostile, "--kind", "farm"])
        let id = try box.ok(["record", "harvest", "--producer", "col", "--product", "tomme", "--qty", "1kg",
                             "--lot", "L9", "--date", "2026-06-03", "--note", Self.hostile]).trimmedLine
        for command in [["show", id], ["log"], ["party", "list"], ["log", "--changes"]] {
            let out = try box.ok(command)
            #expect(Self.unsafeScalars(in: out).isEmpty, "carnet \(command.joined(separator: " ")): \(Self.unsafeScalars(in: out))")
            #expect(!out.contains("\nsynced with hub"), "a line break in a note must not start a line")
        }
        let shown = try box.ok(["show", id])
        #expect(shown.contains(#"ok\u{1B}]0;pwned\u{7}\u{1B}[2J\u{1B}[1A\rfake\nsynced with hub\u{7F}\u{9B}31m\u{202E}gnp.exe\u{2066}x\u{2069}"#), "\(shown)")
        // JSON keeps the exact string.
        let entry = try #require(try box.json(["show", id]) as? [String: Any])
        #expect(entry["note"] as? String == Self.hostile)
        let raw = try box.ok(["show", id, "--json"])
        #expect(Self.unsafeScalars(in: raw).isEmpty, "JSON escapes them too: \(Self.unsafeScalars(in: raw))")
    }

    @Test func aPeersErrorIsQuotedAsThePeersAndEscaped() throws {
        let box = try Sandbox()
        try box.initNode("a", label: "col")
        let listener = try TCPListener(address: SocketAddress(host: "127.0.0.1", port: 0))
        defer { listener.close() }
        // A fake listener with no secret: whatever the dialer says, it answers an ERROR in
        // clear (as a busy listener may, before any handshake), and hangs up.
        let fake = Thread {
            guard let connection = try? listener.accept(timeout: .seconds(20)) else { return }
            _ = try? connection.receive(maxBytes: 4096, timeout: .seconds(5))
            let error = SessionMessage.error(ErrorMessage(code: .busy, message: Self.hostile))
            try? connection.send(Frame(type: .error, payload: error.body).encoded, timeout: .seconds(5))
            connection.shutdownWrite()
            Thread.sleep(forTimeInterval: 0.5)
            connection.close()
        }
        fake.start()
        let run = try box.run(["sync", "127.0.0.1:\(listener.port)", "--timeout", "5"])
        #expect(run.status == 69, "\(run.status): \(run.stderr)")
        #expect(Self.unsafeScalars(in: run.stderr + run.stdout).isEmpty, "\(Self.unsafeScalars(in: run.stderr + run.stdout))")
        #expect(run.stderr.contains(#"an unauthenticated peer said: "ok\u{1B}]0;pwned"#), "shown as unauthenticated: \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "one error line: \(run.stderr)")
    }
}
