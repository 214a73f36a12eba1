import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One run of a child process, measured the way `/usr/bin/time` does: wall time from
/// spawn to exit, and the child's own peak resident memory. The peak comes from
/// `carnet-rss` (built beside this benchmark), which runs the child and reads `wait4`'s
/// rusage: spawned straight from this large process, the child would inherit its peak.
struct ChildRun {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double
    var maxResidentKiB: Int

    var megabytes: String { Format.fixed(Double(maxResidentKiB) / 1024, 0) + " MB" }
}

enum ChildProcess {
    /// Runs `binary arguments…` to its end. Stdout and stderr are collected (stderr is read
    /// after stdout closes; the commands measured here write little to it).
    static func run(_ binary: String, _ arguments: [String]) -> ChildRun {
        let resultFile = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-rss-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: resultFile) }
        var run = spawn(meter, [resultFile, binary] + arguments)
        let text = (try? String(contentsOfFile: resultFile, encoding: .utf8)) ?? ""
        run.maxResidentKiB = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        return run
    }

    /// `carnet-rss`, next to this executable.
    static let meter = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("carnet-rss").path

    private static func spawn(_ binary: String, _ arguments: [String]) -> ChildRun {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { fail("pipe: \(String(cString: strerror(errno)))", code: 71) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, outPipe[0])
        posix_spawn_file_actions_addclose(&actions, errPipe[0])
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = ContinuousClock().now
        let spawned = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else { fail("cannot start \(binary): \(String(cString: strerror(spawned)))", code: 71) }
        let out = drain(outPipe[0]), err = drain(errPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let seconds = (ContinuousClock().now - start).seconds
        let exitCode: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return ChildRun(status: exitCode, stdout: out, stderr: err, seconds: seconds, maxResidentKiB: 0)
    }

    /// Runs the command and requires exit 0, else stops the benchmark with its stderr.
    static func ok(_ binary: String, _ arguments: [String]) -> ChildRun {
        let run = run(binary, arguments)
        guard run.status == 0 else {
            fail("`carnet \(arguments.joined(separator: " "))` exited \(run.status): \(run.stderr)", code: 70)
        }
        return run
    }

    /// The JSON object a `--json` command printed.
    static func json(_ run: ChildRun) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] else {
            fail("not a JSON object: \(run.stdout.prefix(200))", code: 70)
        }
        return object
    }

    private static func drain(_ descriptor: Int32) -> String {
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += buffer[0..<count]
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
