// swift-tools-version:6.0
import PackageDescription

/// Module graph (dependencies point one way):
/// C libraries and shims -> MLinkSystem -> MLinkNetlink / MLinkConfig / MLinkProtocol -> MLinkDaemon -> MLinkCLI -> mlink.
/// MLinkControl (the typed status report and control requests) sits below MLinkDaemon and MLinkCLI, which share it.
/// MLinkTypes holds the pure value types (addresses, networks, keys) that every layer shares.
let package = Package(
    name: "mlink",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mlink", targets: ["mlink"]),
        .executable(name: "mlink-lab", targets: ["mlink-lab"]),
    ],
    dependencies: [
        // 1.5.0 imported full Foundation on Linux (ICU: 37 MB of the binary); 1.8.2 uses FoundationEssentials.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .target(name: "CMLinkShims"),
        .target(name: "MLinkTypes"),
        .target(name: "MLinkSystem", dependencies: ["CMLinkShims", "MLinkTypes"]),
        .target(name: "MLinkNetlink", dependencies: ["CMnl", "MLinkSystem", "MLinkTypes"]),
        .target(name: "MLinkConfig", dependencies: ["CYAML", "MLinkSystem", "MLinkTypes"]),
        .target(name: "MLinkProtocol", dependencies: ["MLinkTypes", "CSodium"]),
        // The status report and control requests shared by the core and the CLI (JSON via FoundationEssentials).
        .target(name: "MLinkControl"),
        .target(name: "MLinkDaemon", dependencies: ["MLinkSystem", "MLinkNetlink", "MLinkConfig", "MLinkProtocol", "MLinkTypes",
                                                    "MLinkControl"]),
        // The wg-quick half: set-up plan and steps, rollback, state, core launcher, teardown.
        .target(name: "MLinkSetup", dependencies: ["MLinkDaemon", "MLinkNetlink", "MLinkConfig", "MLinkProtocol", "MLinkSystem", "MLinkTypes"]),
        .target(name: "MLinkCLI", dependencies: [
            "MLinkSetup", "MLinkProtocol", "MLinkDaemon", "MLinkConfig", "MLinkNetlink", "MLinkSystem", "MLinkTypes", "MLinkControl",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "mlink", dependencies: ["MLinkCLI"]),
        // Fuzz targets: corpus replayers in a normal build, libFuzzer binaries from scripts/fuzz.sh.
        .executableTarget(name: "mlink-fuzz-packet", dependencies: ["MLinkProtocol", "MLinkTestSupport", "MLinkTypes", "CMLinkShims"]),
        .executableTarget(name: "mlink-fuzz-profile", dependencies: ["MLinkConfig", "CMLinkShims"]),
        // The protocol core's CPU cost per packet, without I/O (scripts/bench.sh).
        // Counts heap allocations per thread; linked only into the engine benchmark, which pins zero allocations
        // per packet in an optimized build (tests/integration/62-allocations.sh).
        .target(name: "CAllocationCounter"),
        .executableTarget(name: "mlink-bench-engine", dependencies: ["MLinkProtocol", "MLinkTestSupport", "MLinkTypes",
                                                                    "CAllocationCounter"]),
        // An established host/router pair driven through the daemon's outbound call: shared by the protocol
        // tests, the engine benchmark and the packet fuzz harness. Not shipped.
        .target(name: "MLinkTestSupport", dependencies: ["MLinkProtocol", "MLinkTypes"]),
        .target(name: "CMLinkLabShims"),
        .target(name: "MLinkLab", dependencies: [
            "MLinkTypes", "CSodium", "CYAML", "CMLinkLabShims", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "mlink-lab", dependencies: [
            "MLinkLab", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "MLinkTypesTests", dependencies: ["MLinkTypes"]),
        .testTarget(name: "MLinkConfigTests", dependencies: ["MLinkConfig", "MLinkTypes"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MLinkNetlinkTests", dependencies: ["MLinkNetlink", "MLinkTypes"]),
        .testTarget(name: "MLinkSystemTests", dependencies: ["MLinkSystem"]),
        .testTarget(name: "MLinkProtocolTests", dependencies: ["MLinkProtocol", "MLinkTestSupport", "MLinkTypes", "CSodium"],
                    exclude: ["Fixtures"]),  // read by path (#filePath), not as a bundle resource
        .testTarget(name: "MLinkLabTests", dependencies: ["MLinkLab", "MLinkTypes"]),
        .testTarget(name: "MLinkCLITests", dependencies: ["MLinkCLI", "MLinkConfig", "MLinkSetup", "MLinkProtocol", "MLinkControl",
                                                          "MLinkDaemon", "MLinkTypes"]),
        .testTarget(name: "MLinkSetupTests", dependencies: ["MLinkSetup", "MLinkNetlink", "MLinkConfig", "MLinkTypes"]),
        .testTarget(name: "MLinkControlTests", dependencies: ["MLinkControl"]),
        .testTarget(name: "MLinkDaemonTests", dependencies: ["MLinkDaemon", "MLinkNetlink", "MLinkConfig", "MLinkTypes",
                                                             "MLinkControl", "MLinkSystem", "MLinkProtocol"]),
    ],
    swiftLanguageModes: [.v5]
)
