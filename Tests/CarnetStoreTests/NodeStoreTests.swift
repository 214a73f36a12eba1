import CarnetCore
import CarnetStore
import CarnetSystem
import CarnetTestKit
import Foundation
import Testing

private func entry(_ id: String) -> CarnetCore.Operation {
    .append(Entry(id: id, kind: "harvest", fields: [Field("qty", .int(1))]))
}

/// Ids handed out in order, so that tests know which id a continuation takes.
private final class IDSource: @unchecked Sendable {  // used from one test at a time
    private var next = 0
    func callAsFunction() -> NodeID {
        next += 1
        return NodeID.derived(from: "fresh-\(next)")
    }
}

struct NodeStoreTests {
    @Test func writesAreDurableAndTheNodeKeepsItsId() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = NodeID.derived(from: "farm")
        try NodeStore.create(directory: directory.path, ledger: "consortium", label: "Ferme du Col", node: node)
        let ids = IDSource()
        do {
            var store = try NodeStore(directory: directory.path, wallMillis: 1, freshNodeID: ids.callAsFunction)
            try store.write(entry("a"), wallMillis: 2)
            try store.write(entry("b"), wallMillis: 3)
        }
        let store = try NodeStore(directory: directory.path, wallMillis: 4, freshNodeID: ids.callAsFunction)
        #expect(store.identity.node == node && store.identity.label == "Ferme du Col" && store.identity.ledger == "consortium")
        #expect(store.opening.continuedFrom == nil)
        #expect(store.replica.versionVector[node] == 2)
    }

    /// Found by fuzzing: a node file whose lines end in CR (a Windows editor) read its last
    /// value with the CR, and once saved again the file no longer loaded. Line ends are
    /// bytes now: CRLF reads as LF, and a save and load keep every value.
    @Test func aNodeFileWithCRLFLineEndsLoadsAndSurvivesASave() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = NodeID.derived(from: "farm")
        try NodeStore.create(directory: directory.path, ledger: "consortium", label: "Ferme du Col", node: node)
        let path = directory.path + "/" + NodeIdentity.fileName
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for edited in [text.replacingOccurrences(of: "\n", with: "\r\n"),
                       String(text.dropLast()) + "\r"] {
            try edited.write(toFile: path, atomically: true, encoding: .utf8)
            let loaded = try NodeIdentity.load(directory: directory.path)
            #expect(loaded.node == node && loaded.ledger == "consortium" && loaded.label == "Ferme du Col")
            // A copied directory continues under a new id, which saves the identity.
            let copy = try TemporaryDirectory()
            defer { copy.cleanUp() }
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                try FileManager.default.copyItem(atPath: directory.path + "/" + name, toPath: copy.path + "/" + name)
            }
            let moved = try NodeStore(directory: copy.path, wallMillis: 1) { NodeID.derived(from: "moved") }
            #expect(moved.identity.node == NodeID.derived(from: "moved") && moved.identity.label == "Ferme du Col")
            let again = try NodeIdentity.load(directory: copy.path)
            #expect(again.label == "Ferme du Col" && again.ledger == "consortium")
        }
    }

    @Test func createMakesMissingParentDirectories() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let nested = directory.path + "/farms/col/node"
        try NodeStore.create(directory: nested, ledger: "l", label: "col", node: NodeID.derived(from: "col"))
        let store = try NodeStore(directory: nested, wallMillis: 1) { NodeID.derived(from: "other") }
        #expect(store.identity.label == "col")
    }

    @Test func creatingTwiceOrOpeningNothingAreClearErrors() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        #expect(throws: StoreError.notANode(directory: directory.path)) {
            _ = try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "x") }
        }
        try NodeStore.create(directory: directory.path, ledger: "l", label: "x", node: NodeID.derived(from: "x"))
        #expect(throws: StoreError.alreadyANode(directory: directory.path)) {
            try NodeStore.create(directory: directory.path, ledger: "l", label: "x", node: NodeID.derived(from: "x"))
        }
        #expect(StoreError.notANode(directory: "/d").description.contains("carnet init"))
    }

    @Test func aCopiedDirectoryContinuesUnderANewIdAndNeverReusesSeqs() throws {
        let original = try TemporaryDirectory()
        defer { original.cleanUp() }
        let node = NodeID.derived(from: "laptop")
        try NodeStore.create(directory: original.path, ledger: "l", label: "laptop", node: node)
        let ids = IDSource()
        do {
            var store = try NodeStore(directory: original.path, wallMillis: 1, freshNodeID: ids.callAsFunction)
            try store.write(entry("a"), wallMillis: 2)
        }
        let copy = original.path + "-copy"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: original.path, toPath: copy)
        var copied = try NodeStore(directory: copy, wallMillis: 5, freshNodeID: ids.callAsFunction)
        #expect(copied.opening.continuedFrom == node)
        #expect(copied.opening.reason?.contains("copied or restored") == true)
        #expect(copied.identity.node == NodeID.derived(from: "fresh-1"))
        #expect(copied.replica.predecessors(of: copied.identity.node) == [node])
        let fromCopy = try copied.write(entry("b"), wallMillis: 6)
        #expect(fromCopy.dot.node != node)
        // The original keeps its id; its next write and the copy's never share a dot.
        var stayed = try NodeStore(directory: original.path, wallMillis: 7, freshNodeID: ids.callAsFunction)
        #expect(stayed.opening.continuedFrom == nil && stayed.identity.node == node)
        try stayed.write(entry("c"), wallMillis: 8)
        try stayed.persist(copied.replica.eventsMissing(from: stayed.replica.summary))
        #expect(stayed.replica.forks.isEmpty)
        // And the copy, reopened, stays on its new id.
        let reopened = try NodeStore(directory: copy, wallMillis: 9, freshNodeID: ids.callAsFunction)
        #expect(reopened.opening.continuedFrom == nil && reopened.identity.node == NodeID.derived(from: "fresh-1"))
    }

    @Test func aRestoreThatKeepsTheInodeIsCaughtWhenAPeerShowsTheLostHistory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = NodeID.derived(from: "board")
        try NodeStore.create(directory: directory.path, ledger: "l", label: "board", node: node)
        let ids = IDSource()
        var peer = Replica(node: NodeID.derived(from: "hub"))
        do {
            var store = try NodeStore(directory: directory.path, wallMillis: 1, freshNodeID: ids.callAsFunction)
            try store.write(entry("a"), wallMillis: 2)
        }
        let backup = try directory.logBytes()
        do {
            var store = try NodeStore(directory: directory.path, wallMillis: 3, freshNodeID: ids.callAsFunction)
            try store.write(entry("b"), wallMillis: 4)
            peer.merge(with: store.replica)
        }
        try directory.writeLog(backup)  // a block-level restore: same directory, same inode
        var store = try NodeStore(directory: directory.path, wallMillis: 5, freshNodeID: ids.callAsFunction)
        #expect(store.opening.continuedFrom == nil, "undetectable locally: the documented remaining risk")
        let reused = try store.write(entry("b-again"), wallMillis: 6)
        #expect(reused.dot.seq == 2)
        try store.persist(peer.eventsMissing(from: store.replica.summary))
        #expect(store.continuedAfterSync == node, "the peer's history shows the fork; the store stops using the id")
        #expect(store.replica.forks.count == 1)
        let next = try store.write(entry("c"), wallMillis: 7)
        #expect(next.dot.node == NodeID.derived(from: "fresh-1"))
        let reopened = try NodeStore(directory: directory.path, wallMillis: 8, freshNodeID: ids.callAsFunction)
        #expect(reopened.identity.node == NodeID.derived(from: "fresh-1"))
        #expect(reopened.replica.digest == store.replica.digest)
    }
}

#if CARNET_FAULT_INJECTION  // FaultInjection exists in debug builds only (Package.swift)
@Suite(.serialized)
struct NodeStoreFaultTests {
    @Test func aFailedWriteIsNotAcknowledgedAndTheStoreMustBeReopened() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = NodeID.derived(from: "farm")
        try NodeStore.create(directory: directory.path, ledger: "l", label: "farm", node: node)
        var store = try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "x") }
        try store.write(entry("a"), wallMillis: 2)
        FaultInjection.with([FaultInjection.Rule(.write, pathSuffix: directory.logPath, effect: .fail(ENOSPC))]) {
            #expect(throws: StoreError.self) { try store.write(entry("b"), wallMillis: 3) }
        }
        #expect(throws: StoreError.needsReopen(path: directory.logPath)) { try store.write(entry("c"), wallMillis: 4) }
        let reopened = try NodeStore(directory: directory.path, wallMillis: 5) { NodeID.derived(from: "x") }
        #expect(reopened.replica.versionVector[node] == 1, "only the acknowledged write is there")
    }
}
#endif

struct ConcurrentWriterTests {
    @Test func twoStoresOnOneDirectoryNeverReuseASeq() throws {
        // Two `carnet record` processes, or the CLI beside `serve`: each writes without
        // having seen the other's last write. Seqs must still follow the log.
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let node = NodeID.derived(from: "farm")
        try NodeStore.create(directory: directory.path, ledger: "l", label: "farm", node: node)
        var first = try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "x") }
        var second = try NodeStore(directory: directory.path, wallMillis: 1) { NodeID.derived(from: "y") }
        for index in 0..<10 {
            let writer = index % 3 == 0 ? 1 : 2
            let entry = CarnetCore.Operation.append(Entry(id: "e\(index)", kind: "harvest", fields: []))
            if writer == 1 { try first.write(entry, wallMillis: UInt64(index + 2)) } else { try second.write(entry, wallMillis: UInt64(index + 2)) }
        }
        let reopened = try NodeStore(directory: directory.path, wallMillis: 20) { NodeID.derived(from: "z") }
        #expect(reopened.replica.forks.isEmpty)
        #expect(reopened.opening.continuedFrom == nil)
        #expect(reopened.replica.versionVector[node] == 10)
    }
}
