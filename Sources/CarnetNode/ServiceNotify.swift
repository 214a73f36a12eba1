#if canImport(Glibc)
import Glibc
#endif

/// Tells the service manager how `serve` is doing, as `sd_notify(3)` does, without
/// libsystemd: systemd passes a unix datagram socket in `NOTIFY_SOCKET` (a path, or an
/// abstract name written with a leading `@`) to a `Type=notify` service, and reads
/// `KEY=value` lines from it. `READY=1` once the node listens lets `systemctl start` return
/// only when peers can connect, and units ordered after carnet wait for that rather
/// than for the process to exist; `STOPPING=1` says a shutdown is under way. Without
/// `NOTIFY_SOCKET` (a terminal, another supervisor) nothing is sent; a failure to send is
/// not fatal either: the node serves its peers whether or not anyone is told.
public enum ServiceNotify {
    /// Sends `state` (e.g. `READY=1\nSTATUS=…`); returns why it could not, if it could not.
    @discardableResult
    public static func send(_ state: String, environment: [String: String]) -> String? {
        guard let target = environment["NOTIFY_SOCKET"], !target.isEmpty else { return nil }
        guard target.hasPrefix("/") || target.hasPrefix("@") else {
            return "NOTIFY_SOCKET \"\(target)\" is neither a path nor an abstract socket name"
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(target.utf8)
        if path[0] == UInt8(ascii: "@") { path[0] = 0 }  // the abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return "NOTIFY_SOCKET is longer than a socket path may be" }
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in path.enumerated() { bytes[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + path.count)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return "cannot open a socket to notify the service manager (errno \(errno))" }
        defer { close(descriptor) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length) }
            }
        }
        return sent == message.count ? nil : "cannot notify the service manager at \(target) (errno \(errno))"
    }
}
