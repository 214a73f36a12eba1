#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: what was attempted, on which file, and the errno, as one sentence
/// a person can act on ("write events.log: No space left on device (ENOSPC)").
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(_ operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// True for a lock that stayed held past `File.lockTimeout`.
    public var isLockTimeout: Bool { operation == "lock" && (errno == EWOULDBLOCK || errno == EAGAIN) }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno))) (\(SystemError.name(of: errno)))"
    }

    static func name(of code: Int32) -> String {
        switch code {
        case ENOSPC: "ENOSPC"
        case EIO: "EIO"
        case EINTR: "EINTR"
        case ENOENT: "ENOENT"
        case EEXIST: "EEXIST"
        case EACCES: "EACCES"
        case EROFS: "EROFS"
        case EDQUOT: "EDQUOT"
        case EAGAIN: "EAGAIN"
        case EBADF: "EBADF"
        case ELOOP: "ELOOP"
        case EPERM: "EPERM"
        default: "errno \(code)"
        }
    }
}
