import CarnetCore
import CarnetLedger
import Foundation

/// What a running command needs from the world: the node's directory, the environment,
/// the output streams, the wall clock and fresh random node ids. Gathered here so that
/// no command reads the environment or the clock on its own.
struct Context: Sendable {
    var directory: String
    var environment: [String: String]
    var output: Output

    /// Milliseconds since the epoch, from the system clock.
    func wallMillis() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }

    /// Today in the local time zone: what a farmer means by "today" at 00:30.
    func today() -> CalendarDay {
        let offset = Int64(TimeZone.current.secondsFromGMT()) * 1000
        return CalendarDay(epochMillis: UInt64(max(0, Int64(wallMillis()) + offset)))
    }

    /// A fresh node id from the system's cryptographic random source.
    static func randomNodeID() -> NodeID {
        var generator = SystemRandomNumberGenerator()
        return NodeID(using: &generator)
    }
}

/// Where the data lives: `--dir DIR`; else `$CARNET_DIR`; else `$XDG_DATA_HOME/carnet`;
/// else `~/.local/share/carnet`.
enum DataDirectory {
    static func resolve(flag: String?, environment: [String: String]) -> String {
        if let flag { return expand(flag, environment: environment) }
        if let dir = environment["CARNET_DIR"], !dir.isEmpty { return expand(dir, environment: environment) }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return expand(xdg, environment: environment) + "/carnet" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/carnet"
    }

    /// `~/x` → `$HOME/x`; trailing slashes dropped (the store joins names with `/`).
    static func expand(_ path: String, environment: [String: String]) -> String {
        var path = path
        if path == "~" || path.hasPrefix("~/") {
            path = (environment["HOME"] ?? NSHomeDirectory()) + path.dropFirst()
        }
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
