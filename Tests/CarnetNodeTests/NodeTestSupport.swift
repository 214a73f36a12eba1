import CarnetCore
import CarnetNet
import CarnetNode
import CarnetStore
import Foundation

/// A node directory in a fresh temporary folder, with a ledger secret.
struct TestNode {
    let directory: String
    let node: NodeID

    init(label: String, ledger: String = "consortium", secret: LedgerSecret) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-node-\(UUID().uuidString)").path
        node = NodeID.derived(from: label + directory)
        try NodeStore.create(directory: directory, ledger: ledger, label: label, node: node)
        try secret.save(directory: directory)
    }

    func open() throws -> SharedStore { try SharedStore(directory: directory, wallMillis: 1_790_000_000_000) }

    /// Writes `count` entries as this node, in one store session.
    func write(_ count: Int, prefix: String) throws {
        var store = try NodeStore(directory: directory, wallMillis: 1_790_000_000_000) { NodeID.derived(from: "x") }
        for index in 0..<count {
            try store.write(.append(Entry(id: "\(prefix)-\(index)", kind: "harvest", fields: [Field("qty", .int(Int64(index)))])),
                            wallMillis: 1_790_000_000_000 + UInt64(index))
        }
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }
}

/// Runs a server on a background thread until `stop()`.
final class RunningServer: @unchecked Sendable {
    // `@unchecked Sendable`: `server` is immutable after init; `done` is a semaphore.
    let server: Server
    private let done = DispatchSemaphore(value: 0)

    init(_ server: Server) {
        self.server = server
        Thread {
            server.run()
            self.done.signal()
        }.start()
    }

    var address: SocketAddress { SocketAddress(host: "127.0.0.1", port: server.port!) }

    func stop() {
        server.stop()
        done.wait()
    }
}
