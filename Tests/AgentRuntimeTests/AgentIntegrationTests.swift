import AgentRuntime
import Delivery
import Foundation
import LineAgentTesting
import LineConfig
import LineCore
import LineDemo
import LineSimulator
import Logging
import Outbox
import QazClient
import ServiceLifecycle
import Testing
import Vision

let quiet: Logger = {
    var logger = Logger(label: "agent-test")
    // QAZLINE_TEST_LOG=warning shows the agent's alarms while a test runs.
    logger.logLevel = ProcessInfo.processInfo.environment["QAZLINE_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
    return logger
}()

/// Runs an agent on a simulated plant until `body` returns, then shuts it down gracefully.
func withAgent<T: Sendable>(_ plant: SimulatedPlant, _ overrides: LineAgentRuntime.Overrides = LineAgentRuntime.Overrides(),
                            _ body: (LineAgentRuntime) async throws -> T) async throws -> T {
    let agent = try plant.makeAgent(overrides, logger: quiet)
    let group = agent.makeServiceGroup()
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let value = try await body(agent)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            await agent.close()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            await agent.close()
            throw error
        }
    }
}

func options(bottles: Int, speed: Double = 36_000) -> DemoOptions {
    var options = DemoOptions()
    options.bottles = bottles
    options.bottlesPerHour = speed
    options.progress = false
    options.deliveryTimeout = .seconds(30)
    return options
}

/// The agent on `plant` delivering through a ``ScriptedSink`` aimed at `first`; `body` gets the agent, the sink and a
/// client of the plant's real registrar (to aim the sink at it later), shut down afterwards.
func withAgent<T: Sendable>(_ plant: SimulatedPlant, deliveringFirstTo first: any ActivationSink,
                            _ body: (LineAgentRuntime, ScriptedSink, QazAPIClient) async throws -> T) async throws -> T {
    try await plant.plan.makeClient(logger: quiet).closing { real in
        let sink = ScriptedSink(first)
        var overrides = LineAgentRuntime.Overrides()
        overrides.sink = sink
        return try await withAgent(plant, overrides) { agent in try await body(agent, sink, real) }
    }
}

/// The agent on the simulated line, with the real registrar, linesim over Modbus TCP and generated frames.
@Suite(.serialized) struct AgentIntegrationTests {
    @Test func theSimulatedLineReconcilesEndToEnd() async throws {
        // Given a line of 150 bottles at 36,000 bottles/h with bad caps mixed in
        var demo = options(bottles: 150)
        demo.shares = [.unreadable: 0.05, .damaged: 0.05, .duplicate: 0.05, .foreign: 0.05]
        // and the registrar's trade half on: waybills that cite signed, approved applications, and after the line a
        // signed order of bottles to a wholesaler, its counter-order, the extracts and a signed App. 10; then the retail
        // step (the shop's order, its tills through the FDO relay, consumers' scans)
        demo.trade = true
        // When the demo runs
        let summary = try await LineDemo.run(demo, logger: quiet)
        // Then every check holds: no bad cap passed, no reject late or missed, every good bottle activated once
        #expect(summary.reconciled, "\(LineDemo.render(summary))")
        let trade = try #require(summary.trade)
        #expect(trade.applicationsApproved == 2 && trade.codes == min(24, summary.good) && trade.app10Verdict == "accepted")
        #expect(trade.holdings == ["\(LineDemo.producerBIN) transferred «Берілген»", "\(trade.buyer) active «Белсенді»"])
        #expect(trade.checks.count == 6 && trade.checks.values.allSatisfy { $0 })
        // and the retail step: the wholesaler sells on to a shop, its tills (one offline for hours) sell through the FDO
        // relay, and the registrar's redeemed codes are exactly what the tills sold less what came back
        let retail = try #require(summary.retail)
        #expect(retail.checks.count == 7 && retail.checks.values.allSatisfy { $0 }, "\(retail.checks)")
        #expect(retail.redeemedAtRegistrar == retail.expectedRedeemed && retail.expectedRedeemed == retail.sold - retail.returned)
        #expect(retail.autonomousReceipts > 0 && retail.soldScan == "redeemed «Өтелген»")
        #expect(summary.bottles == 150)
        #expect(summary.badCapsPassed == 0)
        #expect(summary.rejectsLate == 0 && summary.rejectsMissed == 0)
        #expect(summary.registrar.activated == summary.good)
        #expect(summary.registrar.used == summary.good)
        #expect(summary.rejectedByReason.values.reduce(0, +) == summary.bottles - summary.good)
        // Decisions are forced at the deadline (plus one 2 ms tick, more on a loaded machine); most come much earlier
        #expect(summary.decisionLatencyP50Ms < summary.decisionDeadlineMs / 2)
        #expect(summary.decisionLatencyP99Ms <= summary.decisionDeadlineMs + 20)
    }

    @Test func healthReadyMetricsAndStatusAnswerOverHTTP() async throws {
        try await SimulatedPlant.run(options(bottles: 60), logger: quiet) { plant in
            try await withAgent(plant) { agent in
                try await plant.startLine(agent)
                try await plant.waitForBottles(60, agent: agent, timeout: .seconds(30))
                let base = "http://127.0.0.1:\(try #require(agent.httpPort))"
                func get(_ path: String) async throws -> RawResponse {
                    try await QazAPIClient(configuration: QazClientConfiguration(baseURL: base, token: "-"), logger: quiet).closing { client in
                        try await client.raw(method: "GET", path: path, body: nil, authorized: false)
                    }
                }
                #expect(try await get("/health").status == 200)
                let ready = try await get("/ready")
                #expect(ready.status == 200, "\(String(decoding: ready.body, as: UTF8.self))")
                let metrics = String(decoding: try await get("/metrics").body, as: UTF8.self)
                for name in ["qazline_bottles_total", "qazline_decisions_total", "qazline_decode_duration_seconds",
                             "qazline_decision_latency_seconds", "qazline_outbox_pending", "qazline_plc_link_up", "qazline_read_rate"] {
                    #expect(metrics.contains(name), "\(name) missing from /metrics")
                }
                #expect(metrics.contains(#"qazline_plc_link_up{line="demo"} 1"#))
                // Read quality per camera: the contrast of the codes read, the share read by fallback steps, reads per step.
                let contrast = metrics.split(separator: "\n").first { $0.hasPrefix(#"qazline_read_contrast{line="demo",camera="demo-top"}"#) }
                let contrastValue = try #require(contrast.flatMap { Double($0.split(separator: " ").last ?? "") }, "\(metrics)")
                #expect(contrastValue > 0.3 && contrastValue <= 1)
                #expect(metrics.contains(#"qazline_read_fallback_share{line="demo",camera="demo-top"}"#))
                #expect(metrics.contains(#"qazline_reads_total{line="demo",camera="demo-top",step="zxing@roi"}"#))
                let status = try AgentStatusSnapshot.decoder().decode(AgentStatusSnapshot.self, from: Data(try await get("/status").body))
                #expect(status.lines.first?.bottles == plant.reports.count)
                #expect(status.lines.first?.cameras.first?.state == "delivering")
                #expect((status.lines.first?.cameras.first?.readContrast ?? 0) > 0.3)
                #expect(status.producer == LineDemo.producerBIN)
            }
        }
    }

    @Test func aRegistrarOutageIsALongerQueueAndEverythingIsDeliveredOnceWhenItReturns() async throws {
        try await SimulatedPlant.run(options(bottles: 120), logger: quiet) { plant in
            // Given a registrar that cannot be reached (a real refused connection)
            let unreachable = try QazAPIClient(configuration: QazClientConfiguration(
                baseURL: "http://127.0.0.1:1", token: "none", connectTimeout: .seconds(1), maxAttempts: 1), logger: quiet)
            let summary = try await unreachable.closing { unreachable in
                try await withAgent(plant, deliveringFirstTo: unreachable) { agent, sink, real in
                    try await plant.startLine(agent)
                    // When the whole line runs during the outage
                    try await plant.waitForBottles(120, agent: agent, timeout: .seconds(40))
                    let good = plant.reports.filter(\.kind.passes).count
                    // Then bottles were still decided and rejected in time, and the good ones wait in the outbox
                    #expect(try await agent.store.depth().pending == good)
                    #expect(await agent.snapshot().lastErrors.contains { $0.kind == "delivery" })
                    // And when the registrar returns, everything is delivered
                    sink.setTarget(real)
                    #expect(try await plant.waitForDelivery(agent, timeout: .seconds(30)))
                    return try await plant.summarize(agent)
                }
            }
            #expect(summary.reconciled, "\(LineDemo.render(summary))")
            #expect(summary.registrar.activated == summary.good)
        }
    }

    @Test func aCameraThatStopsDeliveringMakesEveryBottleANoReadThatIsRejected() async throws {
        var demo = options(bottles: 80)
        demo.shares = [:]
        try await SimulatedPlant.run(demo, logger: quiet) { plant in
            // Given a camera that goes dark after 30 frames
            var overrides = LineAgentRuntime.Overrides()
            let (simulator, script) = (plant.simulator, plant.script)
            overrides.frameSource = { _, camera, _ in
                CameraGoingDark(TriggeredCamera(name: camera.id, simulator: simulator, script: script, seed: 1), frames: 30)
            }
            try await withAgent(plant, overrides) { agent in
                try await plant.startLine(agent)
                try await plant.waitForBottles(80, agent: agent, timeout: .seconds(30))
                // Then every bottle after the camera went dark is a no-read, rejected, and the camera is reported silent
                let dark = plant.reports.filter { $0.sequence > 32 }
                #expect(dark.count >= 40)
                #expect(dark.allSatisfy { $0.kind == .noRead && $0.rejected })
                let snapshot = await agent.snapshot()
                #expect(snapshot.alarms.contains { $0.kind == "camera-silent" })
                #expect(!snapshot.ready)
                #expect(snapshot.lines.first?.cameras.first?.state == "silent")
            }
            // And linesim saw a command for each of those bottles in time (they are not expected rejects: unexpected)
            let report = plant.simulator.report()
            #expect(report.tooLate.isEmpty)
            #expect(report.unexpected.count >= 40)
        }
    }

    @Test func aPLCThatDisappearsRaisesAnAlarmAndTheAgentReconnects() async throws {
        var demo = options(bottles: 200)
        demo.shares = [:]
        try await SimulatedPlant.run(demo, logger: quiet) { plant in
            try await withAgent(plant) { agent in
                try await plant.startLine(agent)
                try await plant.waitForBottles(40, agent: agent, timeout: .seconds(20))
                // When the PLC drops off the network for a second while the line keeps running
                plant.simulator.suspendServer()
                try await LineDemo.waitUntil(timeout: .seconds(10), "the agent to report the PLC link down") {
                    await agent.snapshot().lines.first?.plcLink == "down"
                }
                try plant.simulator.resumeServer()
                // Then the agent reconnects and decides the bottles after it as before
                try await LineDemo.waitUntil(timeout: .seconds(10), "the link to come back") {
                    await agent.snapshot().lines.first?.plcLink == "up"
                }
                try await plant.waitForBottles(200, agent: agent, timeout: .seconds(40))
                let snapshot = await agent.snapshot()
                #expect(snapshot.alarms.contains { $0.kind == "plc-link-down" })
                let last = plant.simulator.counter
                let after = plant.reports.filter { $0.sequence > last - 50 }
                let rejected = after.filter { !$0.kind.passes }
                #expect(after.count >= 45)
                // Every cap is good: a reject here can only be a decoder miss on a loaded machine (its frame arrived and
                // was read in vain), never a bottle that lost its frame to the reconnect.
                #expect(rejected.count <= 2 && rejected.allSatisfy { $0.kind == .noRead && $0.frames >= 1 }, "\(rejected)")
            }
        }
    }

    @Test func aCorruptOutboxIsRefusedAtStartWithAClearMessageAndLeftUntouched() async throws {
        try await SimulatedPlant.run(options(bottles: 10), logger: quiet) { plant in
            let path = plant.plan.outboxPath
            try? FileManager.default.removeItem(atPath: path + "-wal")
            try? FileManager.default.removeItem(atPath: path + "-shm")
            let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            try garbage.write(to: URL(fileURLWithPath: path))
            #expect {
                _ = try plant.makeAgent(logger: quiet)
            } throws: { error in
                "\(error)".contains(path)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
        }
    }
}
