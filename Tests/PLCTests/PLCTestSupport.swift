import ConfigKit
import Foundation
import LineAgentTesting
import LineConfig
import Logging
import PLC
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Shared helpers of the PLC tests: configurations, free ports, an event recorder and the Python peer.
enum PLCTestSupport {
    /// The repository root (this file is Tests/PLCTests/PLCTestSupport.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A logger that drops everything (tests look at events and errors, not logs).
    static let logger: Logger = {
        var logger = Logger(label: "plc-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }()

    /// The register map of the example configuration, with per-test overrides of single signal lines (a key it does not
    /// have, such as an optional signal, is added).
    static func registersYAML(counterBits: Int = 32, wordOrder: String = "ABCD", overrides: [String: String] = [:]) -> String {
        var lines: [(String, String)] = [
            ("bottleCounter", "{ address: 0, table: input, bits: \(counterBits), wordOrder: \(wordOrder) }"),
            ("lineState", "{ address: \(counterBits == 32 ? 2 : 2), table: input }"),
            ("recipe", "{ address: 3, table: input }"),
            ("plcHeartbeat", "{ address: 4, table: input }"),
            ("rejectConfirmCounter", "{ address: 5, table: input }"),
            ("rejectAck", "{ address: 6, table: input }"),
            ("rejectSequence", "{ address: 100, bits: 32, wordOrder: \(wordOrder) }"),
            ("rejectReason", "{ address: 102 }"),
            ("rejectCommand", "{ address: 103 }"),
            ("agentHeartbeat", "{ address: 104 }"),
            ("agentStatus", "{ address: 105 }"),
            ("agentAlarm", "{ address: 106 }"),
            ("goodCounter", "{ address: 107, bits: 32 }"),
            ("rejectCounter", "{ address: 109, bits: 32 }"),
            ("lineStopRequest", "{ address: 200, table: coil }"),
        ]
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            if let index = lines.firstIndex(where: { $0.0 == key }) { lines[index].1 = value } else { lines.append((key, value)) }  // optional signals
        }
        return lines.map { "  \($0.0): \($0.1)" }.joined(separator: "\n")
    }

    /// A TCP PLC configuration on 127.0.0.1.
    static func plcConfiguration(port: Int, unitID: Int = 1, counterBits: Int = 32, wordOrder: String = "ABCD",
                                 pollInterval: String = "2ms", responseTimeout: String = "100ms", byteTimeout: String = "20ms",
                                 heartbeatTimeout: String = "1s", maxCounterJump: Int = 50, host: String = "127.0.0.1",
                                 overrides: [String: String] = [:]) throws -> PLCConfiguration {
        let yaml = """
        transport: tcp
        host: \(host)
        port: \(port)
        unitID: \(unitID)
        pollInterval: \(pollInterval)
        responseTimeout: \(responseTimeout)
        byteTimeout: \(byteTimeout)
        reconnectBackoff: 20ms
        maxReconnectBackoff: 200ms
        heartbeatTimeout: \(heartbeatTimeout)
        maxCounterJump: \(maxCounterJump)
        registers:
        \(registersYAML(counterBits: counterBits, wordOrder: wordOrder, overrides: overrides))
        """
        return try ConfigLoader.decode(PLCConfiguration.self, yaml: yaml, file: "plc.yaml")
    }

    /// The default reject policy with a station `offset` bottles downstream.
    static func rejectPolicy(offset: Int = 3, confirmWithin: Int = 6, stopLineOnMiss: Bool = true) throws -> RejectPolicy {
        try ConfigLoader.decode(RejectPolicy.self, yaml: """
        stationOffset: \(offset)
        confirmWithin: \(confirmWithin)
        stopLineOnMiss: \(stopLineOnMiss)
        """, file: "reject.yaml")
    }

    /// Polls `condition` every few milliseconds until it holds or `timeout` passes.
    @discardableResult
    static func eventually(timeout: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return await condition()
    }
}

/// Runs a monitor and records its events.
actor EventRecorder {
    private(set) var events: [PLCEvent] = []
    private var tasks: [Task<Void, Never>] = []

    /// Starts `monitor.run()` and the recording of its events.
    func start(_ monitor: PLCMonitor) {
        tasks.append(Task { await monitor.run() })
        tasks.append(Task { [weak self] in
            for await event in monitor.events { await self?.append(event) }
        })
    }

    private func append(_ event: PLCEvent) { events.append(event) }

    /// Stops the monitor and waits until the event stream ended.
    func stop() async {
        tasks.first?.cancel()
        for task in tasks { await task.value }
    }

    /// Sequence numbers of the bottle events, in order.
    var bottles: [UInt64] {
        events.compactMap { if case .bottle(let s) = $0.kind { s } else { nil } }
    }

    /// Events of one type (`PLCEvent.type`).
    func events(_ type: String) -> [PLCEvent] { events.filter { $0.type == type } }

    /// Waits (polling, with a timeout) until `condition` holds for the recorded events.
    @discardableResult
    func wait(timeout: Duration = .seconds(5), until condition: @Sendable ([PLCEvent]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(events) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return condition(events)
    }
}

/// Asserts that `bottles` are consecutive, with no gap and no duplicate.
func expectConsecutive(_ bottles: [UInt64], sourceLocation: SourceLocation = #_sourceLocation) {
    guard let first = bottles.first else {
        Issue.record("no bottles", sourceLocation: sourceLocation)
        return
    }
    let expected = Array(first..<(first + UInt64(bottles.count)))
    #expect(bottles == expected, "bottles lost or doubled", sourceLocation: sourceLocation)
}

/// A Python Modbus peer (Tests/PLCTests/Peers/modbus_peer.py) on a loopback port, stopped by ``stop()``.
final class PythonPeer: @unchecked Sendable {
    let process = Process()
    let port: Int
    let output: URL

    /// The virtualenv's python, made by `scripts/setup.sh`.
    static var python: URL { PLCTestSupport.repositoryRoot.appendingPathComponent(".venv/bin/python") }

    /// Starts the peer and waits until it listens.
    /// - Parameters:
    ///   - arguments: the peer's options besides `--port`.
    ///   - port: the port (default: a free one).
    init(_ arguments: [String], port: Int? = nil) async throws {
        let port = try port ?? freeLoopbackPort()
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            throw PeerError("the Python test peer needs \(Self.python.path) (with pymodbus): run scripts/setup.sh first")
        }
        self.port = port
        output = FileManager.default.temporaryDirectory.appendingPathComponent("modbus-peer-\(port)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.executableURL = Self.python
        process.arguments = [PLCTestSupport.repositoryRoot.appendingPathComponent("Tests/PLCTests/Peers/modbus_peer.py").path,
                             "--port", String(port)] + arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let started = await PLCTestSupport.eventually(timeout: .seconds(15)) {
            ((try? String(contentsOf: output, encoding: .utf8)) ?? "").contains("READY") || !process.isRunning
        }
        let log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        guard started, process.isRunning, log.contains("READY") else {
            stop()
            throw PeerError("the Python peer did not start: \(log.suffix(2_000))")
        }
    }

    /// Kills the peer (SIGKILL: a PLC that vanishes) and waits for it.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Stops the peer and removes its log. SIGKILL: the peer keeps no state, and a test process may have left
    /// SIGTERM ignored, which the child inherits.
    func stop() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: output)
    }

    deinit { if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) } }
}

/// A test peer could not be started.
struct PeerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
