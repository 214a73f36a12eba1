// swift-tools-version:6.0
// Carnet: a peer-to-peer sync engine for producer ledgers.
// No package dependencies, by the owner's rule: everything builds on the toolchain.
import PackageDescription

let package = Package(
    name: "Carnet",
    products: [
        .executable(name: "carnet", targets: ["carnet"]),
        .library(name: "CarnetCore", targets: ["CarnetCore"]),
        .library(name: "CarnetLedger", targets: ["CarnetLedger"]),
        .library(name: "CarnetWire", targets: ["CarnetWire"]),
        .library(name: "CarnetWorkload", targets: ["CarnetWorkload"]),
        .library(name: "CarnetStore", targets: ["CarnetStore"]),
        .library(name: "CarnetSync", targets: ["CarnetSync"]),
        .library(name: "CarnetNet", targets: ["CarnetNet"]),
        .library(name: "CarnetNode", targets: ["CarnetNode"]),
        .library(name: "CarnetLinkSim", targets: ["CarnetLinkSim"]),
        // For tools/fuzz, the libFuzzer package: the fuzz targets' one-input functions.
        .library(name: "CarnetFuzzTargets", targets: ["CarnetFuzzTargets"]),
    ],
    targets: [
        // Pure layers: standard library only, no Foundation, no Glibc, no async.
        .target(name: "CarnetCore"),
        .target(name: "CarnetLedger", dependencies: ["CarnetCore"]),
        .target(name: "CarnetWire", dependencies: ["CarnetCore"]),
        .target(name: "CarnetWorkload", dependencies: ["CarnetCore", "CarnetLedger"]),
        // The per-peer session as a pure state machine: handshake, MACs, deltas, acks.
        .target(name: "CarnetSync", dependencies: ["CarnetCore", "CarnetWire"]),
        // Files, fsync, errno, a lock, fault injection (Glibc lives here and in CarnetNet).
        .target(name: "CarnetSystem"),
        // Durable storage: the framed, checksummed append-only event log.
        .target(name: "CarnetStore", dependencies: ["CarnetCore", "CarnetWire", "CarnetSystem"]),
        // The only home of sockets: blocking TCP calls with timeouts, run on dedicated threads.
        .target(name: "CarnetNet", dependencies: ["CarnetSystem"]),
        // The shell: a shared store, sessions over TCP on their own threads, the server and
        // its peer schedule; what the CLI's sync, serve and status use.
        .target(
            name: "CarnetNode",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetWire", "CarnetSync", "CarnetStore", "CarnetNet", "CarnetSystem"]
        ),
        // Test and benchmark equipment: a TCP proxy that behaves like a rural link.
        .target(name: "CarnetLinkSim", dependencies: ["CarnetCore", "CarnetNet", "CarnetSystem"]),
        // Test support: seeded randomness and random-history generators.
        .target(name: "CarnetTestKit", dependencies: ["CarnetCore", "CarnetLedger", "CarnetWire", "CarnetSync", "CarnetSystem"]),
        // The command line.
        .executableTarget(
            name: "carnet",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetWire", "CarnetWorkload", "CarnetStore", "CarnetSystem", "CarnetNode"]
        ),
        .testTarget(name: "CarnetCoreTests", dependencies: ["CarnetCore", "CarnetTestKit"]),
        .testTarget(
            name: "CarnetLedgerTests",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetTestKit"]
        ),
        .testTarget(
            name: "CarnetWireTests",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetWire", "CarnetTestKit"]
        ),
        .testTarget(name: "CarnetCLITests", dependencies: ["carnet", "CarnetTestKit", "CarnetLinkSim"]),
        .testTarget(
            name: "CarnetSyncTests",
            dependencies: ["CarnetCore", "CarnetWire", "CarnetSync", "CarnetTestKit"]
        ),
        // Test equipment: a process the store's crash test kills at random moments.
        .executableTarget(name: "carnet-crash-child", dependencies: ["CarnetCore", "CarnetStore", "CarnetSystem"]),
        // T2 from the command line, built in release for CI's 1,000 seeds and the soak.
        .executableTarget(name: "carnet-sim", dependencies: ["CarnetLedger", "CarnetTestKit"]),
        .testTarget(
            name: "CarnetStoreTests",
            dependencies: ["CarnetCore", "CarnetWire", "CarnetSystem", "CarnetStore", "CarnetTestKit", "carnet-crash-child"]
        ),
        .testTarget(name: "CarnetNetTests", dependencies: ["CarnetNet", "CarnetSystem"]),
        // Test equipment: the fuzz targets' one-input functions, shared by tools/fuzz (libFuzzer)
        // and the replay test (corpora, crashers and seeded mutations inside `swift test`).
        .target(name: "CarnetFuzzTargets", dependencies: ["CarnetCore", "CarnetWire", "CarnetSync", "CarnetStore", "CarnetSystem", "CarnetTestKit"]),
        .testTarget(name: "CarnetFuzzReplayTests", dependencies: ["CarnetFuzzTargets", "CarnetTestKit"]),
        // T2: deterministic simulation of 1 hub + K farms on a simulated network, in virtual time.
        .testTarget(
            name: "CarnetSimulationTests",
            dependencies: ["CarnetCore", "CarnetWire", "CarnetSync", "CarnetTestKit"]
        ),
        .testTarget(
            name: "CarnetNodeTests",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetSync", "CarnetStore", "CarnetNet", "CarnetNode", "CarnetTestKit", "CarnetLinkSim"]
        ),
        .testTarget(
            name: "CarnetWorkloadTests",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetWorkload", "CarnetWire"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
