import Foundation

/// How `carnet serve` writes its log on stderr: one line per event, whatever the event
/// says (a peer's words included: `TerminalText` turns its line breaks and escapes into
/// visible text, so a peer can neither split a line nor colour one).
///
/// On a terminal or into a file, each line carries its time, `carnet serve: 14:02:07Z …`.
/// Into the journal (systemd sets `JOURNAL_STREAM` to the device and inode of the stream
/// it reads, and stderr is that stream), the journal stamps every line itself and names
/// the unit, so the line is the message alone, with the syslog priority prefix journald
/// reads (`<4>` for a warning, `<6>` for the rest): `journalctl -u carnet-serve -p warning`
/// then finds the warnings.
struct ServeLog: Sendable {
    let toJournal: Bool

    init(environment: [String: String]) {
        toJournal = Self.stderrIsJournal(environment["JOURNAL_STREAM"])
    }

    func write(_ message: String) {
        let safe = TerminalText.sanitized(message)
        if toJournal {
            Output.writeError((safe.hasPrefix("warning:") ? "<4>" : "<6>") + safe + "\n")
        } else {
            Output.writeError("carnet serve: \(Self.timestamp()) \(safe)\n")
        }
    }

    /// True when `journalStream` (`DEVICE:INODE`) names the file stderr is: the variable
    /// alone is inherited by every child of a service, whose stderr may be elsewhere.
    static func stderrIsJournal(_ journalStream: String?) -> Bool {
        guard let journalStream else { return false }
        let parts = journalStream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    static func timestamp() -> String {
        Date().formatted(.iso8601.time(includingFractionalSeconds: false))
    }
}
