import CarnetLedger
import CarnetNode
import CarnetStore
import CarnetSystem
import CarnetWorkload

/// Turns any error a command lets escape into the sentence and exit status a person
/// sees. Commands throw the lower layers' errors as they are; only here are they mapped,
/// so every command reports a damaged log or a missing node the same way.
enum ErrorReport {
    static func describe(_ error: any Error) -> CLIError {
        switch error {
        case let error as CLIError:
            return error
        case let error as StoreError:
            return CLIError(code(of: error), error.description)
        case let error as LedgerError:
            return CLIError(.dataError, error.message)
        case let error as WorkloadError:
            return CLIError(.dataError, error.message)
        case let error as SystemError:
            return CLIError(.ioError, error.description)
        case let error as NodeError:
            switch error {
            case .network: return CLIError(.unavailable, error.description)
            default: return CLIError(.ioError, error.description)
            }
        default:
            return CLIError(.ioError, "\(error)")
        }
    }

    private static func code(of error: StoreError) -> ExitCode {
        switch error {
        case .notANode: .noInput
        case .alreadyANode: .cannotCreate
        case .corrupt, .notALog, .unsupportedVersion, .badIdentity: .dataError
        case .system, .needsReopen, .batchTooLarge, .checkpointFailed: .ioError
        case .busy: .unavailable
        }
    }
}
