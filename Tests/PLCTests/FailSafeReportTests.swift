import ConfigKit
import Foundation
import LineAgentTesting
import LineConfig
import LineCore
import LineSimulator
import PLC
import Testing

/// The PLC's report of its own fail-safe rejects (`failSafeTrips`, `failSafeFirst`, `failSafeLast`): the monitor
/// turns it into `failSafeRejects` events with the items widened to sequences, at its first poll and at every new trip.
enum FailSafeRegisters {
    /// The three report registers, after the example map's inputs (counter-wide first and last).
    static func overrides(counterBits: Int = 32) -> [String: String] {
        ["failSafeTrips": "{ address: 7, table: input }",
         "failSafeFirst": "{ address: 8, table: input, bits: \(counterBits) }",
         "failSafeLast": "{ address: 10, table: input, bits: \(counterBits) }"]
    }

    static func events(_ recorder: EventRecorder) async -> [PLCEvent.Kind] {
        await recorder.events("fail-safe-rejects").map(\.kind)
    }
}

@Suite("PLC fail-safe report over the in-memory link")
struct FailSafeMonitorTests {
    func makeMonitor(counterBits: Int = 32, report: Bool = true) throws -> (MemoryPLCLink, PLCMonitor, EventRecorder) {
        let plc = try PLCTestSupport.plcConfiguration(port: 502, counterBits: counterBits, pollInterval: "1ms",
                                                      overrides: report ? FailSafeRegisters.overrides(counterBits: counterBits) : [:])
        #expect(plc.registers.reportsFailSafe == report)
        let link = MemoryPLCLink(counterBits: counterBits)
        let options = PLCMonitor.Options(plc: plc, reject: try PLCTestSupport.rejectPolicy())
        #expect(options.reportsFailSafe == report)
        return (link, PLCMonitor(link: link, options: options, logger: PLCTestSupport.logger), EventRecorder())
    }

    @Test("a trip made while the agent was down is reported at the first poll, and each new trip again")
    func firstPollAndNewTrips() async throws {
        let (link, monitor, recorder) = try makeMonitor()
        // Given a PLC whose watchdog tripped once (bottles 96…99) before the agent started
        var inputs = PLCInputs(bottleCounter: 100, lineState: 2, recipe: 1)
        inputs.failSafeTrips = 1
        inputs.failSafeFirst = 96
        inputs.failSafeLast = 99
        await link.setInputs(inputs)
        await recorder.start(monitor)
        // Then the first poll reports it, as sequences
        #expect(await recorder.wait { $0.contains { $0.type == "fail-safe-rejects" } })
        #expect(await FailSafeRegisters.events(recorder) == [.failSafeRejects(trips: 1, first: 96, last: 99)])
        let event = try #require(await recorder.events("fail-safe-rejects").first)
        #expect(event.json.contains(#""first":96"#) && event.json.contains(#""last":99"#) && event.json.contains(#""trips":1"#), "\(event.json)")

        // When the line runs on and nothing changes, nothing more is reported
        await link.advanceBottles(10)
        await recorder.wait { $0.filter { $0.type == "bottle" }.count == 10 }
        #expect(await FailSafeRegisters.events(recorder).count == 1)

        // When the watchdog trips again (bottles 108…110)
        await link.setInput(.failSafeFirst, 108)
        await link.setInput(.failSafeLast, 110)
        await link.setInput(.failSafeTrips, 2)
        #expect(await recorder.wait { $0.filter { $0.type == "fail-safe-rejects" }.count == 2 })
        await recorder.stop()
        #expect(await FailSafeRegisters.events(recorder) == [
            .failSafeRejects(trips: 1, first: 96, last: 99), .failSafeRejects(trips: 2, first: 108, last: 110),
        ])
    }

    @Test("the items are widened like the bottle counter, across a 16-bit wrap")
    func widenedAcrossWrap() async throws {
        let (link, monitor, recorder) = try makeMonitor(counterBits: 16)
        await link.setInputs(PLCInputs(bottleCounter: 65_530, lineState: 1, recipe: 1))
        await recorder.start(monitor)
        await recorder.wait { $0.contains { $0.type == "recipe" } }
        #expect(await FailSafeRegisters.events(recorder).isEmpty, "no trip yet: nothing reported at the first poll")
        // When the counter wraps (65530 → 4: sequence 65540) and a trip covers 65535 … 3 (raw), i.e. 65535 … 65539
        await link.advanceBottles(10)
        await recorder.wait { $0.filter { $0.type == "bottle" }.count == 10 }
        await link.setInput(.failSafeFirst, 65_535)
        await link.setInput(.failSafeLast, 3)
        await link.setInput(.failSafeTrips, 1)
        #expect(await recorder.wait { $0.contains { $0.type == "fail-safe-rejects" } })
        await recorder.stop()
        #expect(await recorder.bottles.last == 65_540)
        #expect(await FailSafeRegisters.events(recorder) == [.failSafeRejects(trips: 1, first: 65_535, last: 65_539)])
    }

    @Test("a map without the report registers reports nothing")
    func withoutRegisters() async throws {
        let (link, monitor, recorder) = try makeMonitor(report: false)
        var inputs = PLCInputs(bottleCounter: 100, lineState: 2, recipe: 1)
        inputs.failSafeTrips = 3
        inputs.failSafeFirst = 90
        inputs.failSafeLast = 99
        await link.setInputs(inputs)
        await recorder.start(monitor)
        await recorder.wait { $0.contains { $0.type == "recipe" } }
        await link.advanceBottles(2)
        await recorder.wait { $0.filter { $0.type == "bottle" }.count == 2 }
        await recorder.stop()
        #expect(await FailSafeRegisters.events(recorder).isEmpty)
    }
}

/// The real link and monitor against the in-process line simulator: its watchdog writes the report when it trips.
@Suite("PLC fail-safe report from linesim", .serialized)
struct FailSafeSimulatorTests {
    @Test("the agent stops feeding the watchdog: the line trips, and a new monitor reads the report at its first poll")
    func tripReadAtRestart() async throws {
        let plcMap = try PLCTestSupport.plcConfiguration(port: 1, overrides: FailSafeRegisters.overrides()).registers
        var configuration = SimulatorConfiguration(registers: plcMap)
        configuration.bottlesPerHour = 36_000
        configuration.startRunning = false
        configuration.stationOffset = 3
        configuration.agentWatchdog = .milliseconds(200)
        configuration.agentVerdictWindow = .seconds(60)  // every upstream bottle still waits for its verdict
        let simulator = LineSimulator(configuration: configuration)
        let port = try simulator.start()
        defer { _ = simulator.stop() }
        let plc = try PLCTestSupport.plcConfiguration(port: port, overrides: FailSafeRegisters.overrides())
        let policy = try PLCTestSupport.rejectPolicy(offset: 3)
        func monitor() -> PLCMonitor {
            PLCMonitor(link: ModbusPLCLink(configuration: plc, logger: PLCTestSupport.logger), options: PLCMonitor.Options(plc: plc, reject: policy),
                       logger: PLCTestSupport.logger)
        }

        // Given an agent whose monitor feeds the watchdog while the line runs
        let first = EventRecorder()
        await first.start(monitor())
        #expect(await first.wait { $0.contains { $0.type == "line-state" } })
        simulator.setRunning(true)
        #expect(await PLCTestSupport.eventually(timeout: .seconds(10)) { simulator.counter >= 10 })
        #expect(simulator.isRunning, "the heartbeat keeps the watchdog fed")
        // When the agent goes silent
        await first.stop()
        #expect(await FailSafeRegisters.events(first).isEmpty, "no trip while the agent was there")
        #expect(await PLCTestSupport.eventually(timeout: .seconds(3)) { !simulator.isRunning })
        let report = simulator.report()
        #expect(report.watchdogTrips == 1)
        let rejected = try #require(report.failSafe.min().flatMap { low in report.failSafe.max().map { (low, $0) } })
        #expect(rejected.1 == simulator.counter, "up to the last bottle before the stop")

        // Then a new monitor (the agent restarted) learns the trip at its first poll
        let second = EventRecorder()
        await second.start(monitor())
        #expect(await second.wait { $0.contains { $0.type == "fail-safe-rejects" } })
        await second.stop()
        #expect(await FailSafeRegisters.events(second) == [.failSafeRejects(trips: 1, first: rejected.0, last: rejected.1)])
    }
}

@Suite("Register map: the fail-safe report")
struct FailSafeRegisterMapTests {
    func problems(_ overrides: [String: String]) -> [String] {
        do {
            _ = try PLCTestSupport.plcConfiguration(port: 502, overrides: overrides)
            return []
        } catch let error as ConfigError {
            return error.issues.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("one or two of the three registers: an error naming failSafeTrips", arguments: [
        ["failSafeTrips"], ["failSafeFirst"], ["failSafeLast"], ["failSafeTrips", "failSafeLast"], ["failSafeFirst", "failSafeLast"],
    ])
    func incomplete(_ keys: [String]) {
        let all = FailSafeRegisters.overrides()
        let issues = problems(all.filter { keys.contains($0.key) })
        #expect(issues.count == 1, "\(issues)")
        #expect(issues.contains { $0.contains("registers.failSafeTrips") && $0.contains("needs all three of failSafeTrips, failSafeFirst and failSafeLast") },
                "\(issues)")
    }

    @Test("all three, or none, are accepted")
    func complete() throws {
        #expect(problems(FailSafeRegisters.overrides()).isEmpty)
        #expect(try PLCTestSupport.plcConfiguration(port: 502, overrides: FailSafeRegisters.overrides()).registers.reportsFailSafe)
        #expect(try PLCTestSupport.plcConfiguration(port: 502).registers.reportsFailSafe == false)
    }

    @Test("the report registers are numbers, and must not overlap the others")
    func tableAndOverlap() {
        var coil = FailSafeRegisters.overrides()
        coil["failSafeTrips"] = "{ address: 20, table: discrete }"
        #expect(problems(coil).contains { $0.contains("registers.failSafeTrips.table") && $0.contains("is a number") }, "\(problems(coil))")
        var overlapping = FailSafeRegisters.overrides()
        overlapping["failSafeFirst"] = "{ address: 5, table: input, bits: 32 }"
        #expect(problems(overlapping).contains { $0.contains("failSafeFirst.address") && $0.contains("overlaps") }, "\(problems(overlapping))")
    }
}
