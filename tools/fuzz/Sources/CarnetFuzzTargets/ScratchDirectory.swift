#if canImport(Glibc)
import Glibc
#endif

/// A private directory for the store target's files, on tmpfs when the machine has one
/// (`/dev/shm`): the store fsyncs, and on tmpfs an fsync costs nothing, which keeps the
/// target at thousands of inputs per second. Removed, with the files the target writes,
/// when released.
public final class ScratchDirectory: Sendable {
    public let path: String
    /// Every name the store target creates in the directory.
    static let fileNames = ["events.log", "checkpoint", "status", "node"]

    /// Nil when no directory can be made (then the store target cannot run).
    public init?() {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
        var template = Array("\(base)/carnet-fuzz-\(getpid())-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { return nil }
        path = String(cString: made)
    }

    deinit {
        clear()
        rmdir(path)
    }

    /// Removes every file a previous input left, so that each input starts from nothing.
    func clear() {
        for name in Self.fileNames {
            unlink(path + "/" + name)
            unlink(path + "/" + name + ".\(getpid()).tmp")
        }
    }
}
