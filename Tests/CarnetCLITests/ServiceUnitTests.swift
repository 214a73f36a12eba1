import Foundation
import Testing

/// Issue 21, item 9: the systemd unit in deploy/systemd says what a hub's service needs,
/// and systemd itself accepts it where it is installed.
struct ServiceUnitTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/systemd")
    static let unitPath = deploy.appendingPathComponent("carnet-serve.service").path
    static let systemdAnalyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// A unit file as systemd reads it: section → key → every value given (in order).
    static func parse(_ text: String) -> [String: [String: [String]]] {
        var sections: [String: [String: [String]]] = [:]
        var section = ""
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast())
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: [:]][key, default: []].append(value)
        }
        return sections
    }

    /// The keys the brief asks for, each with the value it must have: restart on
    /// failure, a user of its own, the node in /var/lib/carnet, readiness, hardening.
    @Test func theUnitSaysWhatAHubServiceNeeds() throws {
        let unit = Self.parse(try String(contentsOfFile: Self.unitPath, encoding: .utf8))
        let service = try #require(unit["Service"], "no [Service] section")
        func value(_ key: String) -> String? { service[key]?.last }
        #expect(value("Type") == "notify")
        #expect(value("Restart") == "on-failure")
        #expect(value("User") == "carnet")
        #expect(value("StateDirectory") == "carnet")
        let start = try #require(value("ExecStart"), "no ExecStart")
        #expect(start.contains(" --dir /var/lib/carnet serve"), "\(start)")
        for (key, expected) in [("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("NoNewPrivileges", "yes"),
                                ("PrivateTmp", "yes"), ("ProtectKernelTunables", "yes"), ("ProtectKernelModules", "yes"),
                                ("ProtectKernelLogs", "yes"), ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX")] {
            #expect(value(key) == expected, "\(key)=\(value(key) ?? "(missing)")")
        }
        #expect(service["SystemCallFilter"]?.first == "@system-service")
        #expect(unit["Install"]?["WantedBy"]?.last == "multi-user.target")
        // The service's flags are serve's: a typo here would restart-loop on a usage error.
        let help = try CommandLineTests.carnet(["serve", "--help"], environment: ["NO_COLOR": "1", "PATH": "/usr/bin:/bin"])
        for flag in start.split(separator: " ").filter({ $0.hasPrefix("--") && $0 != "--dir" }) {
            #expect(help.stdout.contains(flag), "carnet serve takes no \(flag)")
        }
        // The user the unit runs as is the one sysusers creates.
        let sysusers = try String(contentsOfFile: Self.deploy.appendingPathComponent("carnet.sysusers.conf").path, encoding: .utf8)
        #expect(sysusers.split(separator: "\n").contains { $0.hasPrefix("u carnet ") }, "\(sysusers)")
    }

    /// systemd's own reading of the unit: any complaint (an unknown key, a bad value, a
    /// missing binary) fails. The binary is the one just built, in place of the installed
    /// path.
    @Test(.enabled(if: systemdAnalyze != nil, "systemd-analyze is not installed here: the unit is only parsed"))
    func systemdAnalyzeVerifiesTheUnit() throws {
        let box = try Sandbox()
        let executable = try CommandLineTests.executable().path
        let text = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/carnet", with: executable)
        let copy = box.path("carnet-serve.service")
        try text.write(toFile: copy, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.systemdAnalyze))
        process.arguments = ["verify", copy]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(said)")
        #expect(said.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "systemd-analyze verify: \(said)")
    }
}
