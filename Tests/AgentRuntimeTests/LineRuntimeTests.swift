import ConfigKit
import Foundation
import LineAgentTesting
import LineConfig
import LineCore
import LineDecisions
import Logging
import Outbox
import PLC
import Testing
import Vision
@testable import AgentRuntime

/// The line's bottle path without the cameras and the PLC's polling: PLC triggers and camera frames are fed to the
/// runtime; its commands go through the ordered channel to a real ``PLCMonitor`` over the in-memory PLC; its
/// decisions go to a real outbox on disk.
struct LineHarness {
    let line: LineConfiguration
    let runtime: LineRuntime
    let monitor: PLCMonitor
    let link: MemoryPLCLink
    let commands: PLCCommandChannel
    let store: OutboxStore
    let facts: InMemoryCodeFacts
    let folder: URL
    let camera: String
    let host = "qr.example.kz"

    static let quiet = Logger(label: "line-runtime-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    init(clock: any LineClock = SystemLineClock(), deadline: Duration = .milliseconds(100)) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let plan = try AgentPlan.load(contentsOf: root.appendingPathComponent("Config/agent.example.yaml"))
        var line = plan.configuration.lines[0]
        line.reject.decisionDeadline = ConfigDuration(deadline)
        self.line = line
        camera = line.cameras[0].id
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("qazline-line-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = OutboxStore(database: try AgentDatabase(path: folder.appendingPathComponent("outbox.sqlite").path))
        link = MemoryPLCLink(registers: line.plc.registers)
        var options = PLCMonitor.Options(plc: line.plc, reject: line.reject)
        options.pollInterval = .milliseconds(1)
        monitor = PLCMonitor(link: link, options: options, logger: Self.quiet, clock: clock)
        commands = PLCCommandChannel()
        facts = InMemoryCodeFacts()
        let products = Dictionary(plan.configuration.products.map { ($0.recipe, $0.product) }, uniquingKeysWith: { a, _ in a })
        let decider = LineDecider(lineID: line.id, mode: .triggered, rules: try plan.configuration.payload.rules(), products: products,
                                  consecutiveFailureAlarm: 1_000_000)
        runtime = LineRuntime(configuration: line, decider: decider, commands: commands, facts: facts, store: store,
                              metrics: AgentMetrics(), events: AgentEventLog(), options: LineRuntime.Options(pollInterval: .milliseconds(1)),
                              logger: Self.quiet, clock: clock, notifyAppended: {})
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// A code of this test (20 characters of 0-9A-Z).
    func code(_ number: Int) -> StampCode {
        let digits = String(number)
        return StampCode(trusted: "QZT" + String(repeating: "0", count: 17 - digits.count) + digits)
    }

    /// One bottle: its frame (exposed 4 ms before its trigger is observed), then its trigger.
    func bottle(_ sequence: UInt64, payload: String?, at instant: ContinuousClock.Instant) async {
        let info = FrameInfo(sequence: sequence, capturedAt: Date(), capturedInstant: instant.advanced(by: .milliseconds(-4)), dropped: 0)
        let codes = payload.map { [DecodedCode(bytes: Array($0.utf8), decoder: .zxing, corners: [])] } ?? []
        await runtime.handle(.frame(CameraFrameResult(camera: camera, info: info, codes: codes, stages: [], total: .milliseconds(1), overruns: [])))
        await runtime.handle(PLCEvent(kind: .bottle(sequence: sequence), time: Date(), instant: instant))
    }

    /// The sequences of the reject commands the PLC received, in the order it received them.
    func rejectsAtThePLC() async -> [Int64] {
        await link.writeLog.flatMap { $0 }.filter { $0.0 == .rejectSequence }.map(\.1)
    }
}

@Suite("The line's bottle path: ordered commands, structured writes, lookups off the pool", .serialized)
struct LineRuntimeTests {
    /// What bottle `n` carries: a good code (most), a malformed payload, nothing, or a code used before.
    enum Cap { case good, malformed, none, duplicate }
    func cap(_ n: Int) -> Cap { [Cap.good, .good, .malformed, .good, .none, .good, .duplicate][n % 7] }

    func payload(_ harness: LineHarness, _ n: Int) -> String? {
        switch cap(n) {
        case .good, .duplicate: "https://\(harness.host)/c/\(harness.code(n).rawValue)"
        case .malformed: "https://evil.example.com/c/\(harness.code(n).rawValue)"
        case .none: nil
        }
    }

    /// Runs the line's bottle path and its PLC service as in the agent, feeds `count` bottles as fast as they come,
    /// then shuts down gracefully at once (with decisions, writes and commands in flight). Returns how many bottles
    /// were queued or not yet written when the shutdown began.
    @discardableResult
    func runLine(_ harness: LineHarness, count: Int) async throws -> Int {
        var inFlightAtShutdown = 0
        for n in 1...count where cap(n) == .duplicate { harness.facts.markSeen(harness.code(n)) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await harness.runtime.run() }
            group.addTask { await harness.monitor.run() }
            group.addTask {
                await harness.monitor.follow(harness.commands)
                _ = await harness.monitor.waitForQueuedRejects(limit: .seconds(30))
            }
            await harness.runtime.handle(PLCEvent(kind: .recipe(1, previous: nil), time: Date(), instant: .now))
            let start = ContinuousClock.now
            for n in 1...count {
                await harness.bottle(UInt64(n), payload: payload(harness, n), at: start.advanced(by: .microseconds(n * 200)))
            }
            // Shutdown with everything in flight: every decision made and written, then the channel closes.
            inFlightAtShutdown = await harness.runtime.decisionsInFlight
            await harness.runtime.finishInFlight()
            await group.next()  // the bottle path
            await group.next()  // the PLC channel (applied and queued rejects written)
            group.cancelAll()   // the poll loop
        }
        return inFlightAtShutdown
    }

    @Test("under load, rejects reach the PLC in the order the bottles were decided, and none is lost")
    func rejectsInDecisionOrder() async throws {
        let harness = try LineHarness()
        defer { harness.remove() }
        let count = 2_000
        try await runLine(harness, count: count)
        let expected = (1...count).filter { cap($0) != .good }.map(Int64.init)
        let rejects = await harness.rejectsAtThePLC()
        #expect(rejects.count == expected.count)
        #expect(rejects == expected, "rejects out of decision order or missing")
    }

    @Test("a shutdown with decisions, writes and commands in flight loses no commit and no command")
    func shutdownLosesNothing() async throws {
        let harness = try LineHarness()
        defer { harness.remove() }
        let count = 1_000
        let inFlight = try await runLine(harness, count: count)
        #expect(inFlight > 0, "the shutdown must begin with bottles not yet decided or written")
        #expect(await harness.runtime.decisionsInFlight == 0)
        // Every bottle's decision is on disk, good ones as activations.
        let decisions = try await harness.store.decisionCounts()
        #expect(decisions.values.reduce(0, +) == count)
        let good = (1...count).filter { cap($0) == .good }.count
        #expect(try await harness.store.depth().pending == good)
        // Every good bottle was acknowledged to the PLC, every bad one rejected.
        #expect(await harness.monitor.goodCount == Int64(good))
        #expect(await harness.rejectsAtThePLC().count == count - good)
        #expect(await harness.monitor.hasUnsentRejects == false)
    }

    @Test("a failed outbox read rejects the bottle and says why, never passes it as unseen")
    func lookupFailureIsFailSafe() async throws {
        let harness = try LineHarness()
        defer { harness.remove() }
        struct ReadFailure: Error, CustomStringConvertible { var description: String { "disk I/O error" } }
        harness.facts.fail(with: ReadFailure())
        try await runLine(harness, count: 7)
        // Bottles with a code could not be checked: rejected as timeout; the others are rejected for what they are.
        #expect(await harness.rejectsAtThePLC().count == 7)
        #expect(await harness.monitor.goodCount == 0)
        let status = await harness.runtime.status()
        #expect(status.good == 0)
        #expect(status.rejectedByKind["timeout"] == (1...7).filter { cap($0) == .good || cap($0) == .duplicate }.count)
    }

    @Test("a bottle without a frame is decided at its deadline on the test clock, without sleeping")
    func deadlineOnTheTestClock() async throws {
        let clock = ManualLineClock()
        let harness = try LineHarness(clock: clock, deadline: .milliseconds(80))
        defer { harness.remove() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await harness.runtime.run() }
            group.addTask { await harness.monitor.follow(harness.commands) }
            await harness.runtime.handle(PLCEvent(kind: .recipe(1, previous: nil), time: Date(), instant: clock.now))
            // The camera delivers bottle 1's frame, then bottle 2 passes without one.
            await harness.bottle(1, payload: "https://qr.example.kz/c/\(harness.code(1).rawValue)", at: clock.now)
            clock.advance(by: .milliseconds(50))
            await harness.runtime.handle(PLCEvent(kind: .bottle(sequence: 2), time: Date(), instant: clock.now))
            await harness.runtime.tick()
            #expect(await harness.runtime.status().bottles <= 1, "bottle 2 must still be waiting for its frame")
            clock.advance(by: .milliseconds(81))
            await harness.runtime.tick()
            await harness.runtime.finishInFlight()
            await group.waitForAll()
        }
        let status = await harness.runtime.status()
        #expect(status.bottles == 2)
        #expect(status.rejectedByKind["no-read"] == 1, "\(status.rejectedByKind)")
    }
}
