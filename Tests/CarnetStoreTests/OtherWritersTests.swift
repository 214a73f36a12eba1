import CarnetCore
import CarnetStore
import CarnetTestKit
import Testing

/// A store open in a server takes in what another process (the CLI) appended before each
/// of its own appends. Those events must still come out of `refresh()`: it is how a server
/// learns of them to push them to its live peers.
struct OtherWritersTests {
    private func harvest(_ id: String) -> CarnetCore.Operation {
        .append(Entry(id: id, kind: "harvest", fields: [Field("qty", .int(1))]))
    }

    @Test(arguments: ["receive", "write"])
    func eventsTakenInOnTheWayAreReportedOnce(path: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = NodeID.derived(from: "farm")
        try NodeStore.create(directory: directory.path, ledger: "consortium", label: "farm", node: node)
        var server = try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "unused") }
        var cli = try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "unused") }
        let written = try cli.write(harvest("from-the-cli"), wallMillis: 2)

        if path == "receive" {
            var peer = Replica(node: NodeID.derived(from: "peer"))
            let fromPeer = peer.write(harvest("from-a-peer"), wallMillis: 3)
            try server.persist([fromPeer])
        } else {
            try server.write(harvest("from-the-server"), wallMillis: 3)
        }
        #expect(server.replica.history.contains(written.id), "the append took the CLI's record in first")
        #expect(try server.refresh().map(\.id) == [written.id], "and refresh reports it")
        #expect(try server.refresh().isEmpty, "once")
    }
}
