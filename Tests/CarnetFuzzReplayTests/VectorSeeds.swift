import CarnetCore
import CarnetFuzzTargets
import Foundation

/// Seeds from the golden session vectors (protocol/vectors/session-v2.txt): the frames
/// each side wrote (the inner messages the file shows in clear are left out). The
/// session target uses the vectors' secret and ephemeral keys, so the dialer's side
/// replays as a valid session against a listener under test, and the reverse.
enum VectorSeeds {
    static let file = FuzzCorpus.repository.appendingPathComponent("protocol/vectors/session-v2.txt")

    /// Each side's stream, in order of writes.
    static func streams() -> (dialer: [UInt8], listener: [UInt8]) {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return ([], []) }
        var dialer: [UInt8] = [], listener: [UInt8] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let items = line.split(separator: " ")
            guard let side = items.first else { continue }
            let bytes = items.dropFirst().filter { !$0.hasPrefix("=inner:") }
                .flatMap { item in Hex.decode(String(item.split(separator: ":").last ?? "")) ?? [] }
            if side == "dialer" { dialer += bytes } else if side == "listener" { listener += bytes }
        }
        return (dialer, listener)
    }

    static func seeds(for target: FuzzTarget) -> [(name: String, bytes: [UInt8])] {
        let (dialer, listener) = streams()
        guard !dialer.isEmpty, !listener.isEmpty else { return [] }
        switch target {
        case .frame:
            return [("vector-dialer", [0] + dialer), ("vector-listener", [0] + listener),
                    ("vector-dialer-envelope", [1] + SeedCorpus.frameEnvelope(dialer, hello: true))]
        case .session:
            return [("vector-listener-under-test", [0] + dialer), ("vector-dialer-under-test", [2] + listener)]
        default:
            return []
        }
    }
}
