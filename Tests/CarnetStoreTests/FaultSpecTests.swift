import CarnetSystem
import Foundation
import Glibc
import Testing

#if CARNET_FAULT_INJECTION  // FaultInjection exists in debug builds only (Package.swift)

/// `CARNET_FAULTS`, the fault rules the `carnet` binary takes from its environment (test
/// equipment for the real-process disk tests).
struct FaultSpecTests {
    @Test func rulesParseWithTheirOptions() throws {
        let rules = try FaultSpec.parse("fsync:eio:after=3; write:enospc:bytes=100:path=events.log ;write:short=7:times=always")
        #expect(rules.count == 3)
        #expect(rules[0].operation == .fsync && rules[0].effect == .fail(EIO) && rules[0].after == 3 && rules[0].times == 1)
        #expect(rules[1].effect == .fail(ENOSPC) && rules[1].afterBytes == 100 && rules[1].pathSuffix == "events.log" && rules[1].times == .max)
        #expect(rules[2].effect == .shortWrite(7) && rules[2].times == .max)
        #expect(try FaultSpec.parse("open:errno=13")[0].effect == .fail(EACCES))
        #expect(try FaultSpec.parse("").isEmpty)
    }

    @Test(arguments: ["fsync", "sync:eio", "fsync:explode", "fsync:eio:after=-1", "fsync:eio:when=3", "fsync:eio:bytes=3", "write:short=0", "write:eio:after"])
    func malformedRulesAreRefusedWithAReason(_ text: String) {
        #expect(throws: FaultSpec.ParseError.self) { _ = try FaultSpec.parse(text) }
        do {
            _ = try FaultSpec.parse(text)
        } catch {
            #expect(error.description.contains("CARNET_FAULTS"), "\(error)")
        }
    }

    /// A byte budget lets that many bytes through, cuts the crossing write short, then fails.
    @Test func aByteBudgetFillsTheDiskMidWrite() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-faultspec-\(UUID().uuidString)").path
        defer { unlink(path) }
        let file = try File(path: path, create: true)
        let rules = try FaultSpec.parse("write:enospc:bytes=10:path=\(path.split(separator: "/").last!)")
        try FaultInjection.with(rules) {
            try file.write(Array(repeating: 1, count: 6), at: 0)
            #expect(throws: SystemError("write", path: path, errno: ENOSPC)) { try file.write(Array(repeating: 2, count: 6), at: 6) }
        }
        #expect(try file.readAll() == Array(repeating: 1, count: 6) + Array(repeating: 2, count: 4))
    }
}
#endif
