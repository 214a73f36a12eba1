import CarnetSystem

#if canImport(Glibc)
import Glibc
#endif

/// Which addresses share one budget of unauthenticated connections (protocol/SPEC.md 8.4):
/// an IPv4 address on its own, an IPv6 address with every other of its /64 prefix.
///
/// Why /64: an IPv6 host is routinely given a whole /64 (SLAAC, privacy addresses), so a
/// flooder can dial from 2^64 addresses at no cost; counted per address, its flood would
/// never meet the per-address bound and would push an honest farm's handshake out of the
/// global one. A /64 is what one host or one LAN holds, as an IPv4 address is what one
/// NAT shows. An IPv4-mapped IPv6 address (`::ffff:10.0.0.7`, what a dual-stack socket
/// reports for an IPv4 peer) is its IPv4 address, so both spellings share one budget.
public enum AddressGroup {
    /// The group's key for a numeric host as the kernel reports it (`10.0.0.7`,
    /// `2001:db8::1`, `fe80::1%eth0`). Text that is not a numeric address is its own group.
    public static func key(forHost host: String) -> String {
        var text = host
        var zone = ""
        if let percent = host.firstIndex(of: "%") {
            // A link-local zone names the interface: the same prefix on two links is two LANs.
            text = String(host[..<percent])
            zone = String(host[percent...])
        }
        guard text.contains(":"), let bytes = ipv6Bytes(text) else { return host }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64" + zone
    }

    /// The 16 bytes of an IPv6 literal, by `inet_pton` (the kernel's own parser, so that
    /// every spelling it accepts, `::`, embedded IPv4, leading zeros, groups alike).
    static func ipv6Bytes(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
