import Foundation
import Glibc

/// A `carnet serve` started as its own process on loopback, for the tests of issue 21:
/// it reports its pid and the port it printed, and never outlives a failed test by more
/// than a deadline (a server that should have refused and did not is killed, not waited
/// for forever).
final class ServeProcess {
    let process = Process()
    private let out = Pipe()
    private let err = Pipe()
    /// The first stdout line ("… listening on HOST:PORT"), empty if it exited first.
    private(set) var firstLine = ""
    private(set) var port: Int?

    var pid: Int32 { process.processIdentifier }

    /// Starts `carnet --dir directory serve --listen listen …`; returns once it printed
    /// its first line or exited. `environment` adds to the controlled one; `journal` sets
    /// `JOURNAL_STREAM` to the stderr pipe, as systemd does for a service logging to the
    /// journal.
    init(directory: String, listen: String = "127.0.0.1:0", extra: [String] = [], environment: [String: String] = [:],
         journal: Bool = false) throws {
        process.executableURL = try CommandLineTests.executable()
        process.arguments = ["--dir", directory, "serve", "--listen", listen, "--interval", "3600"] + extra
        process.environment = ["NO_COLOR": "1", "PATH": "/usr/bin:/bin", "TZ": "UTC"].merging(environment) { $1 }
        if journal {
            var status = stat()
            fstat(err.fileHandleForWriting.fileDescriptor, &status)
            process.environment?["JOURNAL_STREAM"] = "\(status.st_dev):\(status.st_ino)"
        }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        firstLine = String(decoding: buffer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if let colon = firstLine.lastIndex(of: ":") {
            port = Int(firstLine[firstLine.index(after: colon)...].prefix { $0.isNumber })
        }
    }

    /// Waits up to `seconds` for the process to exit; kills it (SIGKILL) past that and
    /// returns nil. Otherwise its status and everything it wrote to stderr.
    func waitForExit(seconds: Double) -> (status: Int32, stderr: String)? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        guard !process.isRunning else {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return (process.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// Sends `signal` and waits for the exit.
    func stop(_ signal: Int32 = SIGTERM) {
        guard process.isRunning else { return }
        kill(pid, signal)
        process.waitUntilExit()
    }

    deinit { stop(SIGKILL) }
}
