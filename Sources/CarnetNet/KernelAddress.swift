import CarnetSystem

#if canImport(Glibc)
import Glibc
#endif

/// One address getaddrinfo produced, copied out of its linked list so that it can be
/// used after `freeaddrinfo`.
struct KernelAddress {
    var family: Int32
    var storage = sockaddr_storage()
    var length: socklen_t

    /// Resolves a host and port to every IPv4 and IPv6 address it has, in the order the
    /// system prefers (RFC 6724, via /etc/gai.conf). `passive` is for listening.
    static func resolve(_ address: SocketAddress, passive: Bool) throws(NetError) -> [KernelAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        // No AI_ADDRCONFIG: on a machine with only loopback it hides 127.0.0.1 as well.
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &list)
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            throw .unresolvable(address, reason: reason)
        }
        defer { freeaddrinfo(list) }
        var found: [KernelAddress] = []
        var entry = list
        while let info = entry?.pointee {
            if let source = info.ai_addr, Int(info.ai_addrlen) <= MemoryLayout<sockaddr_storage>.size {
                var copy = KernelAddress(family: info.ai_family, length: info.ai_addrlen)
                withUnsafeMutableBytes(of: &copy.storage) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(start: source, count: Int(info.ai_addrlen)))
                }
                found.append(copy)
            }
            entry = info.ai_next
        }
        guard !found.isEmpty else { throw .unresolvable(address, reason: "no IPv4 or IPv6 address") }
        return found
    }

    /// Calls `body` with the address as the `sockaddr` pointer the socket calls take.
    func withSocketAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    /// The numeric form (`10.0.0.7`, `::1`) and port of a kernel address, as a
    /// `SocketAddress`; nil for families other than IPv4 and IPv6.
    func numeric() -> SocketAddress? {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = withSocketAddress { pointer, length in
            getnameinfo(pointer, length, &host, socklen_t(host.count), &service, socklen_t(service.count),
                        NI_NUMERICHOST | NI_NUMERICSERV)
        }
        guard status == 0 else { return nil }
        let hostText = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let serviceText = String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let port = UInt16(serviceText) else { return nil }
        return SocketAddress(host: hostText, port: port)
    }

    /// The local (`getsockname`) or remote (`getpeername`) address of a socket.
    static func of(_ fd: Int32, peer: Bool) -> KernelAddress? {
        var address = KernelAddress(family: 0, length: socklen_t(MemoryLayout<sockaddr_storage>.size))
        let status = withUnsafeMutableBytes(of: &address.storage) { raw in
            let pointer = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self)
            return peer ? getpeername(fd, pointer, &address.length) : getsockname(fd, pointer, &address.length)
        }
        guard status == 0 else { return nil }
        address.family = Int32(address.storage.ss_family)
        return address
    }
}
