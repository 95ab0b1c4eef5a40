import Foundation
import LineConfig
import LineSimulator
import PLC
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Modbus RTU: the agent's link on one end of a `socat` pseudo-terminal pair, the simulator (libmodbus RTU
/// server) on the other.
@Suite("Modbus RTU over a socat pty pair", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/socat"),
                "socat is not installed (scripts/setup.sh installs it)"))
struct RTUTests {
    /// A pty pair made by socat, removed by ``stop()``.
    final class PTYPair: @unchecked Sendable {
        let process = Process()
        let directory: URL
        var agentEnd: String { directory.appendingPathComponent("agent").path }
        var plcEnd: String { directory.appendingPathComponent("plc").path }

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("qazline-rtu-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
            process.arguments = ["pty,raw,echo=0,link=\(directory.path)/agent", "pty,raw,echo=0,link=\(directory.path)/plc"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let ready = await PLCTestSupport.eventually(timeout: .seconds(5)) { [directory] in
                FileManager.default.fileExists(atPath: directory.appendingPathComponent("agent").path)
                    && FileManager.default.fileExists(atPath: directory.appendingPathComponent("plc").path)
            }
            guard ready else {
                stop()
                throw PeerError("socat did not create the pty pair in \(directory.path)")
            }
        }

        func stop() {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    func rtuConfiguration(device: String, unitID: Int = 1) throws -> PLCConfiguration {
        try ConfigKitDecode.plc("""
        transport: rtu
        device: \(device)
        baud: 19200
        parity: even
        unitID: \(unitID)
        pollInterval: 5ms
        responseTimeout: 100ms
        byteTimeout: 20ms
        reconnectBackoff: 20ms
        registers:
        \(PLCTestSupport.registersYAML())
        """)
    }

    @Test("Bottles over RTU: every bottle exactly once")
    func bottlesOverRTU() async throws {
        let pair = try await PTYPair()
        defer { pair.stop() }
        var configuration = SimulatorConfiguration(registers: try rtuConfiguration(device: pair.plcEnd).registers)
        configuration.serialDevice = pair.plcEnd
        configuration.bottlesPerHour = 36_000
        configuration.startRunning = false
        let simulator = LineSimulator(configuration: configuration)
        try simulator.start()
        defer { simulator.stop() }
        let plc = try rtuConfiguration(device: pair.agentEnd)
        let link = ModbusPLCLink(configuration: plc, logger: PLCTestSupport.logger)
        let monitor = PLCMonitor(link: link, options: PLCMonitor.Options(plc: plc, reject: try PLCTestSupport.rejectPolicy()),
                                 logger: PLCTestSupport.logger)
        let recorder = EventRecorder()
        await recorder.start(monitor)
        #expect(await recorder.wait { $0.contains { $0.type == "line-state" } })
        simulator.setRunning(true)
        #expect(await PLCTestSupport.eventually { simulator.counter >= 8 })
        simulator.setRunning(false)
        let last = simulator.counter
        #expect(await recorder.wait { $0.contains { $0.kind == .bottle(sequence: last) } })
        await recorder.stop()
        #expect(await recorder.bottles == Array(1...last))
        #expect(link.endpoint == pair.agentEnd)
    }

    @Test("Wrong unit id over RTU: the slave stays silent, a timeout names the unit")
    func wrongUnitOverRTU() async throws {
        let pair = try await PTYPair()
        defer { pair.stop() }
        var configuration = SimulatorConfiguration(registers: try rtuConfiguration(device: pair.plcEnd).registers)
        configuration.serialDevice = pair.plcEnd
        let simulator = LineSimulator(configuration: configuration)
        try simulator.start()
        defer { simulator.stop() }
        let link = ModbusPLCLink(configuration: try rtuConfiguration(device: pair.agentEnd, unitID: 9), logger: PLCTestSupport.logger)
        try await link.connect()
        await #expect {
            _ = try await link.readInputs()
        } throws: { error in
            guard let error = error as? PLCError, case .timeout(let request, _, _) = error else { return false }
            return request.unitID == 9 && error.description.contains("of unit 9 at \(pair.agentEnd)")
        }
    }
}
