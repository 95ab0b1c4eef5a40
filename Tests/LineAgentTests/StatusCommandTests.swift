import AgentRuntime
import Delivery
import Foundation
import Hummingbird
import LineAgentTesting
import LineCore
import Logging
import Outbox
import QazAPI
import QazClient
import ServiceLifecycle
import Testing
@testable import LineAgent

/// A snapshot of a busy line with one alarm, taken 2026-11-22 10:15:03 Astana time.
func sampleSnapshot() -> AgentStatusSnapshot {
    let taken = UTCTime.parse("2026-11-22T05:15:03Z")!
    return AgentStatusSnapshot(
        version: "0.1.0", producer: "970101123453", startedAt: taken.addingTimeInterval(-(2 * 3600 + 3 * 60)), takenAt: taken,
        ready: false, notReadyReasons: ["camera line1-side is silent"],
        lines: [LineStatus(
            id: "line1", plcLink: "up", lineState: "running", recipe: 1, lastSequence: 123_456, bottles: 12_345, good: 12_300,
            rejectedByKind: ["no-read": 30, "duplicate": 10, "foreign": 5], bottlesPerHour: 71_980.4, readRate: 0.9964,
            rejectsConfirmed: 45, rejectsMissed: 0, timeouts: 1, decisionLatencyP50Ms: 3.21, decisionLatencyP99Ms: 11.84,
            cameras: [CameraStatus(id: "line1-top", state: "delivering", frames: 12_400, lastFrameAgeSeconds: 0.04, decodeP99Ms: 6.1),
                      CameraStatus(id: "line1-side", state: "silent", frames: 0, lastFrameAgeSeconds: nil, decodeP99Ms: nil)])],
        outbox: OutboxStatus(pending: 1_234, unbatched: 234, openBatches: 1, deadLetters: 2, oldestPendingAgeSeconds: 3.2,
                             delivered: 11_066, lastDeliveryAt: taken.addingTimeInterval(-1), writable: true),
        alarms: [StatusEvent(time: taken.addingTimeInterval(-63), line: "line1", kind: "reject-missed",
                             message: "reject of bottle #123400 not confirmed within 5 bottles")],
        lastErrors: [])
}

@Suite("lineagent status", .serialized)
struct StatusCommandTests {
    @Test("render shows lines, rates, latency, cameras, the queue and alarms in Astana time")
    func renderSample() {
        // Given a snapshot of a running line
        let screen = StatusScreen.render(sampleSnapshot())
        // Then one screen shows it all
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "QazLine agent 0.1.0 · producer 970101123453 · NOT READY · up 2h 03m · at 2026-11-22 10:15:03 +05")
        #expect(lines.contains("  not ready: camera line1-side is silent"))
        #expect(lines.contains("line1  PLC up · line running · recipe 1 · last bottle #123456"))
        #expect(lines.contains("  bottles 12,345  good 12,300  rejected 45 (no-read 30, duplicate 10, foreign 5)"))
        #expect(lines.contains("  71,980 bottles/h · read rate 99.6% · decision p50 3.2 ms p99 11.8 ms"))
        #expect(lines.contains("  rejects confirmed 45, missed 0 · timeouts 1"))
        #expect(lines.contains("  camera line1-top  delivering · 12,400 frames · last frame 0.0 s ago · decode p99 6.1 ms"))
        #expect(lines.contains("  camera line1-side  silent · 0 frames · last frame - · decode p99 -"))
        #expect(lines.contains("  pending 1,234 (unbatched 234, open batches 1) · oldest pending 3.2 s"))
        #expect(lines.contains("  delivered 11,066 since start · last delivery 2026-11-22 10:15:02 +05"))
        #expect(lines.contains("  dead letters 2  (lineagent outbox list --dead)"))
        #expect(lines.contains("ALARMS (1)"))
        #expect(lines.contains("  2026-11-22 10:14:00 +05  line1  reject-missed  reject of bottle #123400 not confirmed within 5 bottles"))
        #expect(lines.contains("LAST ERRORS (0)"))
        #expect(lines.count <= 30, "one screen")
    }

    @Test("an outbox that refuses writes is shouted, and more than ten alarms are summarised")
    func renderUnwritableAndManyAlarms() {
        var snapshot = sampleSnapshot()
        snapshot.outbox.writable = false
        snapshot.alarms = (0..<12).map { StatusEvent(time: snapshot.takenAt, line: nil, kind: "outbox-disk-full", message: "disk full \($0)") }
        let screen = StatusScreen.render(snapshot)
        #expect(screen.contains("OUTBOX  NOT WRITABLE (disk full or low space: bottles are rejected)"))
        #expect(screen.contains("ALARMS (12)"))
        #expect(screen.contains("  2026-11-22 10:15:03 +05  agent  outbox-disk-full  disk full 9"))
        #expect(!screen.contains("disk full 10"))
        #expect(screen.contains("  … 2 more"))
    }

    @Test("with the agent not running: says so, prints the outbox from its file, exits 3")
    func notRunning() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        // Given an outbox with two good bottles, one no-read and a dead letter, and no agent listening
        let store = try fixture.store()
        let decided = UTCTime.parse("2026-11-22T05:00:00Z")!
        _ = try await store.append(contentsOf: [
            goodDecision(1, stamp(1), at: decided), goodDecision(2, stamp(2), at: decided.addingTimeInterval(1)),
            BottleDecision(lineID: "line1", bottleSequence: 3, decidedAt: decided.addingTimeInterval(2), product: nil, verdict: .noRead),
        ])
        let batch = try #require(try await store.beginBatch(limit: 10, equipmentId: "line1-top"))
        try await store.complete(batch, outcomes: [
            .rejected(ActivationResult(code: stamp(1).rawValue, result: .foreign, reason: "issued to another participant")),
            .retry(after: nil, reason: "HTTP 503"),
        ])

        // When the operator asks for the status
        let run = try await lineagent(["status", "--config", fixture.configPath])

        // Then it says the agent is not running and shows the outbox read from the file
        #expect(run.status == 3, "\(run)")
        #expect(run.stdout.hasPrefix("AGENT NOT RUNNING: no answer from http://127.0.0.1:1/status (connection refused)"), "\(run)")
        #expect(run.stdout.contains("OUTBOX (read from \(fixture.outboxPath) at "))
        #expect(run.stdout.contains("  pending 1 (unbatched 0, open batches 1) · oldest pending 2026-11-22 10:00:01 +05"))
        #expect(run.stdout.contains("  dead letters 1"))
        #expect(run.stdout.contains("    \(stamp(1).rawValue)  line1 #1  foreign  issued to another participant"))
        #expect(run.stdout.contains("  decisions recorded 3 (good 2, no-read 1)"))
        #expect(run.stderr.isEmpty, "\(run)")

        // And --json carries the same in a stable shape
        let json = try await lineagent(["status", "--config", fixture.configPath, "--json"])
        #expect(json.status == 3)
        let report = try AgentStatusSnapshot.decoder().decode(StatusReport.self, from: Data(json.stdout.utf8))
        #expect(report.running == false)
        #expect(report.snapshot == nil)
        #expect(report.problem?.contains("connection refused") == true)
        #expect(report.outboxFile?.pending == 1)
        #expect(report.outboxFile?.deadLetters == 1)
        #expect(report.outboxFile?.decisions == ["good": 2, "no-read": 1])
    }

    @Test("with no outbox file and no agent: says both, creates nothing")
    func nothingYet() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let run = try await lineagent(["status", "--config", fixture.configPath])
        #expect(run.status == 3)
        #expect(run.stdout.contains("AGENT NOT RUNNING"))
        #expect(run.stdout.contains("OUTBOX  no outbox file yet"))
        #expect(!FileManager.default.fileExists(atPath: fixture.outboxPath))
    }

    @Test("with an agent answering GET /status: its snapshot on one screen, exit 0")
    func runningAgent() async throws {
        // Given a real HTTP server on loopback answering /status with the sample snapshot
        let body = try AgentStatusSnapshot.encoder().encode(sampleSnapshot())
        let router = Router()
        router.get("status") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "fake-agent")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                let fixture = try AgentFixture(agentPort: port)
                defer { fixture.cleanup() }
                // When the operator asks for the status
                let run = try await lineagent(["status", "--config", fixture.configPath])
                // Then the agent's own snapshot is rendered, and the outbox file is not touched
                #expect(run.status == 0, "\(run)")
                #expect(run.stdout == StatusScreen.render(sampleSnapshot()))
                #expect(!FileManager.default.fileExists(atPath: fixture.outboxPath))
                let json = try await lineagent(["status", "--config", fixture.configPath, "--json"])
                let report = try AgentStatusSnapshot.decoder().decode(StatusReport.self, from: Data(json.stdout.utf8))
                #expect(report.running)
                #expect(report.snapshot == sampleSnapshot())
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("a broken configuration is reported like check-config, exit 1")
    func brokenConfig() async throws {
        let broken = repositoryRoot.appendingPathComponent("Tests/Fixtures/config/agent-several-problems/agent.yaml").path
        let run = try await lineagent(["status", "--config", broken])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("agent.yaml:25 products[0].capacityMl: expected millilitres 1-30000, got -5"))
        #expect(run.stderr.contains("4 problems found in"))
        #expect(!run.stderr.contains("Error:"), "no argument-parser noise: \(run.stderr)")
    }
}

/// A good decision for `code` on line1 with a known product.
func goodDecision(_ sequence: UInt64, _ code: StampCode, at date: Date) -> BottleDecision {
    BottleDecision(lineID: "line1", bottleSequence: sequence, decidedAt: date,
                   product: Product(dsnCode: "KZ-VDK-0001", name: "Example Vodka", type: "vodka", capacityMl: 500, strength: 40),
                   verdict: .good(code))
}
