// swift-tools-version:6.0
import PackageDescription

// Layering, arrows point down only:
//   specsync → SpecSyncCLI → SpecSyncEngine → {SpecSyncWatch, SpecSyncStore, SpecSyncSchema → SpecSyncCore}
//   SpecSyncWatch, SpecSyncStore → SpecSyncSys; SpecSyncCore and SpecSyncSchema are pure (no Sys, no I/O).
// Test doubles and fault injection live in the *TestSupport targets, linked only by tests and test binaries.
let package = Package(
    name: "specsync",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "specsync", targets: ["specsync"]),
        .library(name: "SpecSyncStore", targets: ["SpecSyncStore"]),
        .library(name: "SpecSyncCore", targets: ["SpecSyncCore"]),
        .library(name: "SpecSyncSchema", targets: ["SpecSyncSchema"]),
        .library(name: "SpecSyncEngine", targets: ["SpecSyncEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        .systemLibrary(name: "CInotifyTools", path: "Sources/CInotifyTools",
                       providers: [.apt(["libinotifytools0-dev"])]),
        .systemLibrary(name: "CYAML", path: "Sources/CYAML", pkgConfig: "yaml-0.1",
                       providers: [.apt(["libyaml-dev"])]),
        .target(name: "SpecSyncSys",
                dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
        .target(name: "SpecSyncStore", dependencies: ["SpecSyncSys"]),
        .target(name: "SpecSyncCore", dependencies: ["CYAML"]),
        // Plugs into Core through `DocumentValidator`; Core knows nothing of it.
        .target(name: "SpecSyncSchema", dependencies: ["SpecSyncCore"]),
        .target(name: "SpecSyncWatch", dependencies: [
            "CInotifyTools", "SpecSyncSys", .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .target(name: "SpecSyncEngine", dependencies: [
            "SpecSyncCore", "SpecSyncSchema", "SpecSyncStore", "SpecSyncWatch", "SpecSyncSys",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The commands, one file each; the `specsync` executable only calls them.
        .target(name: "SpecSyncCLI", dependencies: [
            "SpecSyncEngine", "SpecSyncCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "specsync", dependencies: ["SpecSyncCLI"]),

        // Test support: test doubles and fault injection live here, never in the production targets above
        // (the way swift-nio keeps NIOEmbedded apart from NIOCore).
        // The fault registry behind `Sys.interpose` and SPECSYNC_FAULTS parsing.
        .target(name: "SpecSyncSysTestSupport", dependencies: [
            "SpecSyncSys", .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // The shipped schema, the repository root and a seeded generator, for the Core and Schema tests.
        .target(name: "SpecSyncSchemaTestSupport", dependencies: ["SpecSyncSchema", "SpecSyncSys"]),
        // Fake event source, manual clock and a recording `WatcherObserver`.
        .target(name: "SpecSyncWatchTestSupport", dependencies: ["SpecSyncWatch"]),
        // The CLI with SPECSYNC_FAULTS honoured, for end-to-end tests that need a call to fail in it.
        .executableTarget(name: "specsync-with-faults", dependencies: ["SpecSyncCLI", "SpecSyncSysTestSupport"]),
        // Child process driven by the crash, lock and race tests (real processes, real SIGKILL).
        .executableTarget(name: "specsync-testchild", dependencies: [
            "SpecSyncStore", "SpecSyncSys", "SpecSyncSysTestSupport",
        ]),
        // Start-up/idle benchmarks and an event probe for the watcher layer (also driven by its tests).
        .executableTarget(name: "specsync-bench-watch", dependencies: ["SpecSyncWatch"]),

        .testTarget(name: "SpecSyncStoreTests", dependencies: [
            "SpecSyncStore", "SpecSyncSys", "SpecSyncSysTestSupport", "specsync-testchild",
        ]),
        // A few Core tests run SpecProcessor with the shipped schema as its validator.
        .testTarget(name: "SpecSyncCoreTests", dependencies: ["SpecSyncCore", "SpecSyncSchema", "SpecSyncSchemaTestSupport"],
                    resources: [.copy("Golden")]),
        .testTarget(name: "SpecSyncSchemaTests", dependencies: ["SpecSyncSchema", "SpecSyncCore", "SpecSyncSchemaTestSupport"]),
        .testTarget(name: "SpecSyncWatchTests", dependencies: [
            "SpecSyncWatch", "SpecSyncWatchTestSupport", "SpecSyncSys", "specsync-bench-watch",
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .testTarget(name: "SpecSyncEngineTests", dependencies: [
            "SpecSyncEngine", "SpecSyncCore", "SpecSyncStore", "SpecSyncSys", "SpecSyncSysTestSupport",
        ]),
        .testTarget(name: "SpecSyncCLITests", dependencies: [
            "specsync", "specsync-with-faults", "specsync-testchild", "SpecSyncEngine",
        ]),
        // specsync beside a real Go client (Tests/Interop/coldwine-client, built with Debian's Go and yaml.v3).
        // CLISupport.swift and WatchSupport.swift are symlinks to the CLI tests' helpers.
        .testTarget(name: "SpecSyncInteropTests", dependencies: ["specsync", "SpecSyncCore"]),
    ],
    swiftLanguageModes: [.v6]
)
