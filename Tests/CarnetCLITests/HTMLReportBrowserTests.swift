import Foundation
import Testing

/// Chromium without a screen, run as a process: it opens a page from a file, prints the
/// DOM it built, or saves a screenshot. When it is missing, the test that needs it is
/// skipped, saying why, unless CARNET_REQUIRE_CHROMIUM=1 (set by .ci/run, which installs
/// it): then it fails.
enum HeadlessChromium {
    static let path = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/local/bin/chromium"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static let required = ProcessInfo.processInfo.environment["CARNET_REQUIRE_CHROMIUM"] == "1"
    static let shouldRun = path != nil || required

    /// Runs chromium headless on `url` with `arguments`, its profile in `profile` (a
    /// folder of the test's own, so that parallel runs do not share one), stopping it after
    /// `timeout`. Output goes through files: a DOM is larger than a pipe's buffer.
    static func run(_ arguments: [String], url: String, profile: String,
                    timeout: TimeInterval = 90) throws -> CommandLineTests.Run {
        guard let path else {
            throw ToolMissing("chromium is not installed; install it with `apt-get install -y --no-install-recommends chromium` "
                              + "(CARNET_REQUIRE_CHROMIUM=1 makes this a failure)")
        }
        let out = profile + ".stdout", err = profile + ".stderr"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)",
                             "--enable-logging=stderr", "--v=0"] + arguments + [url]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": profile, "LANG": "C.UTF-8"]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Issue.record("chromium \(arguments.joined(separator: " ")) did not finish in \(Int(timeout)) s")
        }
        process.waitUntilExit()
        return CommandLineTests.Run(status: process.terminationStatus,
                                    stdout: try String(contentsOfFile: out, encoding: .utf8),
                                    stderr: try String(contentsOfFile: err, encoding: .utf8))
    }

    /// The page's console messages, from chromium's log on stderr.
    ///
    /// With `--enable-logging=stderr --v=0`, Chromium writes every console message of a
    /// page (console.error, an uncaught exception, a Content-Security-Policy violation, a
    /// refused load) as a log line `[pid:tid:time:INFO:CONSOLE:line] "message", source:
    /// URL (line)`, whatever the message's own level. The report has no script and its
    /// policy forbids every fetch, so any such line is a fault: a reference to something
    /// outside the page, a markup error a browser reports, or a script that got in. The
    /// rest of that log (D-Bus, GPU, sandbox warnings of a machine without a desktop) is
    /// about the browser, not the page, and is not read. The test proves on each run that
    /// this catches a fault, on a copy of the page broken on purpose.
    static func consoleMessages(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
    }

    /// Where test artifacts are kept: $CARNET_TEST_ARTIFACTS, else .build/test-artifacts
    /// under the folder `swift test` runs in (the package's).
    static func artifactsFolder() throws -> String {
        let folder = ProcessInfo.processInfo.environment["CARNET_TEST_ARTIFACTS"]
            ?? FileManager.default.currentDirectoryPath + "/.build/test-artifacts"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
}

/// The HTML report as a browser shows it: Chromium builds the same tables from the file,
/// with the same figures as the JSON reports, logs no console message, and draws the page
/// (the screenshot is kept as an artifact for a person to look at).
struct HTMLReportBrowserTests {
    @Test(.enabled(if: HeadlessChromium.shouldRun, "chromium is not installed (CARNET_REQUIRE_CHROMIUM=1 makes this a failure)"))
    func chromiumOpensThePageOfflineWithTheSameFiguresAndNoConsoleMessage() throws {
        let box = try Sandbox()
        try HTMLReportScenario.build(box)
        let page = box.path("consortium.html")
        try box.ok(["report", "--html", page, "--year", "2026"])
        let html = try String(contentsOfFile: page, encoding: .utf8)

        let dom = try HeadlessChromium.run(["--dump-dom"], url: "file://" + page, profile: box.path("chromium-dom"))
        #expect(dom.status == 0, "chromium: \(dom.stderr.suffix(2000))")
        #expect(dom.stdout.contains("<table id=\"egalim-table\">"), "no report in the DOM: \(dom.stdout.prefix(500))")
        try HTMLReportTests.expectTablesMatchReports(dom.stdout, box)
        #expect(dom.stdout.contains(HTMLReportScenario.scriptName.replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")), "the canteen's name is text in the DOM")
        #expect(!dom.stdout.contains("<script"), "no script element in the DOM")
        #expect(HeadlessChromium.consoleMessages(dom.stderr).isEmpty, "\(HeadlessChromium.consoleMessages(dom.stderr))")

        // The check above can fail: a copy of the page that loads a style sheet from the
        // network, and one without the policy whose script fails, each log a console line.
        let fetching = box.path("broken-fetch.html"), failing = box.path("broken-script.html")
        try html.replacingOccurrences(of: "</head>", with: "<link rel=\"stylesheet\" href=\"https://fonts.invalid/x.css\">\n</head>")
            .write(toFile: fetching, atomically: true, encoding: .utf8)
        try html.replacingOccurrences(of: "<meta http-equiv=\"Content-Security-Policy\"", with: "<meta name=\"x\"")
            .replacingOccurrences(of: "</body>", with: "<script>undefinedFunction();</script>\n</body>")
            .write(toFile: failing, atomically: true, encoding: .utf8)
        let refused = try HeadlessChromium.run(["--dump-dom"], url: "file://" + fetching, profile: box.path("chromium-fetch"))
        #expect(HeadlessChromium.consoleMessages(refused.stderr).contains { $0.contains("Content Security Policy") },
                "the broken page's fetch was not reported: \(refused.stderr.suffix(2000))")
        let thrown = try HeadlessChromium.run(["--dump-dom"], url: "file://" + failing, profile: box.path("chromium-script"))
        #expect(HeadlessChromium.consoleMessages(thrown.stderr).contains { $0.contains("undefinedFunction is not defined") },
                "the broken page's error was not reported: \(thrown.stderr.suffix(2000))")

        let folder = try HeadlessChromium.artifactsFolder()
        let screenshot = folder + "/report-html-fr.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        let shot = try HeadlessChromium.run(["--screenshot=\(screenshot)", "--window-size=1280,2000", "--hide-scrollbars"],
                                            url: "file://" + page, profile: box.path("chromium-shot"))
        #expect(shot.status == 0, "chromium: \(shot.stderr.suffix(2000))")
        #expect(HeadlessChromium.consoleMessages(shot.stderr).isEmpty, "\(HeadlessChromium.consoleMessages(shot.stderr))")
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "not a PNG")
        #expect(png.count > 20_000, "a blank screenshot is a few kilobytes; this one is \(png.count) bytes")
        try? FileManager.default.removeItem(atPath: folder + "/report-html-fr.html")
        try FileManager.default.copyItem(atPath: page, toPath: folder + "/report-html-fr.html")
        print("HTML report screenshot: \(screenshot) (the page beside it: \(folder)/report-html-fr.html)")
    }
}
