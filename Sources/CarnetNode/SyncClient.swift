import CarnetCore
import CarnetNet
import CarnetSync
import Foundation

/// `carnet sync HOST:PORT`: one session with one peer, both directions, then close.
public enum SyncClient {
    /// Dials `address` and syncs the node in `store`; remembers what it learned about the
    /// peer (for the next session's head start and for `status`) and refreshes the status
    /// file. Throws only when the session could not start (no route, refused); a session
    /// that started and failed is in the report.
    public static func sync(store: SharedStore, secret: LedgerSecret, address: SocketAddress,
                            connectTimeout: Duration = .seconds(10),
                            settings: SessionSettings = SessionSettings()) throws(NodeError) -> SessionReport {
        let name = address.description
        let connection: TCPConnection
        do {
            connection = try TCPConnection.connect(to: address, timeout: connectTimeout)
        } catch {
            var report = SessionReport(address: name, role: .dialer)
            report.transportError = "cannot reach \(name): \(error)"
            PeerBook.record(report, address: name, directory: store.directory, wallMillis: wallMillis)
            throw .network(report.transportError!)
        }
        let runner = try SessionRunner(connection: connection)
        let report = runner.run(role: .dialer, store: store, secret: secret, live: false, settings: settings)
        PeerBook.record(report, address: name, directory: store.directory, wallMillis: wallMillis)
        _ = store.saveStatusIfChanged()
        return report
    }

    static var wallMillis: UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}
