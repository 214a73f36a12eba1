#if canImport(Glibc)
import Glibc
#endif

/// The one `carnet serve` of a node directory: an advisory `flock` on `serve.lock`, held
/// for the server's lifetime, whose text names the holder's pid and listening address.
///
/// Why a lock and not just the file: two servers on one directory (on two ports) both
/// append and both rewrite `serve-stats`, so `status` describes whichever wrote last. A
/// lock the kernel drops when its process dies means a server killed by SIGKILL or a
/// power cut never blocks the next one; the stale text it leaves is simply overwritten by
/// the next holder, and is only read when someone holds the lock.
public final class ServeLock: Sendable {
    public static let fileName = "serve.lock"

    public let path: String
    private let descriptor: Int32
    /// The `carnet` command holding the lock, written into the file for the next one.
    private let command: String

    /// Takes the lock without waiting, and writes this process's pid and `command` (the
    /// `carnet` command holding it: `serve`, or `recover`, which replaces the log a server
    /// would go on appending to) into the file. When another process holds it, throws a
    /// sentence naming that process (command, pid and address, as its file says).
    public init(directory: String, pid: Int32 = getpid(), command: String = "serve") throws(NodeError) {
        path = directory + "/" + Self.fileName
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .file(FileProblem(.io, "cannot open \(path): \(String(cString: strerror(errno)))"))
        }
        var result: Int32
        repeat {
            result = flock(descriptor, LOCK_EX | LOCK_NB)
        } while result != 0 && errno == EINTR
        if result != 0 && errno != EWOULDBLOCK {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .file(FileProblem(.io, "cannot lock \(path): \(reason)"))
        }
        if result != 0 {
            let (holder, running) = Self.holderText(descriptor)
            close(descriptor)
            throw .network(command == "serve" && running == "serve"
                ? "another `carnet serve` is already running on \(directory) (\(holder)); "
                    + "only one may serve a node directory: stop it first, or serve another directory"
                : "`carnet \(running)` is already running on \(directory) (\(holder)); "
                    + "`carnet \(command)` cannot run beside it: stop it first")
        }
        self.descriptor = descriptor
        self.command = command
        write("pid \(pid)\ncommand \(command)\n")
    }

    /// Records where this server listens (after binding, so a port 0 shows the real port).
    public func announce(pid: Int32 = getpid(), listening address: String?) {
        write("pid \(pid)\ncommand \(command)\nlistening \(address ?? "nowhere (dialing only)")\n")
    }

    /// Lets the next `serve` start; the file stays (its text is stale until the next holder
    /// rewrites it). Idempotent; closing the descriptor on deinit releases it too.
    public func release() {
        _ = flock(descriptor, LOCK_UN)
    }

    deinit { close(descriptor) }

    /// Replaces the file's text. Not synced: it only describes a live process, which a
    /// crash ends anyway.
    private func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = ftruncate(descriptor, 0)
        _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// "pid 1234, listening on 127.0.0.1:7420" and the holder's command, from its file; a
    /// holder that has not written yet is just starting.
    static func holderText(_ descriptor: Int32) -> (String, command: String) {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        let text = count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
        var pid: String?
        var address: String?
        var command = "serve"
        for line in text.split(separator: "\n") {
            if line.hasPrefix("pid ") { pid = String(line.dropFirst(4)) }
            if line.hasPrefix("command ") { command = String(line.dropFirst(8)) }
            if line.hasPrefix("listening ") { address = String(line.dropFirst(10)) }
        }
        guard let pid else { return ("a process that is just starting", command) }
        if command != "serve" { return ("pid \(pid)", command) }
        return ("pid \(pid), " + (address.map { "listening on \($0)" } ?? "not listening yet"), command)
    }
}
