import CarnetStore
import CarnetSystem

/// Why a node-level operation failed: one sentence a person can act on, and a kind a
/// program can act on. The store's error is kept whole rather than flattened to text, so
/// that a busy store (try again) is told from a damaged one (recover) and from a failing
/// disk, by exit codes as well as by words.
public enum NodeError: Error, Sendable, Equatable, CustomStringConvertible {
    case secret(String)
    /// The store refused or failed.
    case store(StoreError)
    /// A write failed earlier and opening the store again failed too: what reopening said.
    case reopenFailed(StoreError)
    /// A file the person named (a secret, a bundle, an import) could not be used.
    case file(FileProblem)
    case network(String)
    case peers(String)
    /// Events a bound of the ledger refuses (`DeviceBound`): nothing was stored.
    case refused(String)

    public var description: String {
        switch self {
        case let .secret(message), let .network(message), let .peers(message), let .refused(message): message
        case let .store(error): error.description
        case let .reopenFailed(error): "a write to the store failed earlier and reopening it failed too: \(error.description)"
        case let .file(problem): problem.description
        }
    }

    /// What kind of failure this is, for an exit status.
    public var kind: NodeFailureKind {
        switch self {
        case .secret: .io
        case let .store(error), let .reopenFailed(error): Self.kind(of: error)
        case let .file(problem): problem.kind
        case .network: .unavailable
        case .peers: .io
        case .refused: .damaged
        }
    }

    private static func kind(of error: StoreError) -> NodeFailureKind {
        switch error {
        case .notANode: .missing
        case .alreadyANode: .exists
        case .corrupt, .notALog, .unsupportedVersion, .badIdentity, .unsigned, .eventTooLarge, .coldEventUnreadable: .damaged
        case .system, .needsReopen, .batchTooLarge, .checkpointFailed: .io
        case .busy: .unavailable
        }
    }
}

/// The kinds of failure a caller treats differently (the command line maps them to the
/// exit statuses of sysexits.h).
public enum NodeFailureKind: Sendable, Equatable {
    /// Something named does not exist (no node in the directory, no such file).
    case missing
    /// Something would be overwritten (a node, a secret file).
    case exists
    /// Data is damaged or not in a format this version reads.
    case damaged
    /// Busy or unreachable: trying again later may work.
    case unavailable
    /// The disk or the system failed.
    case io
}

/// A file named by the person that could not be used, with the path in the sentence.
public struct FileProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: NodeFailureKind
    public var description: String

    public init(_ kind: NodeFailureKind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
