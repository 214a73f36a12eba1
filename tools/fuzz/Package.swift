// swift-tools-version:6.0
// The Carnet fuzzers (RELIABILITY.md, T4): a package of its own so that the root
// `swift build` and `swift test` never compile them (a libFuzzer executable has no `main`
// of its own), and so that the fuzz targets are no product of the root package.
//
// CarnetFuzzTargets (Sources/CarnetFuzzTargets) holds each target's one-input function;
// one executable per target only calls it. The root package compiles the same folder as a
// plain target of its own for the replay test in `swift test` (CarnetFuzzReplayTests), so
// any input replays the same way in both; the two never meet in one build.
// Build and run them with tools/fuzz.sh, which passes the flags libFuzzer needs:
//
//     swift build -c release --package-path tools/fuzz --sanitize=fuzzer --sanitize=address \
//         -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let targets = ["frame", "session", "session-signed", "codec", "store", "bundle"]

let package = Package(
    name: "CarnetFuzz",
    dependencies: [
        // The root package, by path. Its identity is the folder name, so it is also
        // named here: the fuzzers build whatever the clone's folder is called.
        .package(name: "Carnet", path: "../.."),
    ],
    targets: [
        .target(
            name: "CarnetReplicaNode",
            dependencies: ["CarnetCore", "CarnetWire", "CarnetSync"].map { .product(name: $0, package: "Carnet") }
        ),
        .target(
            name: "CarnetFuzzTargets",
            dependencies: ["CarnetCore", "CarnetWire", "CarnetSync", "CarnetStore", "CarnetSystem"].map {
                .product(name: $0, package: "Carnet")
            } + ["CarnetReplicaNode"]
        ),
    ] + targets.map { target in
        .executableTarget(name: "fuzz-\(target)", dependencies: ["CarnetFuzzTargets"])
    },
    swiftLanguageModes: [.v6]
)
