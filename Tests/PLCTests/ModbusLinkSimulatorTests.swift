import Foundation
import LineAgentTesting
import LineConfig
import LineCore
import LineSimulator
import PLC
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real libmodbus link and monitor against the in-process line simulator (libmodbus server) on 127.0.0.1.
@Suite("Modbus link against linesim", .serialized)
struct ModbusLinkSimulatorTests {
    struct Rig {
        let simulator: LineSimulator
        let link: ModbusPLCLink
        let monitor: PLCMonitor
        let recorder = EventRecorder()

        /// Starts recording the monitor's events; true once it reported the line's state.
        func startMonitoring() async -> Bool {
            await recorder.start(monitor)
            return await recorder.wait { $0.contains { $0.type == "line-state" } }
        }
    }

    /// A simulator and a monitor over the real link, sharing one register map.
    func makeRig(speed: Double = 72_000, counterBits: Int = 32, counterStart: UInt64 = 0, agentUnitID: Int = 1,
                 confirmWithin: Int = 6, overrides: [String: String] = [:],
                 configure: (inout SimulatorConfiguration) -> Void = { _ in }) throws -> Rig {
        let simulatorMap = try PLCTestSupport.plcConfiguration(port: 1, counterBits: counterBits).registers
        var configuration = SimulatorConfiguration(registers: simulatorMap)
        configuration.bottlesPerHour = speed
        configuration.counterStart = counterStart
        configuration.startRunning = false
        configuration.stationOffset = 3
        configure(&configuration)
        let simulator = LineSimulator(configuration: configuration)
        let port = try simulator.start()
        let plc = try PLCTestSupport.plcConfiguration(port: port, unitID: agentUnitID, counterBits: counterBits, overrides: overrides)
        let link = ModbusPLCLink(configuration: plc, logger: PLCTestSupport.logger)
        let options = PLCMonitor.Options(plc: plc, reject: try PLCTestSupport.rejectPolicy(offset: 3, confirmWithin: confirmWithin))
        return Rig(simulator: simulator, link: link, monitor: PLCMonitor(link: link, options: options, logger: PLCTestSupport.logger))
    }

    @Test("Every bottle seen exactly once across 32-bit wrap-around; every reject on time and confirmed")
    func bottlesAndRejects() async throws {
        let rig = try makeRig(speed: 72_000, counterStart: 0xFFFF_FFF0)
        #expect(await rig.startMonitoring(), "the monitor reports the line state")
        rig.simulator.setRunning(true)
        // The agent rejects every third bottle as it sees it (the simulator is told which, to check).
        let consumer = Task {
            var handled = Set<UInt64>()
            while !Task.isCancelled {
                for sequence in await rig.recorder.bottles where !handled.contains(sequence) {
                    handled.insert(sequence)
                    if sequence % 3 == 0 {
                        rig.simulator.expectRejects([sequence])
                        await rig.monitor.reject(sequence: sequence, reason: .noRead)
                    }
                }
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        #expect(await PLCTestSupport.eventually(timeout: .seconds(10)) { rig.simulator.counter >= 0xFFFF_FFF0 + 30 })
        rig.simulator.setRunning(false)
        let last = rig.simulator.counter
        #expect(await rig.recorder.wait { $0.contains { $0.kind == .bottle(sequence: last) } })
        // Let the last rejects reach the station: run a few more bottles without new rejects.
        consumer.cancel()
        _ = await consumer.value
        await rig.recorder.stop()
        let report = rig.simulator.stop()

        let bottles = await rig.recorder.bottles
        #expect(bottles == Array(0xFFFF_FFF1...last), "every bottle exactly once, sequence widened past 2^32")
        #expect(report.tooLate.isEmpty)
        #expect(report.withoutReason.isEmpty)
        #expect(report.unexpected.isEmpty)
        #expect(report.neverCommanded.isEmpty)
        #expect(report.skippedCommands == 0)
        let confirmed = await rig.recorder.events("reject-confirmed").count
        #expect(confirmed == report.rejected.count)
        #expect(report.rejected.count >= 8)
        #expect(await rig.recorder.events("reject-not-acknowledged").isEmpty)
    }

    @Test("Vision watchdog: the agent goes silent, the line stops in fault and the bottles upstream of the station without a command are rejected fail-safe")
    func visionWatchdog() async throws {
        // A verdict window longer than the run: every upstream bottle counts as still waiting for its verdict.
        let rig = try makeRig(speed: 36_000) {
            $0.agentWatchdog = .milliseconds(200)
            $0.agentVerdictWindow = .seconds(60)
        }
        #expect(await rig.startMonitoring(), "the monitor reports the line state")
        rig.simulator.setRunning(true)
        #expect(await PLCTestSupport.eventually(timeout: .seconds(10)) { rig.simulator.counter >= 10 })
        #expect(rig.simulator.isRunning, "the agent's heartbeat keeps the watchdog fed")
        let commanded = rig.simulator.counter
        rig.simulator.expectRejects([commanded])
        await rig.monitor.reject(sequence: commanded, reason: .noRead)
        await rig.recorder.stop()  // the agent goes silent: no more heartbeats
        #expect(await PLCTestSupport.eventually(timeout: .seconds(2)) { !rig.simulator.isRunning })
        let stoppedAt = rig.simulator.counter
        var report = rig.simulator.report()
        #expect(report.watchdogTrips == 1)
        let upstream = Set((stoppedAt - 2)...stoppedAt)  // station 3 bottles downstream: these have not reached it
        #expect(Set(report.failSafe) == upstream.subtracting([commanded]), "fail-safe: every upstream bottle without a command")
        try await Task.sleep(for: .milliseconds(300))
        #expect(rig.simulator.counter == stoppedAt, "the line stays stopped")
        // The operator starts the line; with the agent still silent the watchdog stops it again, and the fail-safe
        // bottles are pushed off at the station.
        rig.simulator.setRunning(true)
        #expect(await PLCTestSupport.eventually(timeout: .seconds(3)) { rig.simulator.report().watchdogTrips == 2 })
        report = rig.simulator.stop()
        #expect(report.neverCommanded.isEmpty)
    }

    @Test("Server gone mid-run: link down, reconnect, the counter catches up with no bottle lost or doubled")
    func serverKilledMidRun() async throws {
        let rig = try makeRig(speed: 72_000)
        #expect(await rig.startMonitoring(), "the monitor reports the line state")
        rig.simulator.setRunning(true)
        #expect(await rig.recorder.wait { $0.filter { $0.type == "bottle" }.count >= 10 })
        rig.simulator.suspendServer()
        #expect(await rig.recorder.wait { $0.contains { $0.type == "link-down" } })
        let counterAtDrop = rig.simulator.counter
        #expect(await PLCTestSupport.eventually { rig.simulator.counter >= counterAtDrop + 8 }, "the line keeps running")
        try rig.simulator.resumeServer()
        #expect(await rig.recorder.wait { $0.filter { $0.type == "link-up" }.count == 2 })
        rig.simulator.setRunning(false)
        let last = rig.simulator.counter
        #expect(await rig.recorder.wait { $0.contains { $0.kind == .bottle(sequence: last) } })
        await rig.recorder.stop()
        let report = rig.simulator.stop()
        #expect(await rig.recorder.bottles == Array(1...last))
        #expect(report.connections >= 2)
        let down = await rig.recorder.events("link-down").first
        if case .linkDown(let error) = down?.kind {
            #expect(error.needsReconnect)
            #expect(error.description.contains("127.0.0.1:\(report.connections > 0 ? rig.simulator.port : 0)"))
        } else {
            Issue.record("expected a link-down event")
        }
    }

    @Test("A missed reject (jammed station) alarms and requests a line stop; the simulator stops")
    func missedRejectStopsLine() async throws {
        let rig = try makeRig(speed: 72_000, confirmWithin: 5) { $0.stationWorks = false }
        #expect(await rig.startMonitoring(), "the monitor reports the line state")
        rig.simulator.setRunning(true)
        #expect(await rig.recorder.wait { $0.contains { $0.type == "bottle" } })
        let first = await rig.recorder.bottles[0]
        await rig.monitor.reject(sequence: first, reason: .duplicate)
        #expect(await rig.recorder.wait { $0.contains { $0.type == "reject-missed" } })
        #expect(await PLCTestSupport.eventually { !rig.simulator.isRunning })
        #expect(await rig.recorder.wait { $0.contains { $0.kind == .lineState(.stopped, previous: .running) } })
        await rig.recorder.stop()
        let report = rig.simulator.stop()
        #expect(report.lineStopRequests == 1)
        #expect(report.rejected.isEmpty)
        #expect(await rig.recorder.events("reject-missed").first?.kind == .rejectMissed(sequence: first, reason: .duplicate))
    }

    @Test("Recipe changes, faults and a frozen PLC heartbeat become events")
    func lineEvents() async throws {
        let rig = try makeRig(speed: 36_000)
        await rig.recorder.start(rig.monitor)
        #expect(await rig.recorder.wait { $0.contains { $0.type == "recipe" } })
        rig.simulator.setRecipe(2)
        rig.simulator.setFault(true)
        #expect(await rig.recorder.wait { $0.contains { $0.kind == .recipe(2, previous: 1) } })
        #expect(await rig.recorder.wait { $0.contains { $0.kind == .lineState(.fault, previous: .stopped) } })
        rig.simulator.freezeHeartbeat(true)
        #expect(await rig.recorder.wait(timeout: .seconds(3)) { $0.contains { $0.type == "heartbeat-lost" } })
        rig.simulator.freezeHeartbeat(false)
        #expect(await rig.recorder.wait { $0.contains { $0.type == "heartbeat-restored" } })
        await rig.recorder.stop()
        rig.simulator.stop()
    }

    @Test("Wrong unit id: exception 11 naming the unit and the registers")
    func wrongUnit() async throws {
        let rig = try makeRig(agentUnitID: 7)
        defer { rig.simulator.stop() }
        try await rig.link.connect()
        await #expect {
            _ = try await rig.link.readInputs()
        } throws: { error in
            guard let error = error as? PLCError, case .exception(let request, let code, _, _) = error else { return false }
            return code == 11 && request.unitID == 7 && error.description.contains("unit 7")
                && error.description.contains("input registers 0-6")
        }
    }

    @Test("Illegal address: the error names the key and the address, even inside a merged read")
    func illegalAddress() async throws {
        // The simulator has input registers 0-6; the agent expects recipe at input 7 (merged into the read of 0-7).
        let rig = try makeRig(overrides: ["recipe": "{ address: 7, table: input }"])
        defer { rig.simulator.stop() }
        try await rig.link.connect()
        await #expect {
            _ = try await rig.link.readInputs()
        } throws: { error in
            guard let error = error as? PLCError, case .exception(let request, let code, _, let message) = error else { return false }
            return code == 2 && request.keys == ["recipe"] && request.address == 7 && message == "Illegal data address"
        }
        #expect(await rig.link.isConnected, "an exception is an answer: the connection stays")
    }

    @Test("An output address the PLC lacks is found by the start-up check")
    func outputAddressCheck() async throws {
        let rig = try makeRig(overrides: ["agentAlarm": "{ address: 150 }"])
        defer { rig.simulator.stop() }
        try await rig.link.connect()
        _ = try await rig.link.readInputs()
        await #expect {
            _ = try await rig.link.readOutputs()
        } throws: { error in
            (error as? PLCError)?.request?.keys == ["agentAlarm"] && (error as? PLCError)?.request?.address == 150
        }
    }

    @Test("A port with nothing listening: connect fails naming the port")
    func closedPort() async throws {
        let port = try freeLoopbackPort()
        let link = ModbusPLCLink(configuration: try PLCTestSupport.plcConfiguration(port: port), logger: PLCTestSupport.logger)
        await #expect(throws: PLCError.connectFailed(endpoint: "127.0.0.1:\(port)", key: "port", errno: ECONNREFUSED,
                                                     message: "Connection refused")) {
            try await link.connect()
        }
    }

    @Test("A serial device that does not exist: connect fails naming the device")
    func missingSerialDevice() async throws {
        let plc = try ConfigKitDecode.plc("""
        transport: rtu
        device: /dev/ttyQAZLINE-does-not-exist
        baud: 19200
        unitID: 1
        registers:
        \(PLCTestSupport.registersYAML())
        """)
        let link = ModbusPLCLink(configuration: plc, logger: PLCTestSupport.logger)
        await #expect(throws: PLCError.connectFailed(endpoint: "/dev/ttyQAZLINE-does-not-exist", key: "device", errno: ENOENT,
                                                     message: "No such file or directory")) {
            try await link.connect()
        }
    }

    @Test("Requests while disconnected fail without touching libmodbus")
    func notConnected() async throws {
        let link = ModbusPLCLink(configuration: try PLCTestSupport.plcConfiguration(port: 1502), logger: PLCTestSupport.logger)
        await #expect(throws: PLCError.notConnected(endpoint: "127.0.0.1:1502")) { _ = try await link.readInputs() }
    }
}

import ConfigKit

enum ConfigKitDecode {
    static func plc(_ yaml: String) throws -> PLCConfiguration {
        try ConfigLoader.decode(PLCConfiguration.self, yaml: yaml, file: "plc.yaml")
    }
}

extension ModbusLinkSimulatorTests {
    @Test("A PLC that stops taking reject commands: not acknowledged; dropped connections are re-opened")
    func unacknowledgedAndDroppedConnections() async throws {
        let rig = try makeRig(speed: 36_000)
        #expect(await rig.startMonitoring(), "the monitor reports the line state")
        rig.simulator.setAcknowledgesCommands(false)
        await rig.monitor.reject(sequence: 5, reason: .ambiguous)
        #expect(await rig.recorder.wait { $0.contains { $0.kind == .rejectNotAcknowledged(sequence: 5, command: 1) } })
        rig.simulator.dropClients()
        #expect(await rig.recorder.wait { $0.filter { $0.type == "link-up" }.count == 2 })
        await rig.recorder.stop()
        let report = rig.simulator.stop()
        #expect(report.rejectCommands.map(\.sequence) == [5])
        #expect(report.withoutReason.isEmpty)
        #expect(report.connections == 2)
    }
}
