#if CARNET_FAULT_INJECTION
#if canImport(Glibc)
import Glibc
#endif

/// `CARNET_FAULTS`: fault-injection rules for a whole process, read on its first file call.
///
/// Test equipment, not a feature: it lets a test make the real `carnet` binary meet a
/// failing disk (an fsync that returns EIO, a full disk, a short write) without a broken
/// disk, root, or an LD_PRELOAD shim. It exists only in builds compiled with
/// `CARNET_FAULT_INJECTION`, which Package.swift defines for debug builds of CarnetSystem:
/// the tests that use it run on the debug `carnet`, and a release `carnet` has no trace of
/// the variable (`strings .build/release/carnet | grep CARNET_FAULTS` prints nothing).
/// Unset, it changes nothing.
///
/// Rules are separated by `;`. Each is `operation:effect[:key=value…]`:
///
///     operation  write | fsync | open | rename | truncate
///     effect     eio | enospc | eintr | erofs | edquot | errno=N   (the call fails)
///                short=N                                            (a write of at most N bytes)
///     after=N    let the first N matching calls through
///     times=N    fire N times (default 1; `always` for every call after)
///     path=S     only files whose path ends with S (default: every file)
///     bytes=N    (writes) let N bytes through first, cutting the crossing write short
///                there; then fire every time (a full disk stays full)
///
/// `CARNET_FAULTS="fsync:eio:after=3"` fails the fourth fsync with EIO;
/// `CARNET_FAULTS="write:enospc:bytes=100:path=events.log"` is a log that fills up after
/// 100 more bytes.
public enum FaultSpec {
    public static let variable = "CARNET_FAULTS"

    /// Why a specification was refused, as one sentence.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The rules `text` describes.
    public static func parse(_ text: String) throws(ParseError) -> [FaultInjection.Rule] {
        var rules: [FaultInjection.Rule] = []
        for item in text.split(separator: ";") {
            let trimmed = item.filter { $0 != " " }
            if trimmed.isEmpty { continue }
            rules.append(try rule(trimmed))
        }
        return rules
    }

    private static func rule(_ text: String) throws(ParseError) -> FaultInjection.Rule {
        let parts = text.split(separator: ":").map(String.init)
        guard parts.count >= 2 else { throw ParseError(description: "\(variable): \"\(text)\" is not operation:effect") }
        guard let operation = FaultInjection.Operation(rawValue: parts[0]) else {
            throw ParseError(description: "\(variable): unknown operation \"\(parts[0])\" (write, fsync, open, rename, truncate)")
        }
        var rule = FaultInjection.Rule(operation, effect: try effect(parts[1], in: text))
        for option in parts.dropFirst(2) {
            guard let equals = option.firstIndex(of: "=") else {
                throw ParseError(description: "\(variable): \"\(option)\" in \"\(text)\" is not key=value")
            }
            let key = String(option[..<equals]), value = String(option[option.index(after: equals)...])
            switch key {
            case "after": rule.after = try number(value, key, text)
            case "times": rule.times = value == "always" ? .max : try number(value, key, text)
            case "path": rule.pathSuffix = value
            case "bytes":
                guard operation == .write else { throw ParseError(description: "\(variable): bytes= applies to write only, in \"\(text)\"") }
                rule.afterBytes = try number(value, key, text)
                rule.times = .max
            default:
                throw ParseError(description: "\(variable): unknown option \"\(key)\" in \"\(text)\" (after, times, path, bytes)")
            }
        }
        return rule
    }

    private static func effect(_ text: String, in rule: String) throws(ParseError) -> FaultInjection.Effect {
        switch text {
        case "eio": return .fail(EIO)
        case "enospc": return .fail(ENOSPC)
        case "eintr": return .fail(EINTR)
        case "erofs": return .fail(EROFS)
        case "edquot": return .fail(EDQUOT)
        default:
            if text.hasPrefix("errno="), let code = Int32(text.dropFirst(6)), code > 0 { return .fail(code) }
            if text.hasPrefix("short="), let limit = Int(text.dropFirst(6)), limit > 0 { return .shortWrite(limit) }
            throw ParseError(description: "\(variable): unknown effect \"\(text)\" in \"\(rule)\" (eio, enospc, eintr, erofs, edquot, errno=N, short=N)")
        }
    }

    private static func number(_ text: String, _ key: String, _ rule: String) throws(ParseError) -> Int {
        guard let value = Int(text), value >= 0 else {
            throw ParseError(description: "\(variable): \(key)=\(text) in \"\(rule)\" is not a count")
        }
        return value
    }
}

extension FaultSpec {
    /// The rules of `CARNET_FAULTS`, none when it is unset. A malformed value stops the
    /// process with a message and exit status 64 at its first file call, before that call
    /// runs: a test that meant to inject a fault must not silently run without it.
    static func rulesFromEnvironment() -> [FaultInjection.Rule] {
        guard let pointer = getenv(variable) else { return [] }
        do {
            return try parse(String(cString: pointer))
        } catch {
            let message = Array("carnet: \(error)\n".utf8)
            _ = message.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            exit(64)
        }
    }
}
#endif
