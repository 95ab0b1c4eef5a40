import Foundation
import LineAgentTesting
import LineConfig
import LineCore
import PLC
import Testing

/// The monitor's logic over the in-memory PLC: no sockets, real (short) timing.
@Suite("PLC monitor over the in-memory link")
struct PLCMonitorTests {
    func makeMonitor(counterBits: Int = 32, heartbeatTimeout: String = "1s", maxCounterJump: Int = 50,
                     confirmWithin: Int = 6, stopLineOnMiss: Bool = true) throws -> (MemoryPLCLink, PLCMonitor, EventRecorder) {
        let plc = try PLCTestSupport.plcConfiguration(port: 502, counterBits: counterBits, pollInterval: "1ms",
                                                      heartbeatTimeout: heartbeatTimeout, maxCounterJump: maxCounterJump)
        let link = MemoryPLCLink(counterBits: counterBits)
        let options = PLCMonitor.Options(plc: plc, reject: try PLCTestSupport.rejectPolicy(confirmWithin: confirmWithin, stopLineOnMiss: stopLineOnMiss))
        let monitor = PLCMonitor(link: link, options: options, logger: PLCTestSupport.logger)
        return (link, monitor, EventRecorder())
    }

    @Test("A counter jump of N yields N bottles, across 16-bit wrap-around")
    func wrapAround() async throws {
        let (link, monitor, recorder) = try makeMonitor(counterBits: 16)
        await link.setInput(.bottleCounter, 65_533)
        await recorder.start(monitor)
        await recorder.wait { $0.contains { $0.type == "line-state" } }
        // When the counter moves 1, then 4 across 65535 → 1, then 2
        await link.advanceBottles(1)
        await recorder.wait { events in events.filter { $0.type == "bottle" }.count == 1 }
        await link.advanceBottles(4)
        await recorder.wait { events in events.filter { $0.type == "bottle" }.count == 5 }
        await link.advanceBottles(2)
        await recorder.wait { events in events.filter { $0.type == "bottle" }.count == 7 }
        await recorder.stop()
        // Then the sequence keeps counting past 65535
        #expect(await recorder.bottles == Array(65_534...65_540))
        #expect(await link.currentInputs.bottleCounter == 4)
    }

    @Test("A jump above maxCounterJump is an alarm, not bottles")
    func counterJump() async throws {
        let (link, monitor, recorder) = try makeMonitor(maxCounterJump: 10)
        await recorder.start(monitor)
        await recorder.wait { $0.contains { $0.type == "line-state" } }
        await link.advanceBottles(11)
        #expect(await recorder.wait { $0.contains { $0.type == "counter-jump" } })
        await link.advanceBottles(1)
        #expect(await recorder.wait { $0.contains { $0.type == "bottle" } })
        await recorder.stop()
        #expect(await recorder.bottles == [12])
        let jump = await recorder.events("counter-jump").first
        #expect(jump?.kind == .counterJump(from: 0, to: 11, jump: 11))
        #expect(jump?.isAlarm == true)
    }

    @Test("Line state and recipe changes")
    func lineStateAndRecipe() async throws {
        let (link, monitor, recorder) = try makeMonitor()
        await link.setInputs(PLCInputs(lineState: 0, recipe: 1))
        await recorder.start(monitor)
        await recorder.wait { $0.contains { $0.type == "recipe" } }
        await link.setInput(.lineState, 1)
        await recorder.wait { $0.filter { $0.type == "line-state" }.count == 2 }
        await link.setInput(.recipe, 2)
        await link.setInput(.lineState, 2)
        await recorder.wait { $0.filter { $0.type == "line-state" }.count == 3 && $0.filter { $0.type == "recipe" }.count == 2 }
        await link.setInput(.lineState, 9)
        await recorder.wait { $0.filter { $0.type == "line-state" }.count == 4 }
        await recorder.stop()
        let kinds = await recorder.events.filter { $0.type == "line-state" || $0.type == "recipe" }.map(\.kind)
        #expect(kinds == [
            .lineState(.stopped, previous: nil), .recipe(1, previous: nil), .lineState(.running, previous: .stopped),
            .lineState(.fault, previous: .running), .recipe(2, previous: 1), .lineState(.unknown(9), previous: .fault),
        ])
    }

    @Test("PLC heartbeat lost and restored")
    func heartbeat() async throws {
        let (link, monitor, recorder) = try makeMonitor(heartbeatTimeout: "40ms")
        await recorder.start(monitor)
        #expect(await recorder.wait { $0.contains { $0.type == "heartbeat-lost" } })
        await link.setInput(.plcHeartbeat, 1)
        #expect(await recorder.wait { $0.contains { $0.type == "heartbeat-restored" } })
        await recorder.stop()
        #expect(await recorder.events.filter { $0.type.hasPrefix("heartbeat") }.map(\.type) == ["heartbeat-lost", "heartbeat-restored"])
    }

    @Test("Reject handshake: sequence and reason first, then the command; the echo frees the next command")
    func handshake() async throws {
        let (link, monitor, recorder) = try makeMonitor(counterBits: 32)
        await link.setInputs(PLCInputs(bottleCounter: 100, lineState: 1, recipe: 1, rejectAck: 41))
        await recorder.start(monitor)
        await recorder.wait { $0.contains { $0.type == "recipe" } }
        await monitor.reject(sequence: 101, reason: .noRead)
        await monitor.reject(sequence: 102, reason: .duplicate)
        #expect(await PLCTestSupport.eventually { await link.output(.rejectCommand) == 43 })
        #expect(await PLCTestSupport.eventually { await link.output(.rejectCounter) == 2 }, "written with the next poll")
        await recorder.stop()
        let log = await link.writeLog.filter { $0.contains { $0.0 == .rejectSequence || $0.0 == .rejectCommand } }
        let flattened = log.map { $0.map { "\($0.0.rawValue)=\($0.1)" } }
        #expect(flattened == [
            ["rejectSequence=101", "rejectReason=1"], ["rejectCommand=42"],
            ["rejectSequence=102", "rejectReason=3"], ["rejectCommand=43"],
        ])
    }

    @Test("Confirmed rejects and a missed one: alarm and line-stop request")
    func verification() async throws {
        let (link, monitor, recorder) = try makeMonitor(confirmWithin: 5, stopLineOnMiss: true)
        await link.setInputs(PLCInputs(bottleCounter: 10, lineState: 1, recipe: 1))
        await recorder.start(monitor)
        await recorder.wait { $0.contains { $0.type == "recipe" } }
        await monitor.reject(sequence: 11, reason: .foreign)
        await monitor.reject(sequence: 12, reason: .noRead)
        // The station confirms one reject (bottle 11) when it gets there; bottle 12 is never confirmed.
        await link.advanceBottles(3)
        await link.setInput(.rejectConfirmCounter, 1)
        #expect(await recorder.wait { $0.contains { $0.type == "reject-confirmed" } })
        await link.advanceBottles(5)
        #expect(await recorder.wait { $0.contains { $0.type == "reject-missed" } })
        #expect(await PLCTestSupport.eventually { await link.output(.lineStopRequest) == 1 })
        #expect(await PLCTestSupport.eventually { await link.output(.agentAlarm) == 1 })
        await recorder.stop()
        #expect(await recorder.events("reject-confirmed").map(\.kind) == [.rejectConfirmed(sequence: 11, reason: .foreign)])
        #expect(await recorder.events("reject-missed").map(\.kind) == [.rejectMissed(sequence: 12, reason: .noRead)])
        #expect(await recorder.events("line-stop-requested").count == 1)
    }

    @Test("Without stopLineOnMiss a missed reject alarms but does not stop the line")
    func missWithoutStop() async throws {
        let (link, monitor, recorder) = try makeMonitor(confirmWithin: 4, stopLineOnMiss: false)
        await recorder.start(monitor)
        await recorder.wait { $0.contains { $0.type == "recipe" } }
        await monitor.reject(sequence: 1, reason: .timeout)
        await link.advanceBottles(6)
        #expect(await recorder.wait { $0.contains { $0.type == "reject-missed" } })
        await recorder.stop()
        let stopRequest = await link.output(.lineStopRequest)
        #expect(stopRequest == nil || stopRequest == 0)
        #expect(await recorder.events("line-stop-requested").isEmpty)
    }

    @Test("A PLC that never echoes the command: reject not acknowledged")
    func notAcknowledged() async throws {
        let (link, monitor, recorder) = try makeMonitor()
        await link.setEcho(false)
        await recorder.start(monitor)
        await recorder.wait { $0.contains { $0.type == "recipe" } }
        await monitor.reject(sequence: 3, reason: .malformed)
        #expect(await recorder.wait { $0.contains { $0.type == "reject-not-acknowledged" } })
        await recorder.stop()
        #expect(await recorder.events("reject-not-acknowledged").first?.kind == .rejectNotAcknowledged(sequence: 3, command: 1))
    }

    @Test("Link down and up: bottles passing meanwhile are caught up, none lost or doubled")
    func linkDownCatchUp() async throws {
        let (link, monitor, recorder) = try makeMonitor()
        await recorder.start(monitor)
        await recorder.wait { $0.contains { $0.type == "recipe" } }
        await link.advanceBottles(2)
        #expect(await recorder.wait { $0.filter { $0.type == "bottle" }.count == 2 })
        await link.setReachable(false)
        #expect(await recorder.wait { $0.contains { $0.type == "link-down" } })
        await link.advanceBottles(7)
        await link.setReachable(true)
        #expect(await recorder.wait { $0.filter { $0.type == "bottle" }.count == 9 })
        await recorder.stop()
        expectConsecutive(await recorder.bottles)
        #expect(await recorder.events.map(\.type).filter { $0.hasPrefix("link") } == ["link-up", "link-down", "link-up"])
    }

    @Test("Agent outputs every poll: heartbeat increments, status and good counter")
    func cyclicOutputs() async throws {
        let (link, monitor, recorder) = try makeMonitor()
        await monitor.setStatus(.ready)
        await monitor.countGood()
        await monitor.countGood()
        await recorder.start(monitor)
        #expect(await PLCTestSupport.eventually { (await link.output(.agentHeartbeat) ?? 0) >= 5 })
        await recorder.stop()
        #expect(await link.output(.agentStatus) == 1)
        #expect(await link.output(.goodCounter) == 2)
    }

    @Test("Events render as one JSON object per line")
    func json() {
        let event = PLCEvent(kind: .bottle(sequence: 42), time: .init(timeIntervalSince1970: 0), instant: .now)
        #expect(event.json == #"{"event":"bottle","sequence":42,"time":"1970-01-01T00:00:00.000Z"}"#)
        let down = PLCEvent(kind: .linkDown(.notConnected(endpoint: "127.0.0.1:1")), time: .init(timeIntervalSince1970: 0), instant: .now)
        #expect(down.json.contains(#""error":"not connected to the PLC at 127.0.0.1:1""#))
    }
}
