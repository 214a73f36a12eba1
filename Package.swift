// swift-tools-version:6.0
// Carnet: a peer-to-peer sync engine for producer ledgers.
// No package dependencies, by the owner's rule: everything builds on the toolchain.
import PackageDescription

/// Fault injection (`FaultInjection`, `CARNET_FAULTS`) is test equipment: compiled into debug
/// builds only, like swift-system's `ENABLE_MOCKING`, so that the release `carnet` neither
/// checks fault rules on every file call nor reads the variable. Every target whose code
/// touches it needs this setting, and that code sits under `#if CARNET_FAULT_INJECTION`.
let faultInjection: [SwiftSetting] = [.define("CARNET_FAULT_INJECTION", .when(configuration: .debug))]

/// The one module built with a processor feature turned on: SSE4.2, for the `crc32`
/// instruction that checks the log (CarnetCRCHardware). It holds a single function, called
/// only after `cpuid` said the processor has the feature, so that the rest of Carnet runs
/// on any x86-64. On other processors the module is empty and the tables are used.
/// The same for the SHA extensions (CarnetSHA256Hardware), which SHA256 in CarnetCore calls
/// only after `cpuid` said the processor has them.
#if arch(x86_64)
let crcInstruction: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-msse4.2"])]
let shaInstructions: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-msha", "-Xcc", "-msse4.1"])]
#else
let crcInstruction: [SwiftSetting] = []
let shaInstructions: [SwiftSetting] = []
#endif

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
        // For the packages in tools/ (fuzz targets, link simulator): files and a lock.
        .library(name: "CarnetSystem", targets: ["CarnetSystem"]),
    ],
    targets: [
        // SHA-256's rounds by the processor's SHA extensions, for CarnetCore's SHA256.
        .target(name: "CarnetSHA256Hardware", swiftSettings: shaInstructions),
        // Pure layers: standard library only (and the compiler's own intrinsics: cpuid, the
        // SHA extensions above), no Foundation, no Glibc, no async.
        .target(name: "CarnetCore", dependencies: ["CarnetSHA256Hardware"]),
        .target(name: "CarnetLedger", dependencies: ["CarnetCore"]),
        .target(name: "CarnetWire", dependencies: ["CarnetCore"]),
        .target(name: "CarnetWorkload", dependencies: ["CarnetCore", "CarnetLedger"]),
        // The per-peer session as a pure state machine: handshake, MACs, deltas, acks.
        .target(name: "CarnetSync", dependencies: ["CarnetCore", "CarnetWire"]),
        // Files, fsync, errno, a lock, fault injection in debug builds (Glibc lives here and in CarnetNet).
        .target(name: "CarnetSystem", swiftSettings: faultInjection),
        // CRC-32C by the processor's instruction, for CarnetStore's checks of the log.
        .target(name: "CarnetCRCHardware", swiftSettings: crcInstruction),
        // Durable storage: the framed, checksummed append-only event log.
        .target(name: "CarnetStore", dependencies: ["CarnetCore", "CarnetWire", "CarnetSystem", "CarnetCRCHardware"]),
        // The only home of sockets: blocking TCP calls with timeouts, run on dedicated threads.
        .target(name: "CarnetNet", dependencies: ["CarnetSystem"]),
        // The shell: a shared store, sessions over TCP on their own threads, the server and
        // its peer schedule; what the CLI's sync, serve and status use.
        .target(
            name: "CarnetNode",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetWire", "CarnetSync", "CarnetStore", "CarnetNet", "CarnetSystem"]
        ),
        // Test and benchmark equipment, not a product: a TCP proxy that behaves like a rural
        // link. Its home is tools/bench, whose package compiles the same folder for the
        // benchmark and carnet-linksim; here it is compiled for the tests.
        .target(
            name: "CarnetLinkSim",
            dependencies: ["CarnetCore", "CarnetNet", "CarnetSystem"],
            path: "tools/bench/Sources/CarnetLinkSim"
        ),
        // Test support: seeded randomness and random-history generators.
        .target(name: "CarnetTestKit", dependencies: ["CarnetCore", "CarnetLedger", "CarnetWire", "CarnetSync", "CarnetSystem"]),
        // Test support: T2, the deterministic simulation of hubs and farms on a simulated
        // network in virtual time (RELIABILITY.md), apart from the small seeded support.
        .target(
            name: "CarnetSimulation",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetWire", "CarnetSync", "CarnetStore", "CarnetNode", "CarnetTestKit"]
        ),
        // The command line.
        .executableTarget(
            name: "carnet",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetWire", "CarnetWorkload", "CarnetSync", "CarnetNode"]
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
            dependencies: ["CarnetCore", "CarnetWire", "CarnetSync", "CarnetTestKit", "CarnetReplicaNode"]
        ),
        // Test equipment: a process the store's crash test kills at random moments.
        .executableTarget(
            name: "carnet-crash-child", dependencies: ["CarnetCore", "CarnetStore", "CarnetSystem"], swiftSettings: faultInjection
        ),
        // T2 from the command line, built in release for CI's 1,000 seeds and the soak.
        .executableTarget(name: "carnet-sim", dependencies: ["CarnetLedger", "CarnetTestKit", "CarnetSimulation"]),
        .testTarget(
            name: "CarnetStoreTests",
            dependencies: ["CarnetCore", "CarnetWire", "CarnetSystem", "CarnetStore", "CarnetTestKit", "carnet-crash-child"],
            swiftSettings: faultInjection
        ),
        .testTarget(name: "CarnetNetTests", dependencies: ["CarnetNet", "CarnetSystem"]),
        // Test equipment, not a product: the fuzz targets' one-input functions. Their home is
        // tools/fuzz, whose package builds them into libFuzzer executables; here they are
        // compiled for the replay test (corpora, crashers and seeded mutations in `swift test`).
        .target(
            name: "CarnetFuzzTargets",
            dependencies: ["CarnetCore", "CarnetWire", "CarnetSync", "CarnetStore", "CarnetSystem", "CarnetReplicaNode"],
            path: "tools/fuzz/Sources/CarnetFuzzTargets"
        ),
        // Test equipment, not a product: a node held in memory over a `Replica`, for the
        // session harnesses, the hostile-peer tests and the fuzz session target (tools/fuzz
        // compiles the same folder).
        .target(
            name: "CarnetReplicaNode",
            dependencies: ["CarnetCore", "CarnetWire", "CarnetSync"],
            path: "tools/fuzz/Sources/CarnetReplicaNode"
        ),
        .testTarget(name: "CarnetFuzzReplayTests", dependencies: ["CarnetFuzzTargets", "CarnetTestKit"]),
        // T2: deterministic simulation of 1 hub + K farms on a simulated network, in virtual time.
        .testTarget(
            name: "CarnetSimulationTests",
            dependencies: ["CarnetCore", "CarnetWire", "CarnetSync", "CarnetStore", "CarnetTestKit", "CarnetReplicaNode", "CarnetSimulation"]
        ),
        .testTarget(
            name: "CarnetNodeTests",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetSync", "CarnetStore", "CarnetNet", "CarnetNode", "CarnetTestKit", "CarnetLinkSim"]
        ),
        // Benchmark and test equipment, not a product: a seeded writer of workload files.
        // Its home is tools/bench (`carnet-bench --builtin-generator`); here it is compiled
        // for its tests.
        .target(
            name: "CarnetWorkloadGenerator",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetWorkload"],
            path: "tools/bench/Sources/CarnetWorkloadGenerator"
        ),
        .testTarget(
            name: "CarnetWorkloadTests",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetWorkload", "CarnetWorkloadGenerator", "CarnetWire", "CarnetTestKit"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
