import CarnetFuzzTargets
import Foundation

/// The fuzz inputs kept in the repository: for each target, `corpus/` (minimized by
/// `tools/fuzz.sh merge`, what libFuzzer starts from) and `crashers/` (every input that
/// ever crashed or broke a property, kept forever as a regression test).
///
///     Tests/Fixtures/fuzz/<target>/corpus/*
///     Tests/Fixtures/fuzz/<target>/crashers/*
enum FuzzCorpus {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz")
    static let repository = root.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func folder(_ target: FuzzTarget, _ kind: String) -> URL {
        root.appendingPathComponent(target.rawValue).appendingPathComponent(kind)
    }

    /// The files of one folder, by name (a missing folder is empty).
    static func files(_ target: FuzzTarget, _ kind: String) -> [(name: String, bytes: [UInt8])] {
        let folder = folder(target, kind)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { return nil }
            return ("\(target.rawValue)/\(kind)/\(name)", [UInt8](data))
        }
    }

    static func hex(_ bytes: [UInt8], limit: Int = 256) -> String {
        let shown = bytes.prefix(limit).map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        return bytes.count > limit ? shown + "… (\(bytes.count) bytes)" : shown
    }
}
