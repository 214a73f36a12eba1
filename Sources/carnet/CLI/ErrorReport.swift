import CarnetLedger
import CarnetNode
import CarnetWorkload

/// Turns any error a command lets escape into the sentence and exit status a person
/// sees. Commands throw the lower layers' errors as they are; only here are they mapped,
/// so every command reports a damaged log or a missing node the same way.
enum ErrorReport {
    static func describe(_ error: any Error) -> CLIError {
        switch error {
        case let error as CLIError:
            return error
        case let error as NodeError:
            return CLIError(code(of: error.kind), error.description)
        case let error as LedgerError:
            return CLIError(.dataError, error.message)
        case let error as WorkloadError:
            return CLIError(.dataError, error.message)
        default:
            return CLIError(.ioError, "\(error)")
        }
    }

    private static func code(of kind: NodeFailureKind) -> ExitCode {
        switch kind {
        case .missing: .noInput
        case .exists: .cannotCreate
        case .damaged: .dataError
        case .io: .ioError
        case .unavailable: .unavailable
        }
    }
}
