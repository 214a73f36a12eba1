/// The codecs under fuzzing, each with one "one input" function shared by the libFuzzer
/// executables (tools/fuzz) and the replay test (Tests/CarnetFuzzReplayTests), so that a
/// crasher found by one replays in the other unchanged. The raw value names the corpus
/// folder: Tests/Fixtures/fuzz/<rawValue>/.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case frame
    case session
    /// The session of a signed ledger (device proofs, signed heads): `SignedSessionTarget`.
    case sessionSigned = "session-signed"
    case codec
    case store
    case bundle
}

/// Runs one input through a target. Holds the store target's scratch directory, so one
/// runner serves one thread at a time (make one per concurrent test).
public struct FuzzRunner: Sendable {
    private let storeTarget: StoreTarget?

    /// Nil when no scratch directory can be made for the store target.
    public init?() {
        guard let scratch = ScratchDirectory() else { return nil }
        storeTarget = StoreTarget(scratch: scratch)
    }

    private init(storeTarget: StoreTarget?) {
        self.storeTarget = storeTarget
    }

    /// A runner for the targets that touch no file (every one but the store), which makes
    /// no scratch directory.
    public static let fileFree = FuzzRunner(storeTarget: nil)

    /// Throws when a property of the target does not hold for `input`; returns for every
    /// input that decodes or is refused as the properties require.
    public func run(_ target: FuzzTarget, _ input: [UInt8]) throws(FuzzViolation) {
        switch target {
        case .frame: try FrameTarget.run(input)
        case .session: try SessionTarget.run(input)
        case .sessionSigned: try SignedSessionTarget.run(input)
        case .codec: try CodecTarget.run(input)
        case .bundle: try BundleTarget.run(input)
        case .store:
            guard let storeTarget else { throw FuzzViolation("store", "this runner has no scratch directory") }
            try storeTarget.run(input)
        }
    }
}
