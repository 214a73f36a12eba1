// swift-tools-version:6.0
// The Carnet fuzzers (RELIABILITY.md, T4): a package of its own so that the root
// `swift build` and `swift test` never compile them (a libFuzzer executable has no `main`
// of its own). One executable per target; each only calls the target's one-input function
// in the root package's CarnetFuzzTargets, which the replay test in `swift test` shares.
// Build and run them with tools/fuzz.sh, which passes the flags libFuzzer needs:
//
//     swift build -c release --package-path tools/fuzz --sanitize=fuzzer --sanitize=address \
//         -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let targets = ["frame", "session", "codec", "store", "bundle"]

let package = Package(
    name: "CarnetFuzz",
    dependencies: [
        // The root package, by path. Its identity is the folder name, so it is also
        // named here: the fuzzers build whatever the clone's folder is called.
        .package(name: "Carnet", path: "../.."),
    ],
    targets: targets.map { target in
        .executableTarget(
            name: "fuzz-\(target)",
            dependencies: [.product(name: "CarnetFuzzTargets", package: "Carnet")]
        )
    },
    swiftLanguageModes: [.v6]
)
