// swift-tools-version:6.0
import PackageDescription

/// Module graph (dependencies point one way):
/// C libraries and shims -> MLinkSystem -> MLinkNetlink / MLinkConfig / MLinkProtocol -> MLinkDaemon -> MLinkCLI -> mlink.
/// MLinkYAML (libyaml to a tree with marks) is the one YAML reader: MLinkConfig's and the lab's.
/// MLinkTypes holds the pure value types (addresses, networks, keys) that every layer shares.
let package = Package(
    name: "mlink",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mlink", targets: ["mlink"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .target(name: "CMLinkShims"),
        .target(name: "MLinkTypes"),
        .target(name: "MLinkSystem", dependencies: ["CMLinkShims", "MLinkTypes"]),
        .target(name: "MLinkNetlink", dependencies: ["CMnl", "MLinkTypes"]),
        .target(name: "MLinkYAML", dependencies: ["CYAML"]),
        .target(name: "MLinkConfig", dependencies: ["MLinkYAML", "MLinkTypes"]),
        .target(name: "MLinkProtocol", dependencies: ["MLinkTypes", "CSodium"]),
        .target(name: "MLinkDaemon", dependencies: ["MLinkSystem", "MLinkNetlink", "MLinkConfig", "MLinkProtocol", "MLinkTypes", "CSodium"]),
        .target(name: "MLinkCLI", dependencies: [
            "MLinkDaemon", "MLinkConfig", "MLinkNetlink", "MLinkSystem", "MLinkTypes", "CSodium",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "mlink", dependencies: ["MLinkCLI"]),
        // ---------------------------------------------------------------------------------------------------
        // Development targets: never linked into /usr/bin/mlink and not products a user installs. They are
        // built with the package (scripts/demo.sh, scripts/bench.sh and tests/integration/* run them from
        // .build) and may use full Foundation. The lab's live in Tools/ (path:), apart from the shipped Sources/.
        //   MLinkEmulator   the link emulator (a userspace netem): Emulation, DirectionEngine, DueHeap, Relay
        //   MLinkLab        the namespace lab: topologies, wires, profiles, the bench, mlink-lab's commands
        //   mlink-lab       the lab's executable (a thin main over MLinkLab)
        //   mlink-fuzz-*, mlink-bench-engine   fuzz and benchmark harnesses
        // ---------------------------------------------------------------------------------------------------
        // Fuzz targets: corpus replayers in a normal build, libFuzzer binaries from scripts/fuzz.sh.
        .executableTarget(name: "mlink-fuzz-packet", dependencies: ["MLinkProtocol", "MLinkTypes", "CMLinkShims"]),
        .executableTarget(name: "mlink-fuzz-profile", dependencies: ["MLinkConfig", "CMLinkShims"]),
        // The protocol core's CPU cost per packet, without I/O (scripts/bench.sh).
        .executableTarget(name: "mlink-bench-engine", dependencies: ["MLinkProtocol", "MLinkTypes"]),
        .target(name: "MLinkEmulator", dependencies: ["MLinkSystem", "MLinkTypes"], path: "Tools/MLinkEmulator"),
        .target(name: "MLinkLab", dependencies: [
            "MLinkEmulator", "MLinkTypes", "MLinkSystem", "MLinkYAML", "MLinkConfig", "CSodium",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Tools/MLinkLab"),
        .executableTarget(name: "mlink-lab", dependencies: [
            "MLinkLab", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Tools/mlink-lab"),
        .testTarget(name: "MLinkTypesTests", dependencies: ["MLinkTypes"]),
        .testTarget(name: "MLinkSystemTests", dependencies: ["MLinkSystem"]),
        .testTarget(name: "MLinkConfigTests", dependencies: ["MLinkConfig", "MLinkTypes"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MLinkNetlinkTests", dependencies: ["MLinkNetlink", "MLinkTypes"]),
        .testTarget(name: "MLinkProtocolTests", dependencies: ["MLinkProtocol", "MLinkTypes", "CSodium"],
                    exclude: ["Fixtures"]),  // read by path (#filePath), not as a bundle resource
        .testTarget(name: "MLinkYAMLTests", dependencies: ["MLinkYAML"]),
        .testTarget(name: "MLinkEmulatorTests", dependencies: ["MLinkEmulator", "MLinkTypes"]),
        .testTarget(name: "MLinkLabTests", dependencies: ["MLinkLab", "MLinkEmulator", "MLinkTypes", "MLinkYAML", "MLinkConfig"]),
        .testTarget(name: "MLinkCLITests", dependencies: ["MLinkCLI", "MLinkConfig"]),
        .testTarget(name: "MLinkDaemonTests", dependencies: ["MLinkDaemon", "MLinkNetlink", "MLinkConfig", "MLinkTypes"]),
    ],
    swiftLanguageModes: [.v5]
)
