import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the figures were measured on.
enum Machine {
    static var cpuModel: String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown"
    }

    /// Processors this process may run on (what `nproc` prints).
    static var processors: Int { ProcessInfo.processInfo.activeProcessorCount }

    static var memoryGiB: Double { Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824 }

    /// Peak resident set size of this process so far, in KiB (`getrusage` ru_maxrss).
    static var peakResidentKiB: Int {
        var usage = rusage()
        #if os(Linux)
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return -1 }
        return Int(usage.ru_maxrss)  // KiB on Linux
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return -1 }
        return Int(usage.ru_maxrss) / 1024  // bytes on macOS
        #endif
    }

    /// Peak resident set size of this address space, in KiB (`VmHWM` in /proc/self/status).
    /// Unlike ru_maxrss it starts afresh at exec, so it excludes the `swift run` that
    /// launched this process; nil where /proc is not available.
    static var highWaterKiB: Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        return nil
    }

    static var peakResident: String {
        let kib = peakResidentKiB
        return "\(Format.grouped(kib)) KiB (\(Format.fixed(Double(kib) / 1024, 1)) MiB)"
    }

    /// The repo root this benchmark was built from (found from this source file).
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // carnet-bench
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()  // bench
        .deletingLastPathComponent()  // tools
        .deletingLastPathComponent()  // repo root
        .path

    /// `git describe --always --dirty` of the repo root, so a figure names the code it measured.
    static var sourceRevision: String {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", repoRoot, "describe", "--always", "--dirty", "--abbrev=12"]
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "unknown (git not available)" }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && !text.isEmpty ? text : "unknown (not a git checkout)"
    }

    static var summary: String {
        "\(cpuModel), \(processors) cores (nproc), \(Format.fixed(memoryGiB, 1)) GiB RAM"
    }
}
