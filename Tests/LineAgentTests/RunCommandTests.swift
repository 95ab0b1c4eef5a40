import AgentRuntime
import Foundation
import LineAgentTesting
import LineDemo
import LineSimulator
import Logging
import Outbox
import Testing

/// `lineagent run` as a process against linesim and the registrar: it serves its status (read by `lineagent status`),
/// and SIGTERM stops it in order, leaving every decision on disk.
@Suite(.serialized) struct RunCommandTests {
    @Test func runServesStatusAndStopsCleanlyOnSIGTERM() async throws {
        var logger = Logger(label: "run-test")
        logger.logLevel = .critical
        var options = DemoOptions()
        options.bottles = 100_000
        options.progress = false
        var setup = SimulatedPlant.Setup()
        setup.httpPort = try freeLoopbackPort()
        try await SimulatedPlant.run(options, setup: setup, logger: logger) { plant in
            let config = plant.directory + "/agent.yaml"

            // Given the agent running as its own process (its camera is the configured synthetic source)
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lineagent")
            let process = Process()
            process.executableURL = binary
            process.arguments = ["run", "--config", config, "--log-level", "notice", "--flush-timeout", "2"]
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            let stderr = PipeReader(err.fileHandleForReading)
            let exited = AsyncStream<Int32>.makeStream()
            process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
            try process.run()
            defer { if process.isRunning { process.terminate() } }

            // When the line runs, `lineagent status` shows the running agent
            var status = try await lineagent(["status", "--config", config])
            for _ in 0..<50 where status.status != 0 {
                try await Task.sleep(for: .milliseconds(200))
                status = try await lineagent(["status", "--config", config])
            }
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.contains("demo"), "\(status)")
            plant.simulator.setRunning(true)
            try await LineDemo.waitUntil(timeout: .seconds(20), "20 bottles past the photo-eye") { plant.simulator.counter >= 20 }
            let during = try await lineagent(["status", "--config", config, "--json"])
            #expect(during.status == 0, "\(during)")

            // Then SIGTERM stops it within the flush limit, with exit status 0
            let stopAt = ContinuousClock.now
            plant.simulator.setRunning(false)
            kill(process.processIdentifier, SIGTERM)
            var iterator = exited.stream.makeAsyncIterator()
            let code = await iterator.next()
            let log = String(decoding: await stderr.data(), as: UTF8.self)
            #expect(code == 0, "\(log.suffix(2000))")
            #expect(ContinuousClock.now - stopAt < .seconds(10))
            // And every bottle the PLC counted has its decision in the outbox
            let store = OutboxStore(database: try AgentDatabase(path: plant.plan.outboxPath))
            let decided = try await store.decisionCounts().values.reduce(0, +)
            #expect(decided > 0)
            #expect(UInt64(decided) >= plant.simulator.counter - 1, "decided \(decided), counted \(plant.simulator.counter)")
        }
    }
}

/// `lineagent demo` still runs the simulated line: it hands its arguments to `qazline-demo` beside it.
@Suite struct DemoCommandTests {
    @Test("lineagent demo runs qazline-demo with its arguments and passes on its exit status")
    func demoForwards() async throws {
        let run = try await lineagent(["demo", "--bottles", "40", "--speed", "36000", "--seed", "7"], timeout: 120)
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("QazLine demo summary"))
        #expect(run.stdout.contains("bottles:               40 at 36000 bottles/h"))
        #expect(run.stdout.contains("RECONCILED"))
        let refused = try await lineagent(["demo", "--bottles", "0"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--bottles must be 1-10000000, got 0"), "\(refused)")
    }
}
