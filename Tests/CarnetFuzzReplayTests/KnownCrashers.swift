import CarnetFuzzTargets
import Testing

/// Crasher files that show a product bug not fixed yet (`KnownProductIssue`). The replay
/// and the mutations skip those issues; here each such file must still show its issue,
/// as a known issue. Once the product is fixed the known issue is no longer recorded and
/// this test fails: then drop the entry here and the issue's tag in CarnetFuzzTargets
/// (the crasher file stays, replayed as an ordinary regression input).
enum KnownCrashers {
    /// `<target>/crashers/<file>` → the issue it shows.
    static let files: [String: KnownProductIssue] = [
        "codec/crashers/summary-heads-unsorted": .summaryHeadsUnsorted,
        "frame/crashers/crash-598891536381b425d42406abba7b6f5ffe17fa67": .frameShortHello,
        "frame/crashers/frame-short-hello": .frameShortHello,
        "store/crashers/identity-trailing-carriage-return": .identityTrailingCarriageReturn,
    ]

    static func contains(_ name: String) -> Bool { files[name] != nil }
}

struct KnownCrasherTests {
    @Test(arguments: KnownCrashers.files.keys.sorted())
    func knownProductIssueStillShows(_ name: String) throws {
        let target = try #require(FuzzTarget(rawValue: String(name.prefix { $0 != "/" })))
        let file = try #require(FuzzCorpus.files(target, "crashers").first { $0.name == name }, "missing \(name)")
        let runner = try #require(FuzzRunner())
        let issue = KnownCrashers.files[name]!
        withKnownIssue("\(issue.rawValue): a product bug found by fuzzing, not fixed yet") {
            do {
                try runner.run(target, file.bytes)
            } catch let violation as FuzzViolation {
                #expect(violation.known == issue, "\(name) now fails another way: \(violation)")
                throw violation
            }
        }
    }
}
