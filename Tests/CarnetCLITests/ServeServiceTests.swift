import Foundation
import Glibc
import Testing

/// Issue 21, item 9: `carnet serve` under a service manager tells it when it is ready and
/// when it stops (`NOTIFY_SOCKET`), and logs to the journal one bare line per event.
struct ServeServiceTests {
    /// A unix datagram socket standing in for systemd's notification socket: a path, or
    /// an abstract name written `@name` as in `NOTIFY_SOCKET`.
    final class NotifySocket {
        let path: String
        let descriptor: Int32

        init(path: String) throws {
            self.path = path
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            guard descriptor >= 0 else { throw POSIXError(.EIO) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            var bytes = Array(path.utf8)
            if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
            }
            guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
            var timeout = timeval(tv_sec: 20, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        /// The next datagram, or nil after 20 s.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            return count < 0 ? nil : String(decoding: buffer[..<count], as: UTF8.self)
        }

        deinit { close(descriptor) }
    }

    @Test func serveSaysReadyOnceListeningAndStoppingOnSIGTERM() throws {
        let box = try Sandbox()
        try box.initNode("hub", label: "hub")
        let notify = try NotifySocket(path: box.path("notify"))
        let serve = try ServeProcess(directory: box.path("hub"), environment: ["NOTIFY_SOCKET": notify.path])
        let port = try #require(serve.port, "serve printed: \(serve.firstLine)")
        let ready = try #require(notify.receive(), "no READY=1 within 20 s")
        let fields = ready.split(separator: "\n")
        #expect(fields.contains("READY=1"), "\(ready)")
        #expect(fields.contains { $0.hasPrefix("STATUS=") && $0.hasSuffix("listening on 127.0.0.1:\(port)") }, "\(ready)")
        // Ready means a peer can sync now.
        try box.initNode("farm", label: "farm")
        try box.ok(["sync", "127.0.0.1:\(port)"], node: "farm")
        kill(serve.pid, SIGTERM)
        #expect(notify.receive() == "STOPPING=1")
        let exit = try #require(serve.waitForExit(seconds: 20))
        #expect(exit.status == 0, "\(exit.stderr)")
    }

    /// systemd may name its socket in the abstract namespace (`@…`): READY=1 reaches it too.
    @Test func readinessReachesAnAbstractSocket() throws {
        let box = try Sandbox()
        try box.initNode("hub", label: "hub")
        let notify = try NotifySocket(path: "@carnet-notify-" + UUID().uuidString)
        let serve = try ServeProcess(directory: box.path("hub"), environment: ["NOTIFY_SOCKET": notify.path])
        #expect(serve.port != nil, "serve printed: \(serve.firstLine)")
        let ready = try #require(notify.receive(), "no READY=1 within 20 s")
        #expect(ready.split(separator: "\n").contains("READY=1"), "\(ready)")
        serve.stop()
    }

    /// Into the journal: every line is one event with its syslog priority and no
    /// timestamp or program name of its own (the journal adds both); elsewhere, each
    /// line keeps its `carnet serve: TIME` prefix.
    @Test func theJournalGetsOneBareLinePerEvent() throws {
        let box = try Sandbox()
        try box.initNode("hub", label: "hub")
        try box.initNode("farm", label: "farm")
        for journal in [true, false] {
            let serve = try ServeProcess(directory: box.path("hub"), journal: journal)
            let port = try #require(serve.port, "serve printed: \(serve.firstLine)")
            try box.ok(["sync", "127.0.0.1:\(port)"], node: "farm")
            kill(serve.pid, SIGTERM)
            let exit = try #require(serve.waitForExit(seconds: 20))
            #expect(exit.status == 0, "\(exit.stderr)")
            let lines = exit.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.count >= 3, "\(exit.stderr)")  // listening, SIGTERM: stopping, stopped
            #expect(!exit.stderr.contains("\u{1B}") && !exit.stderr.contains("\r"), "\(exit.stderr)")
            #expect(lines.last.map { $0.hasSuffix("stopped") } == true, "\(exit.stderr)")
            for line in lines {
                if journal {
                    #expect(line.hasPrefix("<6>") || line.hasPrefix("<4>"), "\(line)")
                    #expect(!line.contains("carnet serve:"), "\(line)")
                } else {
                    #expect(line.range(of: #"^carnet serve: [0-9]{2}:[0-9]{2}:[0-9]{2}Z? "#, options: .regularExpression) != nil, "\(line)")
                }
            }
        }
    }
}
