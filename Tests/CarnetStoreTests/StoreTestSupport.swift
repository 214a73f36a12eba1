import CarnetCore
import CarnetStore
import CarnetTestKit
import Foundation

/// A fresh directory under the system's temporary folder, removed by `cleanUp()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("carnet-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var logPath: String { path + "/" + EventLog.fileName }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }

    func logBytes() throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: logPath))) }

    func writeLog(_ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: logPath)) }
}

/// Three batches of a random history, appended as three records.
func threeBatches(seed: UInt64) -> [[Event]] {
    let events = RandomHistory(seed: seed, nodes: 3, steps: 45).events
    let third = events.count / 3
    return [Array(events[..<third]), Array(events[third..<(2 * third)]), Array(events[(2 * third)...])]
}

/// Appends `threeBatches(seed:)` to a new log in `directory`, one record each; returns the
/// batches and the log's size after each record.
func writeThreeRecords(in directory: TemporaryDirectory, seed: UInt64) throws -> (batches: [[Event]], ends: [Int]) {
    let batches = threeBatches(seed: seed)
    var ends: [Int] = []
    var log = try EventLog.open(directory: directory.path)
    for batch in batches {
        try log.log.append(batch)
        ends.append(log.log.size)
    }
    return (batches, ends)
}
