// swift-tools-version: 6.2
//
// QazLine: line-side track-and-trace for excise-stamped alcohol (QazTrack pilot). docs/architecture.md draws the
// graph; in short (A → B: A imports B):
//
//   domain      LineCore (values, rules, time; no I/O)   ConfigKit → Yams   LineConfig → LineCore, ConfigKit
//   contract    QazAPI → LineCore (the registrar's wire types)   Delivery → QazAPI (the outbox → registrar seam)
//   C           CZBar, CModbus, CAravis (system libraries), COpenCVShim, CZXingShim, CZXing3Shim (C++ behind C)
//   agent       Vision, PLC, LineDecisions, Outbox → Delivery, QazClient → Delivery + AsyncHTTPClient,
//               AgentRuntime (the composition root), LineAgent (the `lineagent` executable)
//   registrar   QazServer → QazAPI, RegistrarConsole (the console on `/`) → QazServer + ConsoleKit,
//               QazServerApp (the `qazserver` executable)
//   simulation  LineSimulator, LineSimApp (`linesim`), LineDemo (the simulated plant: agent + linesim + registrar),
//               LineDemoApp (`qazline-demo`), Chaos (`chaos`)
//   shared      CommandSupport (what every executable's command line shares), SQLiteBackup (backup/restore file steps
//               of the outbox and the registrar's SQLite store), LineAgentTesting (tests only: one double per seam, and
//               a real registrar seeded for the agent's tests)
//
// The agent's targets and the registrar's never import each other: only the simulation puts both in one process, and
// the `lineagent` executable links neither the registrar, nor linesim, nor the simulated plant.
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

// Products of our package dependencies, by the module name we import.
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let asyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let coreMetrics = Target.Dependency.product(name: "CoreMetrics", package: "swift-metrics")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let grdb = Target.Dependency.product(name: "GRDB", package: "GRDB.swift")
let httpTypes = Target.Dependency.product(name: "HTTPTypes", package: "swift-http-types")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdCore = Target.Dependency.product(name: "HummingbirdCore", package: "hummingbird")
let hummingbirdTesting = Target.Dependency.product(name: "HummingbirdTesting", package: "hummingbird")
let hummingbirdTLS = Target.Dependency.product(name: "HummingbirdTLS", package: "hummingbird")
let bcrypt = Target.Dependency.product(name: "HummingbirdBcrypt", package: "hummingbird-auth")
let mustache = Target.Dependency.product(name: "Mustache", package: "swift-mustache")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioSSL = Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl")
let postgresNIO = Target.Dependency.product(name: "PostgresNIO", package: "postgres-nio")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let serviceLifecycleTestKit = Target.Dependency.product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle")
let unixSignals = Target.Dependency.product(name: "UnixSignals", package: "swift-service-lifecycle")
let yams = Target.Dependency.product(name: "Yams", package: "Yams")

let package = Package(
    name: "QazLine",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lineagent", targets: ["LineAgent"]),
        .executable(name: "qazserver", targets: ["QazServerApp"]),
        .executable(name: "linesim", targets: ["LineSimApp"]),
        .executable(name: "qazline-demo", targets: ["LineDemoApp"]),
        .executable(name: "chaos", targets: ["Chaos"]),
        .executable(name: "vision-bench", targets: ["VisionBench"]),
        .executable(name: "plc-bench", targets: ["PLCBench"]),
        .executable(name: "api-bench", targets: ["APIBench"]),
        .executable(name: "outbox-bench", targets: ["OutboxBench"]),
        .executable(name: "agent-bench", targets: ["AgentBench"]),
        .executable(name: "load-bench", targets: ["LoadBench"]),
        .executable(name: "retail-bench", targets: ["RetailBench"]),
        .library(name: "LineCore", targets: ["LineCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // MARK: C libraries (system libraries found by pkg-config, installed from Debian; C++ behind C shims)
        .systemLibrary(name: "CZBar", pkgConfig: "zbar", providers: [.apt(["libzbar-dev"])]),
        .systemLibrary(name: "CModbus", pkgConfig: "libmodbus", providers: [.apt(["libmodbus-dev"])]),
        .systemLibrary(name: "CAravis", pkgConfig: "aravis-0.8", providers: [.apt(["libaravis-dev", "libusb-1.0-0-dev"])]),
        .target(
            name: "COpenCVShim",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4", "-O2"])],  // image loops optimised in debug builds too
            linkerSettings: openCVModules.map { .linkedLibrary($0) }),
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

        // MARK: Domain, configuration, the registrar's contract
        .target(name: "LineCore", swiftSettings: swiftSettings),
        .target(name: "ConfigKit", dependencies: [yams], swiftSettings: swiftSettings),
        .target(name: "LineConfig", dependencies: ["LineCore", "ConfigKit"], swiftSettings: swiftSettings),
        .target(name: "QazAPI", dependencies: ["LineCore"], resources: [.copy("openapi.yaml")], swiftSettings: swiftSettings),
        // The seam between the agent's outbox and the registrar: no HTTP, so the outbox does not link the client.
        .target(name: "Delivery", dependencies: ["LineCore", "QazAPI"], swiftSettings: swiftSettings),
        // What every executable's command line shares: `--log-level`, logging set-up, standard error.
        .target(name: "CommandSupport", dependencies: [argumentParser, logging], swiftSettings: swiftSettings),
        // sd_notify in plain Swift (READY=1, STOPPING=1, STATUS=, the watchdog) for the services under systemd (docs/packages.md).
        .target(name: "SystemdNotify", dependencies: [logging, serviceLifecycle], swiftSettings: swiftSettings),
        // Backup and restore file steps shared by the outbox and the registrar's SQLite store (online copy, swap, holders).
        .target(name: "SQLiteBackup", dependencies: [grdb], swiftSettings: swiftSettings),

        // What both consoles share: pages, live updates, sessions, CSRF, passwords, charts, languages, CSV.
        .target(name: "ConsoleKit", dependencies: ["LineCore", bcrypt, httpTypes, hummingbird, mustache], swiftSettings: swiftSettings),

        // MARK: The line agent
        .target(
            name: "Vision",
            dependencies: ["LineCore", "LineConfig", "ConfigKit", "CZBar", "CZXingShim", "CZXing3Shim", "COpenCVShim", "CAravis"],
            swiftSettings: swiftSettings),
        .target(name: "PLC", dependencies: ["LineCore", "LineConfig", "ConfigKit", "CModbus", logging], swiftSettings: swiftSettings),
        .target(name: "LineDecisions", dependencies: ["LineCore"], swiftSettings: swiftSettings),
        // Aggregation at the packing station: the case rules (what makes a case good), case and pallet codes. No I/O.
        .target(name: "Aggregation", dependencies: ["LineCore", "LineConfig"], swiftSettings: swiftSettings),
        // Industrial label printers: ZPL over raw TCP (port 9100), host-status checks, and a test printer on loopback.
        .target(name: "LabelPrinting", dependencies: ["LineCore", logging, nioCore, nioPosix], swiftSettings: swiftSettings),
        .target(
            name: "Outbox",
            dependencies: ["LineCore", "Delivery", "QazAPI", "SQLiteBackup", grdb, logging, serviceLifecycle],
            swiftSettings: swiftSettings),
        .target(
            name: "QazClient",
            dependencies: ["QazAPI", "LineCore", "Delivery", asyncHTTPClient, logging, nioCore, nioHTTP1, nioSSL],
            swiftSettings: swiftSettings),
        // The agent's composition root: cameras + PLC + decisions + outbox + delivery + HTTP as one ServiceGroup.
        .target(
            name: "AgentRuntime",
            dependencies: [
                "LineCore", "LineConfig", "ConfigKit", "Vision", "PLC", "LineDecisions", "Aggregation", "LabelPrinting", "Outbox",
                "Delivery", "QazClient", hummingbird, logging, metrics, coreMetrics, nioCore, prometheus, serviceLifecycle, unixSignals,
            ],
            swiftSettings: swiftSettings),
        // The line console on the agent's HTTP endpoint (pages, live feed, sign-in, jobs, outbox, audit log).
        .target(
            name: "AgentConsole",
            dependencies: [
                "AgentRuntime", "ConsoleKit", "LineConfig", "LineCore", "Outbox", "QazAPI", "QazClient", "Vision", hummingbird, logging,
                serviceLifecycle,
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "LineAgent",
            dependencies: [
                "LineCore", "LineConfig", "ConfigKit", "Vision", "PLC", "QazClient", "QazAPI", "Outbox", "AgentRuntime",
                "AgentConsole", "ConsoleKit", "CommandSupport", "Signatures", "SystemdNotify", argumentParser, asyncHTTPClient, logging, nioCore, nioHTTP1,
                serviceLifecycle, unixSignals,
            ],
            swiftSettings: swiftSettings),

        // MARK: The registrar
        // OpenSSL's CMS (PKCS#7) and X.509 verification behind a small C shim (libcrypto from Debian's libssl-dev).
        .target(name: "CCMSShim", linkerSettings: [.linkedLibrary("crypto")]),
        // Electronic digital signatures: RFC 8785 canonical JSON, detached CMS verify against trust anchors and CRLs,
        // the signer's IIN/BIN from an NCA-style certificate, and signing for tests and small producers.
        .target(name: "Signatures", dependencies: ["CCMSShim", "LineCore"], swiftSettings: swiftSettings),
        // A throwaway PKI made with the openssl command line (root, intermediate, NCA-style signing certificates, expired,
        // revoked and foreign ones, CRLs): for the signature and registrar tests, and the simulated plant's trade step.
        .target(name: "SignaturesTesting", swiftSettings: swiftSettings),
        // Kazakhstan's working-day calendar (weekends, public holidays, moved days off) and deadlines in Astana time.
        .target(name: "WorkingCalendar", dependencies: ["LineCore", "ConfigKit"], resources: [.copy("kz-calendar.yaml")],
                swiftSettings: swiftSettings),
        // Counterfeit analytics on consumers' scans (cl. 27): the alert rules, distances, Kazakhstan's regions. No I/O.
        .target(name: "CounterfeitAnalytics", dependencies: ["QazAPI", "LineCore"], swiftSettings: swiftSettings),
        .target(
            name: "QazServer",
            dependencies: [
                "CounterfeitAnalytics", "Signatures", "WorkingCalendar", "ConfigKit", "LineCore", "QazAPI", "SQLiteBackup", crypto, grdb, httpTypes, hummingbird, hummingbirdCore, hummingbirdTLS,
                logging, metrics, nioCore, nioSSL, postgresNIO, prometheus, serviceLifecycle,
            ],
            swiftSettings: swiftSettings),
        // The registrar console on `/` of the registrar's server (QazServer only knows its extension protocol).
        .target(
            name: "RegistrarConsole",
            dependencies: ["QazServer", "ConsoleKit", "ConfigKit", "CounterfeitAnalytics", "QazAPI", "LineCore", httpTypes, hummingbird, logging, serviceLifecycle],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "QazServerApp",
            dependencies: [
                "QazServer", "RegistrarConsole", "ConsoleKit", "QazAPI", "ConfigKit", "CounterfeitAnalytics", "LineCore", "CommandSupport", "Signatures",
                "WorkingCalendar", "SystemdNotify",
                argumentParser,
                logging, metrics, prometheus, serviceLifecycle, unixSignals,
            ],
            swiftSettings: swiftSettings),

        // A fleet of cash registers selling from shops' stock (some going autonomous for hours and resending in order) and
        // a small fiscal data operator relay in front of the registrar: the till end of the simulated chain.
        .target(
            name: "RetailSimulator",
            dependencies: ["QazAPI", "LineCore", asyncHTTPClient, hummingbird, logging, nioCore, nioHTTP1, serviceLifecycle],
            swiftSettings: swiftSettings),

        // MARK: Simulation: a filling line's PLC, the simulated plant, the fault-injection run
        .target(name: "LineSimulator", dependencies: ["LineCore", "LineConfig", "ConfigKit", "CModbus"], swiftSettings: swiftSettings),
        .executableTarget(name: "LineSimApp", dependencies: ["LineSimulator", "LineConfig", "Aggregation", argumentParser], swiftSettings: swiftSettings),
        .target(
            name: "LineDemo",
            dependencies: [
                "AgentRuntime", "AgentConsole", "ConsoleKit", "LineSimulator", "Vision", "PLC", "Outbox", "QazServer", "RegistrarConsole", "QazClient",
                "RetailSimulator",
                "QazAPI", "LineCore", "LineConfig", "ConfigKit", "Aggregation", "LabelPrinting", "Signatures", "SignaturesTesting", logging,
                serviceLifecycle,
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "LineDemoApp", dependencies: ["LineDemo", "CommandSupport", argumentParser, logging, unixSignals], swiftSettings: swiftSettings),
        .executableTarget(
            name: "Chaos",
            dependencies: [
                "LineDemo", "AgentRuntime", "Aggregation", "LineSimulator", "Vision", "Outbox", "QazServer", "QazClient", "QazAPI",
                "LineCore", "LineConfig", "ConfigKit", "CommandSupport", argumentParser, asyncHTTPClient, logging, nioCore, nioHTTP1,
            ],
            swiftSettings: swiftSettings),

        // MARK: Test doubles shared by the agent's tests: one per seam
        .target(
            name: "LineAgentTesting",
            dependencies: [
                "LineCore", "LineConfig", "LineDecisions", "Delivery", "QazClient", "QazAPI", "QazServer", "PLC", "Vision", logging,
            ],
            swiftSettings: swiftSettings),

        // MARK: Benchmarks (run in release: `swift run -c release NAME`)
        .executableTarget(
            name: "VisionBench", dependencies: ["Vision", "LineCore", "LineConfig", "ConfigKit"], path: "Benchmarks/VisionBench",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "PLCBench", dependencies: ["PLC", "LineSimulator", "LineCore", "LineConfig", "ConfigKit", logging],
            path: "Benchmarks/PLCBench", swiftSettings: swiftSettings),
        .executableTarget(
            name: "APIBench",
            dependencies: ["QazServer", "QazClient", "QazAPI", "LineCore", "ConfigKit", grdb, hummingbird, logging, serviceLifecycle],
            path: "Benchmarks/APIBench", swiftSettings: swiftSettings),
        .executableTarget(
            name: "OutboxBench", dependencies: ["Outbox", "LineCore", grdb], path: "Benchmarks/OutboxBench", swiftSettings: swiftSettings),
        .executableTarget(
            name: "AgentBench", dependencies: ["LineDemo", "LineCore", logging], path: "Benchmarks/AgentBench",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "LoadBench", dependencies: ["QazServer", "QazClient", "QazAPI", "LineCore", logging], path: "Benchmarks/LoadBench",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "ReportBench",
            dependencies: [
                "QazServer", "QazClient", "QazAPI", "LineCore", "ConfigKit", grdb, postgresNIO, hummingbird, nioCore, logging,
                serviceLifecycle,
            ],
            path: "Benchmarks/ReportBench", swiftSettings: swiftSettings),

        .executableTarget(
            name: "RetailBench",
            dependencies: [
                "QazServer", "QazAPI", "LineCore", "ConfigKit", asyncHTTPClient, grdb, postgresNIO, hummingbird, logging, nioCore, nioHTTP1,
                serviceLifecycle,
            ],
            path: "Benchmarks/RetailBench", swiftSettings: swiftSettings),

        // MARK: Tests (beside the seam they test)
        .testTarget(name: "LineCoreTests", dependencies: ["LineCore"], swiftSettings: swiftSettings),
        .testTarget(name: "ConsoleKitTests", dependencies: ["ConsoleKit", hummingbird], swiftSettings: swiftSettings),
        .testTarget(name: "ConfigKitTests", dependencies: ["ConfigKit"], swiftSettings: swiftSettings),
        .testTarget(name: "CommandSupportTests", dependencies: ["CommandSupport", argumentParser, logging], swiftSettings: swiftSettings),
        .testTarget(name: "SystemdNotifyTests", dependencies: ["SystemdNotify", logging, serviceLifecycle], swiftSettings: swiftSettings),
        .testTarget(name: "SQLiteBackupTests", dependencies: ["SQLiteBackup", grdb], swiftSettings: swiftSettings),
        .testTarget(name: "LineConfigTests", dependencies: ["LineConfig", "ConfigKit", "QazServer"], swiftSettings: swiftSettings),
        .testTarget(
            name: "NativeLibrariesTests", dependencies: ["CZBar", "CModbus", "COpenCVShim", "CZXingShim", "CZXing3Shim"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "VisionTests", dependencies: ["Vision", "LineCore", "LineConfig", "ConfigKit", "COpenCVShim"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PLCTests", dependencies: ["PLC", "LineAgentTesting", "LineSimulator", "LineCore", "LineConfig", "ConfigKit", logging],
            exclude: ["Peers"],  // the Python test peer, started by the tests
            swiftSettings: swiftSettings),
        .testTarget(name: "SignaturesTests", dependencies: ["Signatures", "SignaturesTesting", "LineCore"], swiftSettings: swiftSettings),
        .testTarget(name: "WorkingCalendarTests", dependencies: ["WorkingCalendar", "LineCore", "ConfigKit"], swiftSettings: swiftSettings),
        .testTarget(name: "CounterfeitAnalyticsTests", dependencies: ["CounterfeitAnalytics", "QazAPI", "LineCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RetailSimulatorTests",
            dependencies: [
                "RetailSimulator", "QazServer", "QazAPI", "LineCore", "LineAgentTesting", asyncHTTPClient, hummingbird, logging, nioCore,
                serviceLifecycle,
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "LineDecisionsTests", dependencies: ["LineDecisions", "LineCore"], swiftSettings: swiftSettings),
        .testTarget(name: "AggregationTests", dependencies: ["Aggregation", "LineCore", "LineConfig", "ConfigKit"], swiftSettings: swiftSettings),
        .testTarget(name: "LabelPrintingTests", dependencies: ["LabelPrinting", "LineCore", logging, nioCore, nioPosix], swiftSettings: swiftSettings),
        .testTarget(
            name: "OutboxTests",
            dependencies: [
                "Outbox", "LineAgentTesting", "LineCore", "Delivery", "QazClient", "QazAPI", "QazServer", grdb, logging,
                serviceLifecycle, serviceLifecycleTestKit,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "QazServerTests",
            dependencies: [
                "QazServer", "QazClient", "Delivery", "LineAgentTesting", "QazAPI", "LineCore", "ConfigKit", "CounterfeitAnalytics", "Signatures",
                "SignaturesTesting",
                "WorkingCalendar", httpTypes,
                hummingbird, hummingbirdTesting, logging, nioCore, prometheus, serviceLifecycle,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "RegistrarConsoleTests",
            dependencies: [
                "RegistrarConsole", "QazServer", "QazAPI", "LineCore", "ConsoleKit", "CounterfeitAnalytics", asyncHTTPClient, hummingbird, logging,
                nioCore, nioHTTP1,
                serviceLifecycle,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AgentRuntimeTests",
            dependencies: [
                "AgentRuntime", "Aggregation", "LabelPrinting", "QazAPI", "Delivery", "Outbox", "PLC", "LineAgentTesting", "LineSimulator", "LineCore", "LineConfig",
                "ConfigKit", "Vision", "LineDecisions", "QazClient", "LineDemo", hummingbird, nioCore, logging, serviceLifecycle,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AgentConsoleTests",
            dependencies: [
                "AgentConsole", "AgentRuntime", "ConsoleKit", "LineConfig", "LineCore", "LineDemo", "Outbox", "QazAPI", "QazClient",
                asyncHTTPClient, logging, nioCore, nioHTTP1, serviceLifecycle,
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "LineAgentTests",
            dependencies: [
                "LineAgent", "LineAgentTesting", "LineSimulator", "AgentRuntime", "Outbox", "Delivery", "QazClient", "QazAPI",
                "LineCore", "LineConfig", "LineDemo", "Vision", "QazServer", "Signatures", "SignaturesTesting", hummingbird, logging,
                serviceLifecycle,
            ],
            swiftSettings: swiftSettings),
    ]
)
