// swift-tools-version:6.0
// The Carnet benchmark: a package of its own so that the root `swift build` and
// `swift test` never compile it. Run it in release mode from the repo root:
//
//     swift run -c release --package-path tools/bench carnet-bench [--scale 100k] [--runs 5]
//
// It uses the root package's shipped modules (its products) and equipment that ships in
// none of them: the link simulator (Sources/CarnetLinkSim) and the workload generator
// (Sources/CarnetWorkloadGenerator). The root package compiles those folders as plain
// targets of its own for its tests; the two copies never meet in one build.
import PackageDescription

let package = Package(
    name: "CarnetBench",
    dependencies: [
        // The root package, by path. Its identity is the folder name, so it is also
        // named here: the benchmark builds whatever the clone's folder is called.
        .package(name: "Carnet", path: "../.."),
    ],
    targets: [
        // Peak resident memory of a child process, measured from a small parent.
        .executableTarget(name: "carnet-rss"),
        // Test and benchmark equipment: a TCP proxy that behaves like a rural link.
        .target(
            name: "CarnetLinkSim",
            dependencies: ["CarnetCore", "CarnetNet", "CarnetSystem"].map { .product(name: $0, package: "Carnet") }
        ),
        // Writes workloads in the reference generator's format from a seed (--builtin-generator).
        .target(
            name: "CarnetWorkloadGenerator",
            dependencies: ["CarnetCore", "CarnetLedger", "CarnetWorkload"].map { .product(name: $0, package: "Carnet") }
        ),
        // The link simulator on the command line: a loopback proxy shaped like a rural link.
        .executableTarget(
            name: "carnet-linksim",
            dependencies: ["CarnetLinkSim", .product(name: "CarnetNet", package: "Carnet")]
        ),
        .executableTarget(
            name: "carnet-bench",
            dependencies: [
                .product(name: "CarnetCore", package: "Carnet"),
                .product(name: "CarnetLedger", package: "Carnet"),
                .product(name: "CarnetWire", package: "Carnet"),
                .product(name: "CarnetWorkload", package: "Carnet"),
                .product(name: "CarnetStore", package: "Carnet"),
                .product(name: "CarnetNet", package: "Carnet"),
                .product(name: "CarnetNode", package: "Carnet"),
                "CarnetLinkSim",
                "CarnetWorkloadGenerator",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
