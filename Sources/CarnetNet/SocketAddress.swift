/// A host and a TCP port, as a person types them: `farm.local:7420`, `10.0.0.7`,
/// `[::1]:7420`.
///
/// Only text: names are resolved (IPv4 and IPv6, by getaddrinfo) when connecting or
/// listening, so that an address read from a config file stays valid if the host's IP
/// changes later. `host` is kept without IPv6 brackets; `description` adds them back.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// Carnet's port when none is given.
    public static let defaultPort: UInt16 = 7420

    public var host: String
    /// 0 asks the kernel for any free port, which only makes sense for listening; parsing
    /// accepts it and the caller decides.
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `HOST` (then `defaultPort`), `[IPV6]:PORT` or `[IPV6]`. A bare
    /// IPv6 literal (two or more colons, no brackets) is taken whole as a host: a port
    /// after an IPv6 address needs the brackets, or `fe80::1:7420` would be ambiguous.
    public init(parsing text: String, defaultPort: UInt16 = SocketAddress.defaultPort) throws(NetError) {
        let host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw .badAddress(text, reason: "missing ] after an IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { throw .badAddress(text, reason: "unexpected text after ]") }
                portText = rest.dropFirst()
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text[...]
        }
        guard !host.isEmpty else { throw .badAddress(text, reason: "empty host") }
        guard !host.contains(where: { $0.isWhitespace || $0 == "[" || $0 == "]" || $0 == "/" }),
              host.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f }) else {
            throw .badAddress(text, reason: "the host contains characters no host name or IP address has")
        }
        var port = defaultPort
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = UInt16(portText) else {
                throw .badAddress(text, reason: "the port must be a number from 0 to 65535")
            }
            port = value
        }
        self.init(host: String(host), port: port)
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
