import CarnetCore
import CarnetNet
import CarnetSystem
import CarnetSync
import Foundation

/// `carnet sync HOST:PORT`: one session with one peer, both directions, then close.
public enum SyncClient {
    /// Dials `address` and syncs the node in `store`; remembers what it learned about the
    /// peer (for the next session's head start and for `status`) and refreshes the status
    /// file. Throws only when the session could not start (no route, refused); a session
    /// that started and failed is in the report.
    /// `receipt`: whether to ask the peer for a custody receipt (signed ledgers, SPEC
    /// 9.6); nil decides as `ReceiptBook.wanted` says (the benchmark measures both ways).
    public static func sync(store: SharedStore, secret: LedgerSecret, address: SocketAddress,
                            connectTimeout: Duration = .seconds(10),
                            settings: SessionSettings = SessionSettings(), receipt: Bool? = nil) throws(NodeError) -> SessionReport {
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
        return try sync(store: store, secret: secret, connection: connection, name: name, settings: settings, receipt: receipt)
    }

    /// The same over a connection already made: `carnet sync` dials while it opens the
    /// store, so a slow link's TCP handshake and a large store's open overlap.
    public static func sync(store: SharedStore, secret: LedgerSecret, connection: TCPConnection, name: String,
                            settings: SessionSettings = SessionSettings(), receipt: Bool? = nil) throws(NodeError) -> SessionReport {
        let runner = try SessionRunner(connection: connection)
        var settings = settings
        settings.wantsReceipt = receipt ?? ReceiptBook.wanted(address: name, store: store)
        var report = runner.run(role: .dialer, store: store, secret: secret, live: false, settings: settings)
        if GrantsFallback.refusedGrants(report, settings: settings),
           let again = try? TCPConnection.connect(to: connection.peer, timeout: .seconds(10)) {
            // An older listener: once more without grants (SPEC 8.2.1).
            settings.grants = false
            report = try SessionRunner(connection: again).run(role: .dialer, store: store, secret: secret, live: false,
                                                              settings: settings)
            report.dialedAgainWithoutGrants = true
        }
        PeerBook.record(report, address: name, directory: store.directory, wallMillis: wallMillis)
        _ = store.saveStatusIfChanged()
        return report
    }

    /// Dials on its own thread; `connection()` waits for the outcome.
    public final class Dialer: @unchecked Sendable {
        // `@unchecked Sendable`: `outcome` is written once by the dialing thread before
        // `done` is signalled, and read only after waiting on `done`.
        private var outcome: Result<(connection: TCPConnection, at: ContinuousClock.Instant), NetError>?
        private let done = DispatchSemaphore(value: 0)
        public let address: SocketAddress
        private let timeout: Duration

        /// How long a connection made ahead may wait for the store to open: a listener
        /// drops one that sends nothing within its handshake deadline (5 s by default), and
        /// a farm holding ten million events takes some 9 s to open. Past it, the dialer
        /// connects again once the store is open.
        public static let waitsAtMost: Duration = .seconds(3)
        private let waitsAtMost: Duration

        /// `waitsAtMost`: as the type's (a test shortens it).
        public init(_ address: SocketAddress, timeout: Duration, waitsAtMost: Duration = Dialer.waitsAtMost) {
            self.address = address
            self.timeout = timeout
            self.waitsAtMost = waitsAtMost
            Thread { [self] in
                do throws(NetError) {
                    let connection = try TCPConnection.connect(to: address, timeout: timeout)
                    outcome = .success((connection, ContinuousClock().now))
                } catch {
                    outcome = .failure(error)
                }
                done.signal()
            }.start()
        }

        public func connection(directory: String) throws(NodeError) -> TCPConnection {
            done.wait()
            var made = outcome!
            if case let .success((connection, at)) = made, ContinuousClock().now - at > waitsAtMost {
                // Idle too long for the listener's deadline: a fresh connection.
                connection.close()
                do throws(NetError) {
                    made = .success((try TCPConnection.connect(to: address, timeout: timeout), ContinuousClock().now))
                } catch {
                    made = .failure(error)
                }
            }
            switch made {
            case let .success((connection, _)):
                return connection
            case let .failure(error):
                var report = SessionReport(address: address.description, role: .dialer)
                report.transportError = "cannot reach \(address): \(error)"
                PeerBook.record(report, address: address.description, directory: directory, wallMillis: SyncClient.wallMillis)
                throw .network(report.transportError!)
            }
        }
    }

    static var wallMillis: UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}
