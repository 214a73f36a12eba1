/// Exit statuses, after BSD's sysexits.h so that scripts can tell a typo from a damaged
/// file from a full disk. `carnet help` lists them.
enum ExitCode: Int32, Sendable, CaseIterable {
    case success = 0
    /// A check found a problem (`verify`), or a request was refused with nothing written
    /// (`resolve` of a conflict that needs an entry, not a value).
    case failure = 1
    /// The command line is wrong: unknown command or option, missing or extra argument.
    case usage = 64
    /// The input is wrong: a bad quantity, an unknown product, a damaged bundle or log.
    case dataError = 65
    /// Something to read is missing: no node in the directory, no such file.
    case noInput = 66
    /// A peer or service could not be reached.
    case unavailable = 69
    /// Something to create already exists (a node, a secret file).
    case cannotCreate = 73
    /// Reading or writing failed (permissions, full disk, I/O error).
    case ioError = 74
    /// The work stopped cleanly before its end, as asked (`sync --budget`): what was done
    /// is kept; running the command again goes on from there.
    case tempFail = 75

    var meaning: String {
        switch self {
        case .success: "success"
        case .failure: "a check failed or a request was refused; nothing was written"
        case .usage: "the command line is wrong (unknown command or option, missing argument)"
        case .dataError: "bad input data (quantity, unknown product or lot, damaged bundle or log)"
        case .noInput: "missing input (no node in the directory, no such file)"
        case .unavailable: "a peer or service could not be reached"
        case .cannotCreate: "refused to overwrite (a node, a secret file)"
        case .ioError: "reading or writing failed (permissions, disk full, I/O error)"
        case .tempFail: "stopped cleanly before the end, as asked (a sync's --budget); run it again to go on"
        }
    }
}

/// An error the command line reports: one sentence for stderr and the exit status.
struct CLIError: Error, Sendable {
    var code: ExitCode
    var message: String

    init(_ code: ExitCode, _ message: String) {
        self.code = code
        self.message = message
    }

    static func usage(_ message: String) -> CLIError { CLIError(.usage, message) }
    static func data(_ message: String) -> CLIError { CLIError(.dataError, message) }
}
