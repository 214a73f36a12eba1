/// A property a fuzz target checks did not hold for one input: a round trip that changed
/// a value, two decodings of one input that disagree, a session that spoke after closing.
///
/// Thrown rather than trapped, so that the replay test can report it with the input and
/// carry on; the libFuzzer executables trap on it (`FuzzEntry`), which makes libFuzzer
/// save the input as a crasher.
public struct FuzzViolation: Error, Sendable, CustomStringConvertible {
    public var target: String
    public var message: String
    /// Set when the violation is a product bug already reported and not fixed yet
    /// (`KnownProductIssue`): fuzzing goes on past it, and its crasher is a known-issue test.
    public var known: KnownProductIssue?

    public init(_ target: String, _ message: String, known: KnownProductIssue? = nil) {
        self.target = target
        self.message = message
        self.known = known
    }

    public var description: String {
        "\(target): \(message)" + (known.map { " [known product issue \($0.rawValue)]" } ?? "")
    }
}

/// Product bugs found by fuzzing and not fixed yet. A target recognizes each by its exact
/// symptom and tags the violation, so that libFuzzer (and the seeded mutations) keep
/// looking for other bugs instead of stopping on this one again and again. The crasher
/// files that show each stay in Tests/Fixtures/fuzz/<target>/crashers/ and replay as
/// known issues until the fix, when the tag and its check here go.
public enum KnownProductIssue: String, Sendable, CaseIterable {
    /// `SummaryCoding.decode` (CarnetWire) accepts a node's heads in any order while its
    /// encoder sorts them: a summary with unsorted heads re-encodes to different bytes that
    /// decode to a different (sorted) value. It checks node order, not head order. The
    /// store's status file holds such a summary, so the store target meets it too.
    case summaryHeadsUnsorted = "summary-heads-unsorted"
    /// `NodeIdentity` (CarnetStore) reads a last line `label x\r` (no final line feed) as
    /// the label "x\r"; saving it writes "x\r" then "\n", which Swift reads as one
    /// Character ("\r\n"), so the next line (`home`) merges into the label and the saved
    /// file no longer loads ("no valid home"). The store saves a loaded identity when it
    /// continues under a new node id, so a hand-edited node file can leave a store that
    /// will not open. The same holds for the ledger name.
    case identityTrailingCarriageReturn = "identity-trailing-carriage-return"
    /// `FrameDecoder` (CarnetWire) checks the first frame's HELLO length only once 13
    /// bytes have arrived (type, magic and version first). A frame typed HELLO of length
    /// 1...8 whose bytes match the magic so far is complete before that, and is returned as
    /// a frame, against the decoder's promise of "a HELLO of exactly its size"; fed whole,
    /// the same stream may be refused ("not a Carnet peer"), so the outcome depends on how
    /// TCP cut the bytes. The session then refuses the empty HELLO body, with the same
    /// error code, so nothing worse follows.
    case frameShortHello = "frame-short-hello"
}

/// Throws a violation of `target` when `condition` is false. The message is built only
/// then: most checks pass, and each runs once per input.
@inline(__always)
func require(_ condition: Bool, _ target: String, _ message: @autoclosure () -> String) throws(FuzzViolation) {
    if !condition { throw FuzzViolation(target, message()) }
}
