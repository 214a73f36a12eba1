import CarnetCore
import CarnetLedger
import CarnetNode
import Foundation

/// The README's main job: a hub and three farm devices, each a real node directory in a
/// temporary folder; the hub runs `carnet serve` as its own process on loopback; the farms
/// record offline and sync with it over TCP (authenticated sessions, the real store on
/// both sides). Everything it prints is measured; it cleans up after itself.
struct Demo {
    let seed: UInt64
    private(set) var now: UInt64 = 1_780_300_800_000  // 2026-06-01 08:00 UTC: a fixed story clock

    init(seed: UInt64) { self.seed = seed }

    mutating func tick() -> UInt64 {
        now += 97_000
        return now
    }

    /// True when every node ended with the same digest and no open conflict.
    mutating func run<Out: TextOutputStream>(printer out: inout Out) -> Bool {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("carnet-demo-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        do {
            return try runOverTCP(root: root, out: &out)
        } catch {
            print("\nthe demo failed: \(error)", to: &out)
            return false
        }
    }

    private mutating func runOverTCP<Out: TextOutputStream>(root: String, out: inout Out) throws -> Bool {
        let secret = LedgerSecret.generate()
        let (hub, ledger) = try DemoNode.createLedger(root: root, name: "hub", label: "Tiers-lieu hub", secret: secret, wallMillis: tick())
        let col = try DemoNode.create(root: root, name: "ferme-du-col", label: "Ferme du Col (laptop)", secret: secret, ledger: ledger)
        let colPhone = try DemoNode.create(root: root, name: "ferme-du-col-phone", label: "Ferme du Col (phone)", secret: secret, ledger: ledger)
        var chevre = try DemoNode.create(root: root, name: "chevrerie", label: "Chèvrerie des Pins", secret: secret, ledger: ledger)
        let farms = [col, colPhone, chevre]
        print("Carnet demo: a hub and three farm devices, each a node directory under \(root)", to: &out)
        print("(one signed ledger, id \(ledger.hex), created by the hub: each device signs what it writes with its own key,", to: &out)
        print("every node stores only what its author signed, and counts it only within the roles the ledger gives that device;", to: &out)
        print("every sync below is a real TCP session, a Noise handshake, every frame encrypted).\n", to: &out)
        try hub.enrol(col, roles: [.producer("col"), .catalog], at: tick())
        try hub.enrol(colPhone, roles: [.producer("col")], at: tick())
        try hub.enrol(chevre, roles: [.producer("chevrerie"), .catalog], at: tick())
        print("   The hub, the ledger's first administrator, enrols the farm devices: the Col's laptop and the chèvrerie", to: &out)
        print("   write for their farm and edit the catalog, the Col's phone writes for the Col only.\n", to: &out)

        let server = try DemoServer.start(directory: hub.directory)
        defer { server.stop() }
        print("0. The hub runs `carnet serve` as its own process (pid \(server.pid)) on \(server.address).\n", to: &out)
        var names = [String: String]()
        for node in [hub] + farms { names[try node.identity().node.hex] = node.name }

        print("1. At the hub, `carnet` records the catalog and the parties while `serve` runs on the same store.", to: &out)
        try hub.write { store, day in
            for (sku, name, unit, price) in [("tomme", "Tomme de brebis", "g", Int64(2400)), ("oeufs", "Œufs bio", "pc", 45), ("salade", "Salade batavia", "pc", 120)] {
                try store.write([.assign(Assignment(key: Catalog.productKey(sku, .name), value: .text(name), supersedes: []))], wallMillis: tick())
                try store.write([.assign(Assignment(key: Catalog.productKey(sku, .unit), value: .text(unit), supersedes: []))], wallMillis: tick())
                try store.write([.assign(Assignment(key: Catalog.productKey(sku, .price), value: .int(price), supersedes: []))], wallMillis: tick())
            }
            for (id, name, kind) in [("col", "Ferme du Col", "farm"), ("chevrerie", "Chèvrerie des Pins", "farm"), ("cantine-jaures", "Cantine Jaurès", "canteen")] {
                try store.write([.assign(Assignment(key: Catalog.partyKey(id, .name), value: .text(name), supersedes: []))], wallMillis: tick())
                try store.write([.assign(Assignment(key: Catalog.partyKey(id, .kind), value: .text(kind), supersedes: []))], wallMillis: tick())
            }
        }
        for farm in farms { try sync(farm, with: server, out: &out) }
        let backup = root + "/chevrerie-backup"
        try FileManager.default.copyItem(atPath: chevre.directory, toPath: backup)
        print("   (tonight the chèvrerie's laptop is backed up.)\n", to: &out)

        print("2. Offline, the farms record their morning.", to: &out)
        let today = CalendarDay(epochMillis: now)
        try col.append(LedgerEntry(id: "col-1", kind: .harvest, producer: "col", date: today, product: "tomme",
                                   quantity: 12_000, unit: .grams, lot: "L-col-07"), at: tick())
        try sync(colPhone, with: server, out: &out, quiet: true)  // the phone saw the harvest at breakfast
        try col.append(LedgerEntry(id: "col-2", kind: .sale, producer: "col", date: today, product: "tomme",
                                   quantity: 8_000, unit: .grams, lot: "L-col-07", party: "cantine-jaures", amount: 19_200), at: tick())
        try colPhone.append(LedgerEntry(id: "col-p1", kind: .sale, producer: "col", date: today, product: "tomme",
                                        quantity: 6_000, unit: .grams, lot: "L-col-07", party: "cantine-jaures", amount: 14_400), at: tick())
        print("   ferme-du-col harvests 12 kg of tomme (lot L-col-07); the laptop sells 8 kg to the canteen,", to: &out)
        print("   and the phone, offline at the market, sells 6 kg of the same lot.", to: &out)
        for n in 1...5 {
            try chevre.append(LedgerEntry(id: "chv-\(n)", kind: n % 2 == 1 ? .harvest : .sale, producer: "chevrerie", date: today,
                                          product: "oeufs", quantity: Int64(n % 2 == 1 ? 60 : 24), unit: .pieces,
                                          lot: "L-chv-\(n / 2 + 1)", party: n % 2 == 1 ? nil : "cantine-jaures",
                                          amount: n % 2 == 1 ? nil : 1_080), at: tick())
        }
        print("   the chèvrerie records 3 egg harvests and 2 sales.", to: &out)
        try col.write { store, _ in
            try store.write([.assign(Assignment(key: Catalog.productKey("tomme", .price), value: .int(2_600),
                                               supersedes: store.replica.registers[Catalog.productKey("tomme", .price)]?.values.map(\.id) ?? []))], wallMillis: tick())
        }
        try chevre.write { store, _ in
            try store.write([.assign(Assignment(key: Catalog.productKey("tomme", .price), value: .int(2_350),
                                               supersedes: store.replica.registers[Catalog.productKey("tomme", .price)]?.values.map(\.id) ?? []))], wallMillis: tick())
        }
        print("   meanwhile two farms change the price of tomme at once: 26,00 €/kg and 23,50 €/kg.\n", to: &out)

        print("3. Each device syncs with the hub when its link comes up (twice round: the second brings the others' news).", to: &out)
        for _ in 0..<2 { for farm in farms { try sync(farm, with: server, out: &out) } }
        try printDigests([hub] + farms, to: &out)

        print("\n4. Conflicts found on the merged ledger (the same list, same ids, on every node):", to: &out)
        let conflicts = try colPhone.conflicts()
        printConflicts(conflicts, names: names, to: &out)
        let sameEverywhere = try Set(([hub] + farms).map { try $0.conflicts().map(\.id) }).count == 1
        print("   every node lists the same \(conflicts.count) conflicts: \(sameEverywhere ? "yes" : "NO")", to: &out)

        print("\n5. At the hub, someone resolves them (while `serve` runs).", to: &out)
        try hub.write { store, day in
            if let price = store.replica.fieldConflicts.first {
                try store.write([.assign(Assignment(key: price.key, value: .int(2_500), supersedes: price.values.map(\.id)))], wallMillis: tick())
            }
            let adjust = LedgerEntry(id: "hub-adj-1", kind: .adjust, producer: "col", date: today, product: "tomme",
                                     quantity: 2_000, unit: .grams, lot: "L-col-07", note: "2 kg found in the cold room, covers sale col-p1")
            try store.write([.append(adjust.coreEntry)], wallMillis: tick())
        }
        print("   price of tomme set to 25,00 €/kg, superseding both values; the 2 kg oversold are found", to: &out)
        print("   in the cold room: an `adjust` of +2 kg on lot L-col-07. Both are events, visible in `carnet log`.", to: &out)
        for farm in farms { try sync(farm, with: server, out: &out) }
        let open = try chevre.conflicts().count
        print("   open conflicts on the chèvrerie now: \(open)\n", to: &out)

        print("6. A week later the chèvrerie's laptop dies and is restored from last night's backup.", to: &out)
        // The dead laptop's disk goes in a drawer; the backup is copied onto the new one.
        try FileManager.default.moveItem(atPath: chevre.directory, toPath: root + "/chevrerie-dead-laptop")
        try FileManager.default.copyItem(atPath: backup, toPath: chevre.directory)
        let before = try chevre.identity().node
        try chevre.append(LedgerEntry(id: "chv-9", kind: .harvest, producer: "chevrerie", date: today, product: "oeufs",
                                      quantity: 48, unit: .pieces, lot: "L-chv-9"), at: tick())
        let after = try chevre.identity().node
        if after != before {
            names[after.hex] = "chevrerie (restored)"
            print("   opening it, the store sees its directory is not where the node was created: it continues", to: &out)
            print("   under a new node id \(after.short), linked to \(before.short), so no sequence number is reused.", to: &out)
        }
        chevre.name = "chevrerie (restored)"
        let restoredFarms = [col, colPhone, chevre]
        for _ in 0..<2 { for farm in restoredFarms { try sync(farm, with: server, out: &out) } }
        try printDigests([hub] + restoredFarms, to: &out)
        let forks = try hub.conflicts().filter { $0.kind == .fork }.count
        print("   it got back every event it had lost, under its old id too; forks at the hub: \(forks).", to: &out)

        print("\n7. Stock on hand, as every node now computes it:", to: &out)
        for line in try colPhone.ledger().stock() {
            let quantity = line.unit.map { Quantity(line.quantity, $0).description } ?? "\(line.quantity)"
            print("   \(line.producer.padding(11)) \(line.product.padding(8)) \(line.lot.padding(10)) \(quantity)", to: &out)
        }

        print("", to: &out)
        let traded = try runTrade(root: root, hub: hub, farms: restoredFarms, server: server, secret: secret, ledger: ledger, out: &out)

        let status = server.stop()
        print("\n11. SIGTERM to `carnet serve`: it ends its sessions, saves its status and exits with \(status).", to: &out)
        let digests = try Set(([hub] + restoredFarms).map { try $0.digest() })
        let converged = digests.count == 1
        let resolved = try ([hub] + restoredFarms).allSatisfy { try $0.conflicts().filter { $0.kind != .fork }.isEmpty }
        print(converged && resolved && traded && status == 0
              ? "\nEvery node holds the same events and the same state; no conflict is left open."
              : "\nNodes DIFFER, a conflict is open, or serve failed: this is a bug.", to: &out)
        return converged && resolved && traded && status == 0
    }

    /// One `carnet sync` session of `node` with the hub, narrated.
    func sync<Out: TextOutputStream>(_ node: DemoNode, with server: DemoServer, out: inout Out, quiet: Bool = false) throws {
        let store = try SharedStore(directory: node.directory, wallMillis: now)
        let report = try SyncClient.sync(store: store, secret: try LedgerSecret.load(directory: node.directory), address: server.address)
        guard report.succeeded else { throw NodeError.network("sync of \(node.name) failed: \(report.failure ?? "?")") }
        guard !quiet else { return }
        let stats = report.statistics
        print("   \(node.name.padding(22)) ⇄ hub: sent \(stats.eventsSentNew) new events, received \(stats.eventsReceivedNew); "
              + "\(stats.bytesSent + stats.bytesReceived) bytes, \(stats.waits) round trip\(stats.waits == 1 ? "" : "s"), "
              + "\(Int(report.elapsed.secondsValue * 1000)) ms", to: &out)
    }

    func printDigests<Out: TextOutputStream>(_ nodes: [DemoNode], to out: inout Out) throws {
        for node in nodes {
            let store = try node.open()
            print("   \(node.name.padding(22)) \(store.replica.eventCount) events  digest \(store.replica.digest.short)", to: &out)
        }
    }

    private func printConflicts<Out: TextOutputStream>(_ conflicts: [ConflictReport], names: [String: String], to out: inout Out) {
        for conflict in conflicts {
            print("   [\(conflict.id)] \(conflict.kind.rawValue): \(conflict.summary)", to: &out)
            for side in conflict.sides {
                print("      - \(side.detail)  (by \(names[side.writer.hex] ?? side.writer.short) at \(side.clock.readable))", to: &out)
            }
            print("      → \(conflict.suggestion)", to: &out)
        }
    }
}

/// A node directory of the demo, used the way `carnet` commands use one.
struct DemoNode {
    var name: String
    let directory: String

    /// The node that creates the ledger: its id derives from this device's key, and its
    /// genesis names the device as the first administrator (`carnet ledger create`).
    static func createLedger(root: String, name: String, label: String, secret: LedgerSecret,
                             wallMillis: UInt64) throws -> (DemoNode, LedgerID) {
        var generator = SystemRandomNumberGenerator()
        let device = DeviceSigner.generate(using: &generator)
        let salt = DeviceSigner.randomSalt(using: &generator)
        let ledger = LedgerID.derived(creator: device.nodeKey.publicKey, salt: salt)
        let directory = root + "/" + name
        try UserFiles.createDirectory(directory)
        try secret.save(directory: directory)
        try LocalNode.createSigned(directory: directory, ledger: "consortium-du-plateau", ledgerID: ledger, label: label,
                                   wallMillis: wallMillis, device: device)
        let node = DemoNode(name: name, directory: directory)
        try node.write { store, _ in
            try store.write(LedgerGenesis.operations(ledger: ledger, name: "consortium-du-plateau",
                                                     creator: device.nodeKey.publicKey, salt: salt),
                            wallMillis: wallMillis + 1)
        }
        return (node, ledger)
    }

    /// An administrator enrols `device` with `roles` (`carnet member add`).
    func enrol(_ device: DemoNode, roles: [MemberRole], at wallMillis: UInt64) throws {
        let target = try device.identity().node
        let label = try device.identity().label
        try write { store, _ in
            try store.write(wallMillis: wallMillis) { first, _ in
                [.append(MemberRecord(id: MemberRecord.makeID(node: first.node, seq: first.seq), action: .enrol, device: target,
                                      roles: MemberRoles(roles), label: label).coreEntry)]
            }
        }
    }

    static func create(root: String, name: String, label: String, secret: LedgerSecret, ledger: LedgerID) throws -> DemoNode {
        let directory = root + "/" + name
        try UserFiles.createDirectory(directory)
        try secret.save(directory: directory)
        try LocalNode.createSigned(directory: directory, ledger: "consortium-du-plateau", ledgerID: ledger, label: label,
                                   wallMillis: UInt64(Date().timeIntervalSince1970 * 1000))
        return DemoNode(name: name, directory: directory)
    }

    func open() throws -> LocalNode {
        try LocalNode(directory: directory, wallMillis: UInt64(Date().timeIntervalSince1970 * 1000))
    }

    func identity() throws -> NodeStatus.Identity { try NodeDirectory.identity(of: directory) }

    /// Opens the store, writes, and closes it, as one `carnet` command does.
    func write(_ body: (inout LocalNode, CalendarDay) throws -> Void) throws {
        var store = try open()
        try body(&store, CalendarDay(epochMillis: 1_780_300_800_000))
        _ = store.saveDerivedState()
    }

    func append(_ entry: LedgerEntry, at wallMillis: UInt64) throws {
        try write { store, _ in try store.write([.append(entry.coreEntry)], wallMillis: wallMillis) }
    }

    func digest() throws -> SHA256Digest { try open().replica.digest }
    func ledger() throws -> LedgerState { LedgerState(replica: try open().replica) }
    func conflicts() throws -> [ConflictReport] { Conflicts.all(replica: try open().replica) }
}

/// The hub's `carnet serve`, a child process of the demo.
final class DemoServer {
    private let process: Process
    let address: PeerAddress
    var pid: Int32 { process.processIdentifier }
    private var status: Int32?

    private init(process: Process, address: PeerAddress) {
        self.process = process
        self.address = address
    }

    /// Starts `carnet serve` on a free loopback port and reads where it listens from the
    /// first line it prints.
    static func start(directory: String) throws -> DemoServer {
        let process = Process()
        process.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["serve", "--dir", directory, "--listen", "127.0.0.1:0", "--interval", "3600"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        var buffer = Data()
        while !buffer.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self)
        guard let range = line.range(of: "listening on "),
              let address = try? PeerAddress(parsing: String(line[range.upperBound...].prefix { !$0.isWhitespace })) else {
            process.terminate()
            throw NodeError.network("`carnet serve` did not start: \(line)")
        }
        return DemoServer(process: process, address: address)
    }

    /// SIGTERM, then waits; returns the exit status (once).
    @discardableResult
    func stop() -> Int32 {
        if let status { return status }
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        status = process.terminationStatus
        return process.terminationStatus
    }
}

extension String {
    /// Padded with spaces to `width` characters (the demo's columns).
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
