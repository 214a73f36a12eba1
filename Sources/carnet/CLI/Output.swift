import Foundation

/// The two output streams and what they may contain.
///
/// stdout carries the answer: a table or sentences for people, or exactly one JSON
/// document with `--json`. stderr carries errors (one sentence), warnings, and progress
/// (only when it is a terminal). Colour is used only when stdout is a terminal and
/// `NO_COLOR` is unset (https://no-color.org).
struct Output: Sendable {
    var colour: Bool
    var stderrIsTerminal: Bool

    init(environment: [String: String]) {
        colour = isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
        stderrIsTerminal = isatty(STDERR_FILENO) == 1
    }

    /// Writes one line and a line break on stdout. Every line of human output passes
    /// here, so text from peers and files in it is made safe (`TerminalText`): a line
    /// break in it shows as `\n`, except at the very start (a blank line before).
    func line(_ text: String = "") {
        print(TerminalText.sanitized(text, keepingStyle: colour, keepingLeadingBreaks: true))
    }

    /// Writes this program's own multi-line text (help) on stdout: line breaks are kept,
    /// anything else is made safe as in `line`.
    func text(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            print(TerminalText.sanitized(String(line), keepingStyle: colour, keepingLeadingBreaks: false))
        }
    }

    /// Writes one JSON document on stdout.
    func json(_ value: JSON) {
        print(value.rendered())
    }

    /// Writes a piece of one JSON document on stdout, as it is: a long array written as it
    /// is made (`JSONArrayStream`), the document whole once every piece is written.
    func jsonPart(_ bytes: [UInt8]) {
        Self.writeUTF8(bytes)
    }

    /// Writes lines already made safe as `line` makes them (`LineStream`), as they are.
    func lines(_ bytes: [UInt8]) {
        print(String(decoding: bytes, as: UTF8.self), terminator: "")
    }

    /// Writes bytes that are UTF-8 already (`JSON.write` makes them from `String`s) on
    /// stdout as they are, after what `print` holds in its buffer (flushed first): in
    /// order. Not through `print`, which needs a `String`: checking the UTF-8 again in
    /// `String(decoding:)` was a twentieth of `log --json` of a million entries, on the
    /// core that writes. A write that fails is dropped, as `print` drops it.
    private static func writeUTF8(_ bytes: [UInt8]) {
        fflush(nil)
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var written = 0
            while written < buffer.count {
                let count = write(STDOUT_FILENO, base + written, buffer.count - written)
                if count > 0 {
                    written += count
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// A warning on stderr: the command still succeeds.
    func warn(_ text: String) {
        Self.writeError("carnet: warning: \(TerminalText.sanitized(text))\n")
    }

    /// The error sentence of a failed command (one line: it may quote a peer or a file).
    func error(_ text: String) {
        Self.writeError("carnet: \(TerminalText.sanitized(text))\n")
    }

    /// A progress line that overwrites itself, only on a terminal.
    func progress(_ text: String) {
        guard stderrIsTerminal else { return }
        Self.writeError("\r\u{1B}[2K" + TerminalText.sanitized(text))
    }

    /// Clears the progress line before a final message.
    func endProgress() {
        guard stderrIsTerminal else { return }
        Self.writeError("\r\u{1B}[2K")
    }

    static func writeError(_ text: String) {
        fflush(nil)
        FileHandle.standardError.write(Data(text.utf8))
    }

    // MARK: Styling

    func bold(_ text: String) -> String { styled(text, "1") }
    func red(_ text: String) -> String { styled(text, "31") }
    func yellow(_ text: String) -> String { styled(text, "33") }
    func green(_ text: String) -> String { styled(text, "32") }
    func dim(_ text: String) -> String { styled(text, "2") }

    private func styled(_ text: String, _ code: String) -> String {
        colour && !text.isEmpty ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}

/// `print(…, to: &out)` on stdout, for code written against `TextOutputStream` (the demo).
struct StandardOutput: TextOutputStream {
    mutating func write(_ string: String) { print(string, terminator: "") }
}
