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
        case .sessionSigned:
            return signedSeeds()
        default:
            return []
        }
    }

    // MARK: - Signed ledger (protocol/vectors/session-v2-signed.txt)

    static let signedFile = FuzzCorpus.repository.appendingPathComponent("protocol/vectors/session-v2-signed.txt")

    /// Each session of the signed vectors (the first meeting, then the in-sync one): its
    /// writes in order, each with the side that wrote it.
    static func signedWrites() -> [[(dialer: Bool, bytes: [UInt8])]] {
        guard let text = try? String(contentsOf: signedFile, encoding: .utf8) else { return [] }
        var sessions: [[(dialer: Bool, bytes: [UInt8])]] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# session ") { sessions.append([]) }
            let items = line.split(separator: " ")
            guard !line.hasPrefix("#"), let side = items.first, !sessions.isEmpty else { continue }
            let bytes = items.dropFirst().filter { !$0.hasPrefix("=inner:") }
                .flatMap { item in Hex.decode(String(item.split(separator: ":").last ?? "")) ?? [] }
            sessions[sessions.count - 1].append((side == "dialer", bytes))
        }
        return sessions
    }

    /// Each session of the signed vectors: each side's stream, its writes joined.
    static func signedStreams() -> [(dialer: [UInt8], listener: [UInt8])] {
        signedWrites().map { writes in
            (writes.filter(\.dialer).flatMap(\.bytes), writes.filter { !$0.dialer }.flatMap(\.bytes))
        }
    }

    /// The signed vectors' sides as `session-signed` inputs: raw mode, the first meeting
    /// (selector bit 6 clear) then the in-sync one, the listener under test fed the
    /// dialer's stream and the reverse.
    static func signedSeeds() -> [(name: String, bytes: [UInt8])] {
        zip(["first", "in-sync"], signedStreams()).enumerated().flatMap { index, pair in
            let (meeting, streams) = pair
            let bits: UInt8 = index == 0 ? 0 : 64
            return [("vector-\(meeting)-listener-under-test", [bits] + streams.dialer),
                    ("vector-\(meeting)-dialer-under-test", [2 | bits] + streams.listener)]
        }
    }
}
