// swift-tools-version:6.0
import PackageDescription

/// Module graph (dependencies point one way):
/// C libraries and shims -> MLinkSystem -> MLinkNetlink / MLinkConfig / MLinkProtocol -> MLinkDaemon -> MLinkCLI -> mlink.
/// MLinkControl (the typed status report and control requests) sits below MLinkDaemon and MLinkCLI, which share it.
/// MLinkYAML (libyaml to a tree with marks) is the one YAML reader: MLinkConfig's and the lab's.
/// MLinkTypes holds the pure value types (addresses, networks, keys) that every layer shares.
/// Shipped modules: an import cannot leak in through another module (SE-0444), so a dependency such as full
/// Foundation shows in the file that uses it.
let shipped: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]
/// The data path's modules: a release build leaves out the dynamic exclusivity checks (swift_beginAccess on every
/// class property a packet touches: 2,700-4,400 instructions per packet in mlink-bench-engine). Debug builds, which
/// run the unit tests, keep them, so an overlapping access still fails there.
let dataPath: [SwiftSetting] = shipped + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "mlink",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mlink", targets: ["mlink"]),
    ],
    dependencies: [
        // 1.5.0 imported full Foundation on Linux (ICU: 37 MB of the binary); 1.8.2 uses FoundationEssentials.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        .target(name: "CMLinkShims"),
        .target(name: "MLinkTypes", swiftSettings: shipped),
        .target(name: "MLinkSystem", dependencies: ["CMLinkShims", "MLinkTypes"], swiftSettings: dataPath),
        .target(name: "MLinkNetlink", dependencies: ["CMnl", "MLinkSystem", "MLinkTypes"], swiftSettings: shipped),
        .target(name: "MLinkYAML", dependencies: ["CYAML"], swiftSettings: shipped),
        .target(name: "MLinkConfig", dependencies: ["MLinkYAML", "MLinkSystem", "MLinkTypes", "MLinkFlows", "MLinkLeases", "MLinkRoutes"], swiftSettings: shipped),
        // Address leases (issue 13, step 4): pool, bindings, lease files, ADDRESS_* bodies; sans-I/O.
        .target(name: "MLinkLeases", dependencies: ["MLinkTypes", "CSodium"], swiftSettings: shipped),
        // Virtual routing, sans I/O: announcement checks, shared-prefix election, distribution, acceptance, codecs.
        .target(name: "MLinkRoutes", dependencies: ["MLinkTypes"], swiftSettings: shipped),
        // Flows and classes (issue 15): the bounded flow table and the classifier, sans I/O.
        .target(name: "MLinkFlows", dependencies: ["MLinkTypes"], swiftSettings: shipped),
        // Parity (issue 15): erasure blocks, XOR and Reed-Solomon through Intel ISA-L.
        .target(name: "MLinkParity", dependencies: ["CIsal"], swiftSettings: shipped),
        .target(name: "MLinkProtocol", dependencies: ["MLinkTypes", "MLinkControl", "MLinkFlows", "MLinkParity", "CSodium"], swiftSettings: dataPath),
        // The status report and control requests shared by the core and the CLI (JSON via FoundationEssentials).
        .target(name: "MLinkControl", swiftSettings: shipped),
        .target(name: "MLinkDaemon", dependencies: ["MLinkSystem", "MLinkNetlink", "MLinkConfig", "MLinkProtocol", "MLinkTypes", "MLinkLeases",
                                                    "MLinkControl", "MLinkFlows", "MLinkRoutes"], swiftSettings: dataPath),
        // The wg-quick half: set-up plan and steps, rollback, state, core launcher, teardown.
        .target(name: "MLinkSetup", dependencies: ["MLinkDaemon", "MLinkNetlink", "MLinkConfig", "MLinkProtocol", "MLinkSystem", "MLinkTypes"], swiftSettings: shipped),
        .target(name: "MLinkCLI", dependencies: [
            "MLinkSetup", "MLinkProtocol", "MLinkDaemon", "MLinkConfig", "MLinkNetlink", "MLinkSystem", "MLinkTypes", "MLinkControl",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: shipped),
        .executableTarget(name: "mlink", dependencies: ["MLinkCLI"], swiftSettings: shipped),
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
        .executableTarget(name: "mlink-fuzz-packet", dependencies: ["MLinkProtocol", "MLinkTestSupport", "MLinkTypes", "CMLinkShims",
                                                                   "MLinkLeases", "MLinkRoutes"],
                          path: "Tools/mlink-fuzz-packet"),
        .executableTarget(name: "mlink-fuzz-profile", dependencies: ["MLinkConfig", "CMLinkShims"], path: "Tools/mlink-fuzz-profile"),
        // The protocol core's CPU cost per packet, without I/O (scripts/bench.sh).
        // Counts heap allocations per thread; linked only into the engine benchmark, which pins zero allocations
        // per packet in an optimized build (tests/integration/62-allocations.sh).
        .target(name: "CAllocationCounter", path: "Tools/CAllocationCounter"),
        .executableTarget(name: "mlink-bench-engine", dependencies: ["MLinkProtocol", "MLinkTestSupport", "MLinkTypes",
                                                                    "CAllocationCounter"],
                          path: "Tools/mlink-bench-engine"),
        // An established host/router pair driven through the daemon's outbound call: shared by the protocol
        // tests, the engine benchmark and the packet fuzz harness. Not shipped.
        .target(name: "MLinkTestSupport", dependencies: ["MLinkProtocol", "MLinkTypes"], path: "Tools/MLinkTestSupport"),
        .target(name: "MLinkEmulator", dependencies: ["MLinkSystem", "MLinkTypes"], path: "Tools/MLinkEmulator"),
        .target(name: "MLinkLab", dependencies: [
            "MLinkEmulator", "MLinkTypes", "MLinkSystem", "MLinkYAML", "MLinkConfig", "MLinkProtocol",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Tools/MLinkLab"),
        .executableTarget(name: "mlink-lab", dependencies: [
            "MLinkLab", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Tools/mlink-lab"),
        .testTarget(name: "MLinkTypesTests", dependencies: ["MLinkTypes"]),
        .testTarget(name: "MLinkFlowsTests", dependencies: ["MLinkFlows", "MLinkTypes"]),
        .testTarget(name: "MLinkParityTests", dependencies: ["MLinkParity", "MLinkTypes"],
                    exclude: ["Fixtures"]),  // read by path (#filePath)
        .testTarget(name: "MLinkSystemTests", dependencies: ["MLinkSystem"]),
        .testTarget(name: "MLinkConfigTests", dependencies: ["MLinkConfig", "MLinkTypes", "MLinkRoutes"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MLinkNetlinkTests", dependencies: ["MLinkNetlink", "MLinkTypes"]),
        .testTarget(name: "MLinkProtocolTests", dependencies: ["MLinkProtocol", "MLinkTestSupport", "MLinkTypes", "MLinkFlows", "CSodium"],
                    exclude: ["Fixtures"]),  // read by path (#filePath), not as a bundle resource
        .testTarget(name: "MLinkYAMLTests", dependencies: ["MLinkYAML"]),
        .testTarget(name: "MLinkLeasesTests", dependencies: ["MLinkLeases", "MLinkTypes"]),
        .testTarget(name: "MLinkRoutesTests", dependencies: ["MLinkRoutes", "MLinkTypes"]),
        .testTarget(name: "MLinkEmulatorTests", dependencies: ["MLinkEmulator", "MLinkTypes"]),
        .testTarget(name: "MLinkLabTests", dependencies: ["MLinkLab", "MLinkEmulator", "MLinkTypes", "MLinkYAML", "MLinkConfig",
                                                           "MLinkProtocol", "MLinkSystem"]),
        .testTarget(name: "MLinkCLITests", dependencies: ["MLinkCLI", "MLinkConfig", "MLinkSetup", "MLinkProtocol", "MLinkControl",
                                                          "MLinkDaemon", "MLinkTypes"]),
        .testTarget(name: "MLinkSetupTests", dependencies: ["MLinkSetup", "MLinkNetlink", "MLinkConfig", "MLinkTypes"]),
        .testTarget(name: "MLinkControlTests", dependencies: ["MLinkControl"]),
        .testTarget(name: "MLinkDaemonTests", dependencies: ["MLinkDaemon", "MLinkNetlink", "MLinkConfig", "MLinkTypes",
                                                             "MLinkControl", "MLinkSystem", "MLinkProtocol"]),
    ],
    swiftLanguageModes: [.v5]
)
