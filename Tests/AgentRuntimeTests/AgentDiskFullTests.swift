import AgentRuntime
import Foundation
import LineCore
import LineAgentTesting
import LineDemo
import LineSimulator
import Outbox
import Testing

/// The outbox's disk fills up while the line runs: a real small tmpfs mounted by the test (needs root, as on the
/// development machines and CI; the runner reports the suite skipped otherwise).
@Suite(.serialized, .enabled(if: SmallFileSystem.canMount, "needs root to mount a small tmpfs (mount -t tmpfs)"))
struct AgentDiskFullTests {
    @Test func aFullDiskStopsAcknowledgingRequestsALineStopAndRecoversWithoutLoss() async throws {
        try await SmallFileSystem.with(size: "40m") { small in
            let mountPoint = small.path
            let ballast = mountPoint + "/ballast"

            // Given the agent's outbox on a 40 MiB file system, with outbox.minFreeSpace 16 MiB
            var demo = options(bottles: 260)
            demo.shares = [.unreadable: 0.05, .foreign: 0.05]
            var setup = SimulatedPlant.Setup()
            setup.outboxPath = mountPoint + "/outbox.sqlite"
            setup.minFreeSpace = "16MiB"
            try await SimulatedPlant.run(demo, setup: setup, logger: quiet) { plant in
                let summary = try await withAgent(plant) { agent in
                    try await plant.startLine(agent)
                    try await plant.waitForBottles(60, agent: agent, timeout: .seconds(30))
                    let goodBefore = plant.reports.filter(\.kind.passes).count

                    // When the disk fills up to 8 MiB free
                    let free = small.freeBytes
                    try Data(repeating: 7, count: free - 8 * 1024 * 1024).write(to: URL(fileURLWithPath: ballast))
                    let filledAt = plant.reports.count

                    // Then good bottles are no longer acknowledged but rejected, an alarm is raised and a line stop requested
                    try await LineDemo.waitUntil(timeout: .seconds(10), "the agent to request a line stop") {
                        plant.simulator.report().lineStopRequests >= 1
                    }
                    try await LineDemo.waitUntil(timeout: .seconds(10), "linesim to stop the line") { !plant.simulator.isRunning }
                    try await plant.waitForDecisionsOfCountedBottles(timeout: .seconds(10))
                    let whileFull = plant.reports.filter { $0.sequence > UInt64(filledAt + 2) }
                    #expect(whileFull.allSatisfy { !$0.kind.passes }, "\(whileFull.filter(\.kind.passes))")
                    // A good cap read while the disk was full is rejected as timeout: its decision could not be recorded.
                    // (How many there are depends on which decision first met the full disk: a reject's record stops
                    // the line as well.)
                    let caps = plant.script.contents
                    let goodReadWhileFull = whileFull.filter { caps[$0.sequence] == .good && $0.code != nil }
                    #expect(goodReadWhileFull.allSatisfy { $0.kind == .timeout }, "\(goodReadWhileFull)")
                    let snapshot = await agent.snapshot()
                    #expect(snapshot.alarms.contains { $0.kind == "outbox-unwritable" })
                    #expect(!snapshot.outbox.writable)
                    #expect(!snapshot.ready)

                    // And when space returns the agent says so and withdraws its stop request; the operator restarts the line
                    try FileManager.default.removeItem(atPath: ballast)
                    try await LineDemo.waitUntil(timeout: .seconds(10), "the agent to see the space again") {
                        await agent.snapshot().outbox.writable
                    }
                    #expect(await agent.snapshot().alarms.contains { $0.kind == "outbox-recovered" })
                    plant.simulator.setRunning(true)
                    try await plant.waitForBottles(260, agent: agent, timeout: .seconds(40))
                    #expect(plant.reports.filter(\.kind.passes).count > goodBefore + 50)
                    #expect(try await plant.waitForDelivery(agent, timeout: .seconds(30)))
                    return try await plant.summarize(agent)
                }
                #expect(summary.reconciled, "\(LineDemo.render(summary))")
                #expect(summary.registrar.activated == summary.good)
            }
        }
    }
}
