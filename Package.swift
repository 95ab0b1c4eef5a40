// swift-tools-version: 6.2
//
// QazLine: line-side track-and-trace for excise-stamped alcohol (QazTrack pilot).
// Dependency direction (A → B means A may import B):
//   LineCore                       (domain values, no I/O, imports none of our targets)
//   ConfigKit → Yams               (strict YAML → Codable with file:line key-path errors)
//   LineConfig → LineCore, ConfigKit
//   COpenCVShim, CZXingShim        (C++ behind extern "C"; Swift never sees a C++ type)
//   LineAgent (exe) → LineConfig, LineCore, C* adapters   — the agent's composition root
//   QazServer → ConfigKit, LineCore;  QazServerApp (exe) → QazServer
// The agent side and the server side never import each other.
import Foundation
import PackageDescription

/// One set of settings for every Swift target (Hummingbird's habit).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// OpenCV modules we actually use. `pkg-config opencv4` would link all ~55 modules and cost ~0.4 s per process
/// start (see shared/notes/native-libraries.md), so the shim names them one by one.
let openCVModules = ["opencv_core", "opencv_imgproc", "opencv_imgcodecs", "opencv_videoio"]

/// A current zxing-cpp (3.x), built from its source distribution by `scripts/setup.sh` into `.deps/zxing-cpp` as a
/// static library whose C++ namespace is renamed to ZXing3, so that it links beside Debian's 1.4 in one process.
/// Without it the CZXing3Shim target compiles to "unavailable" and every zxing step uses 1.4 (docs/vision.md).
let zxing3Prefix = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(".deps/zxing-cpp").path
let zxing3Available = FileManager.default.fileExists(atPath: zxing3Prefix + "/lib/libZXing3.a")
    && FileManager.default.fileExists(atPath: zxing3Prefix + "/include/ZXing/ReadBarcode.h")

let package = Package(
    name: "QazLine",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lineagent", targets: ["LineAgent"]),
        .executable(name: "qazserver", targets: ["QazServerApp"]),
        .executable(name: "linesim", targets: ["LineSimApp"]),
        .executable(name: "vision-bench", targets: ["VisionBench"]),
        .executable(name: "plc-bench", targets: ["PLCBench"]),
        .executable(name: "api-bench", targets: ["APIBench"]),
        .executable(name: "outbox-bench", targets: ["OutboxBench"]),
        .executable(name: "agent-bench", targets: ["AgentBench"]),
        .executable(name: "load-bench", targets: ["LoadBench"]),
        .executable(name: "chaos", targets: ["Chaos"]),
        .library(name: "LineCore", targets: ["LineCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // MARK: C libraries (system libraries found by pkg-config, installed from Debian)
        .systemLibrary(
            name: "CZBar", pkgConfig: "zbar",
            providers: [.apt(["libzbar-dev"])]),
        .systemLibrary(
            name: "CModbus", pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]),
        .target(
            name: "COpenCVShim",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4", "-O2"])],  // image loops optimised in debug builds too
            linkerSettings: openCVModules.map { .linkedLibrary($0) }),
        .systemLibrary(
            name: "CAravis", pkgConfig: "aravis-0.8",
            providers: [.apt(["libaravis-dev", "libusb-1.0-0-dev"])]),
        .target(
            name: "CZXingShim",
            cxxSettings: [.define("ZX_USE_UTF8"), .unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("ZXing")]),
        .target(
            name: "CZXing3Shim",
            cxxSettings: zxing3Available
                ? [.define("CZX3_AVAILABLE"), .define("ZXing", to: "ZXing3"),
                   .unsafeFlags(["-std=c++20", "-O2", "-I\(zxing3Prefix)/include"])]
                : [],
            linkerSettings: zxing3Available ? [.unsafeFlags(["-L\(zxing3Prefix)/lib"]), .linkedLibrary("ZXing3")] : []),

        // MARK: Domain and configuration
        .target(name: "LineCore", swiftSettings: swiftSettings),
        .target(
            name: "ConfigKit",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings),
        .target(
            name: "LineConfig",
            dependencies: ["LineCore", "ConfigKit"],
            swiftSettings: swiftSettings),

        // MARK: The wire contract, shared by client and server (docs/openapi.yaml is its source of truth)
        .target(
            name: "QazAPI",
            dependencies: ["LineCore"],
            resources: [.copy("openapi.yaml")],
            swiftSettings: swiftSettings),
        .target(
            name: "QazClient",
            dependencies: [
                "QazAPI", "LineCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Server side
        .target(
            name: "QazServer",
            dependencies: [
                "ConfigKit", "LineCore", "QazAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "QazServerApp",
            dependencies: [
                "QazServer", "QazAPI", "LineCore", "ConfigKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Agent side
        .target(
            name: "Vision",
            dependencies: [
                "LineCore", "LineConfig", "ConfigKit", "CZBar", "CZXingShim", "CZXing3Shim", "COpenCVShim", "CAravis",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "PLC",
            dependencies: [
                "LineCore", "LineConfig", "ConfigKit", "CModbus",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "LineSimulator",
            dependencies: [
                "LineCore", "LineConfig", "ConfigKit", "CModbus",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "LineSimApp",
            dependencies: [
                "LineSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "LineAgent",
            dependencies: [
                "LineCore", "LineConfig", "ConfigKit", "Vision", "PLC", "QazClient", "QazAPI", "Outbox", "AgentRuntime",
                "LineSimulator", "QazServer", "LineDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        // `lineagent demo`: linesim + generated frames + the agent + the registrar on SQLite, reconciled.
        .target(
            name: "LineDemo",
            dependencies: [
                "AgentRuntime", "LineSimulator", "Vision", "PLC", "Outbox", "QazServer", "QazClient", "QazAPI", "LineCore",
                "LineConfig", "ConfigKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        // `chaos`: the fault-injection run (agent and registrar as processes, a fault proxy, kill -9), reconciled.
        .executableTarget(
            name: "Chaos",
            dependencies: [
                "LineDemo", "AgentRuntime", "LineSimulator", "Vision", "Outbox", "QazServer", "QazClient", "QazAPI", "LineCore",
                "LineConfig", "ConfigKit",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        // The agent's composition root: cameras + PLC + decisions + outbox + HTTP as one ServiceGroup.
        .target(
            name: "AgentRuntime",
            dependencies: [
                "LineCore", "LineConfig", "ConfigKit", "Vision", "PLC", "LineDecisions", "Outbox", "QazClient", "QazAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Agent core: durable outbox + drainer, pure per-bottle decisions, in-memory fakes for tests
        .target(
            name: "Outbox",
            dependencies: [
                "LineCore", "QazClient", "QazAPI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .target(name: "LineDecisions", dependencies: ["LineCore"], swiftSettings: swiftSettings),
        .target(
            name: "LineAgentTesting",
            dependencies: ["LineCore", "QazClient", "QazAPI"],
            swiftSettings: swiftSettings),

        // MARK: Benchmarks (run in release: `swift run -c release NAME`)
        .executableTarget(
            name: "VisionBench",
            dependencies: ["Vision", "LineCore", "LineConfig"],
            path: "Benchmarks/VisionBench",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "PLCBench",
            dependencies: [
                "PLC", "LineSimulator", "LineCore", "LineConfig", "ConfigKit",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/PLCBench",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "APIBench",
            dependencies: [
                "QazServer", "QazClient", "QazAPI", "LineCore", "ConfigKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/APIBench",
            swiftSettings: swiftSettings),

        .executableTarget(
            name: "OutboxBench",
            dependencies: [
                "Outbox", "LineCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/OutboxBench",
            swiftSettings: swiftSettings),

        .executableTarget(
            name: "AgentBench",
            dependencies: ["LineDemo", "LineCore", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/AgentBench",
            swiftSettings: swiftSettings),

        .executableTarget(
            name: "LoadBench",
            dependencies: ["QazServer", "QazClient", "QazAPI", "LineCore"],
            path: "Benchmarks/LoadBench",
            swiftSettings: swiftSettings),

        .executableTarget(
            name: "ReportBench",
            dependencies: [
                "QazServer", "QazClient", "QazAPI", "LineCore", "ConfigKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/ReportBench",
            swiftSettings: swiftSettings),

        // MARK: Tests
        .testTarget(name: "LineCoreTests", dependencies: ["LineCore"], swiftSettings: swiftSettings),
        .testTarget(name: "ConfigKitTests", dependencies: ["ConfigKit"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LineConfigTests",
            dependencies: ["LineConfig", "ConfigKit", "LineCore", "QazServer"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "NativeLibrariesTests",
            dependencies: ["CZBar", "CModbus", "COpenCVShim", "CZXingShim", "CZXing3Shim"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LineAgentTests",
            dependencies: [
                "LineAgent", "LineSimulator", "AgentRuntime", "Outbox", "QazServer", "QazClient", "QazAPI", "LineCore", "LineConfig",
                "LineDemo", "Vision",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "VisionTests",
            dependencies: ["Vision", "LineCore", "LineConfig", "ConfigKit", "COpenCVShim"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PLCTests",
            dependencies: ["PLC", "LineSimulator", "LineCore", "LineConfig", "ConfigKit"],
            exclude: ["Peers"],  // the Python test peer, started by the tests
            swiftSettings: swiftSettings),
        .testTarget(
            name: "QazServerTests",
            dependencies: [
                "QazServer", "QazClient", "QazAPI", "LineCore", "ConfigKit",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings),
            .testTarget(
            name: "OutboxTests",
            dependencies: [
                "Outbox", "LineAgentTesting", "LineCore", "QazClient", "QazAPI", "QazServer",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "LineDecisionsTests", dependencies: ["LineDecisions", "LineCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "AgentRuntimeTests",
            dependencies: [
                "AgentRuntime", "Outbox", "LineAgentTesting", "LineSimulator", "LineCore", "LineConfig", "ConfigKit", "Vision",
                "PLC", "LineDecisions", "QazClient", "QazAPI", "QazServer", "LineDemo",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
    ]
)
