import Foundation
import LineConfig
import LineCore
import PLC
import Testing
@testable import AgentRuntime

/// What `lineagent run` under systemd pings the watchdog on: a real line runtime, PLC monitor and outbox on disk
/// (``LineHarness``), with the bottle path or the poll loop held still.
@Suite("The agent's liveness: a hung bottle path or PLC poll loop stops the watchdog, an idle line does not", .serialized)
struct AgentLivenessTests {
    func waitUntil(_ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while await !condition() {
            guard ContinuousClock.now < deadline else { Issue.record("condition not met within 10 s"); return }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("bottles waiting with no decision for the stall limit are a hang; an idle line and a deciding one are alive")
    func bottlePath() async throws {
        // Given a line whose bottle path (LineRuntime.run) is not running: bottles queue up and nobody decides them
        let harness = try LineHarness()
        defer { harness.remove() }
        let liveness = AgentLiveness(lines: [harness.runtime], monitors: [harness.monitor], stallLimit: .milliseconds(300))
        #expect(await liveness.problem() == nil)  // idle: nothing waits
        try await Task.sleep(for: .milliseconds(400))
        #expect(await liveness.problem() == nil)  // still idle, however long
        await harness.runtime.handle(PLCEvent(kind: .recipe(1, previous: nil), time: Date(), instant: .now))
        await harness.bottle(1, payload: "https://\(harness.host)/c/\(harness.code(1).rawValue)", at: .now)
        try await waitUntil { await harness.runtime.tick(); return await harness.runtime.decisionsInFlight > 0 }
        // When the first check sees it waiting, the stall clock starts; after the limit it is a hang
        #expect(await liveness.problem() == nil)
        try await Task.sleep(for: .milliseconds(400))
        let problem = try #require(await liveness.problem())
        #expect(problem.hasPrefix("line \(harness.line.id): 1 bottle(s) waiting and no decision for 0."), "\(problem)")
        // When the bottle path runs again and decides: alive
        async let path: Void = harness.runtime.run()
        try await waitUntil { await harness.runtime.decisionsInFlight == 0 }
        #expect(await liveness.problem() == nil)
        await harness.runtime.finishInFlight()
        await path
    }

    @Test("a PLC link that is up while the poll count stands still is a hang; polling again is alive; a link down is not")
    func pollLoop() async throws {
        let harness = try LineHarness()
        defer { harness.remove() }
        let liveness = AgentLiveness(lines: [harness.runtime], monitors: [harness.monitor], stallLimit: .milliseconds(300))
        // A link that is down (never connected) is not a hang: the monitor reconnects, /ready reports it
        try await Task.sleep(for: .milliseconds(400))
        #expect(await liveness.problem() == nil)
        // Given the line believes the link is up while the monitor does not poll
        await harness.runtime.handle(PLCEvent(kind: .linkUp(endpoint: "memory"), time: Date(), instant: .now))
        #expect(await liveness.problem() == nil)
        try await Task.sleep(for: .milliseconds(400))
        let problem = try #require(await liveness.problem())
        #expect(problem.hasPrefix("line \(harness.line.id): PLC link up but no poll for 0."), "\(problem)")
        // When the monitor polls
        let polling = Task { await harness.monitor.run() }
        try await waitUntil { await harness.monitor.pollCount > 0 }
        #expect(await liveness.problem() == nil)
        polling.cancel()
        await polling.value
    }
}
