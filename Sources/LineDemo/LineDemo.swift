import AgentRuntime
import ConfigKit
import Foundation
import LineConfig
import LineCore
import LineSimulator
import Logging
import Outbox
import PLC
import QazAPI
import QazClient
import QazServer
import ServiceLifecycle
import Synchronization
import Vision

/// How the simulated line runs.
public struct DemoOptions: Sendable {
    /// Bottles to fill.
    public var bottles = 1_000
    /// Line speed.
    public var bottlesPerHour = 36_000.0
    /// Share of each kind of bad cap.
    public var shares: [CapContent: Double] = [.unreadable: 0.03, .damaged: 0.02, .duplicate: 0.02, .foreign: 0.02]
    /// Seed of the caps and the frames.
    public var seed: UInt64 = 2024
    /// Working directory (agent config, outbox, registrar database); nil: a temporary one, removed at the end.
    public var workDirectory: String?
    /// Print progress once a second (to standard error).
    public var progress = true
    /// Stop waiting for delivery after this long once the line stopped.
    public var deliveryTimeout: Duration = .seconds(60)
    public init() {}
}

/// What the demo prints at the end, and writes with `--summary-json`.
public struct DemoSummary: Codable, Sendable {
    public struct Registrar: Codable, Sendable {
        /// Codes the registrar holds as activated for the producer.
        public var activated: Int
        /// The producer's App. 10 report for the month.
        public var month: String
        public var openingBalance: Int
        public var received: Int
        public var used: Int
        public var closingBalance: Int
    }
    public var bottles: Int
    public var bottlesPerHour: Double
    public var good: Int
    /// Rejected bottles by decision kind.
    public var rejectedByReason: [String: Int]
    /// Caps by what the script put on them.
    public var capsByContent: [String: Int]
    /// Bad caps that got a good decision (must be 0).
    public var badCapsPassed: Int
    /// Good caps rejected (vision misses, deadline): their codes stay unused.
    public var goodCapsRejected: Int
    /// From the simulated PLC: reject commands that came after the bottle passed the station, and bad bottles that
    /// passed the station without a command (both must be 0).
    public var rejectsLate: Int
    public var rejectsMissed: Int
    /// Trigger-to-decision latency, milliseconds.
    public var decisionLatencyP50Ms: Double
    public var decisionLatencyP99Ms: Double
    public var decisionDeadlineMs: Double
    /// Activations the agent sent and the registrar accepted; left in the outbox.
    public var activationsSent: Int
    public var activationsAccepted: Int
    public var outboxPending: Int
    public var registrar: Registrar
    /// Bottles that went wrong (a bad cap passed, a good cap rejected): sequence, cap, decision; at most 20.
    public var problemBottles: [String]
    /// Each reconciliation check and whether it holds.
    public var checks: [String: Bool]
    public var reconciled: Bool { checks.values.allSatisfy { $0 } }
}

/// A complete simulated line on embedded defaults: `linesim` as the PLC (Modbus TCP on loopback), generated cap
/// frames as a hardware-triggered camera, the agent, and the registrar on SQLite over loopback HTTP.
public enum LineDemo {
    public static let producerBIN = "980515400019"
    public static let producerName = "Demo Distillery LLP"
    public static let otherBIN = "970101200003"

    /// Runs the demo and returns its summary.
    public static func run(_ options: DemoOptions, logger: Logger,
                           status: @escaping @Sendable (String) -> Void = { _ in }) async throws -> DemoSummary {
        let temporary = options.workDirectory == nil
        let directory = options.workDirectory ?? NSTemporaryDirectory() + "qazline-demo-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if temporary { try? FileManager.default.removeItem(atPath: directory) } }

        // 1. The registrar, on SQLite, over loopback HTTP.
        let registrar = try await DemoRegistrar.start(path: directory + "/registrar.sqlite", logger: logger)
        defer { Task { await registrar.stop() } }
        let producer = TaxpayerID(producerBIN)!
        let other = TaxpayerID(otherBIN)!
        let foreignCount = max(10, Int(Double(options.bottles) * (options.shares[.foreign] ?? 0) * 2) + 10)
        let producerCodes = try await registrar.issue(count: options.bottles + 50, to: producer, name: producerName, waybill: "WB-DEMO-1")
        let foreignCodes = try await registrar.issue(count: foreignCount, to: other, name: "Other Producer LLP", waybill: "WB-DEMO-2")
        status("registrar: 127.0.0.1:\(registrar.port), \(producerCodes.count) codes issued to \(producerBIN), \(foreignCodes.count) to \(otherBIN)")

        // 2. The PLC: linesim, stopped until the agent is connected.
        let plan0 = try DemoFiles.write(to: directory, plcPort: 502, serverPort: registrar.port, token: registrar.producerToken)
        var simulation = SimulatorConfiguration(registers: plan0.configuration.lines[0].plc.registers)
        simulation.bottlesPerHour = options.bottlesPerHour
        simulation.bottleLimit = options.bottles
        simulation.startRunning = false
        simulation.periodJitter = 0.1
        simulation.stationOffset = plan0.configuration.lines[0].reject.stationOffset
        let simulator = LineSimulator(configuration: simulation)
        let plcPort = try simulator.start()
        defer { simulator.stop() }
        let plan = try DemoFiles.write(to: directory, plcPort: plcPort, serverPort: registrar.port, token: registrar.producerToken)
        status("linesim: Modbus TCP 127.0.0.1:\(plcPort), \(Int(options.bottlesPerHour)) bottles/h, \(options.bottles) bottles")

        // 3. The caps, and the bottles the line must reject.
        let script = CapScript(producerCodes: producerCodes, foreignCodes: foreignCodes, shares: options.shares, seed: options.seed,
                               onBadCap: { simulator.expectRejects([$0]) })
        simulator.expectRejects([])  // from now on linesim checks that exactly the bad caps are rejected

        // 4. The agent, with its local pool synced from the registrar (as `lineagent pool sync` does).
        let reports = Mutex<[BottleReport]>([])
        var overrides = LineAgentRuntime.Overrides()
        overrides.httpPort = 0
        overrides.frameSource = { _, camera, _ in
            SimulatedLineCamera(name: "demo:\(camera.id)", simulator: simulator, script: script, seed: options.seed)
        }
        overrides.onBottle = { report in
            reports.withLock { $0.append(report) }
            if report.kind.passes, let code = report.code { script.markPassed(code.rawValue) }
        }
        let pooled = try await DemoRegistrar.syncPool(plan: plan, store: try plan.openOutbox())
        let agent = try LineAgentRuntime(plan: plan, overrides: overrides, logger: logger)
        status("agent: outbox \(plan.outboxPath), pool \(pooled) codes")
        let group = agent.makeServiceGroup()
        let summary: DemoSummary
        do {
            summary = try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                defer { tasks.cancelAll() }
                // Start the line once the agent follows the PLC.
                try await waitUntil(timeout: .seconds(30), "the agent to connect to linesim") {
                    await agent.snapshot().lines.first?.plcLink == "up"
                }
                simulator.setRunning(true)
                let started = ContinuousClock.now
                var lastPrint = started
                while reports.withLock({ $0.count }) < options.bottles {
                    try await Task.sleep(for: .milliseconds(100))
                    let now = ContinuousClock.now
                    if options.progress, now - lastPrint >= .seconds(1) {
                        lastPrint = now
                        status(progressLine(await agent.snapshot(), total: options.bottles))
                    }
                    if simulator.isFinished, now - started > .seconds(5),
                       reports.withLock({ $0.count }) >= Int(simulator.counter) {
                        break
                    }
                    let expected = Duration.seconds(Double(options.bottles) * 3_600 / options.bottlesPerHour)
                    if now - started > expected * 2 + .seconds(30) {
                        throw AgentSetupError("the line did not finish: \(reports.withLock { $0.count }) of \(options.bottles) bottles decided")
                    }
                }
                // Let the last bottles reach the station, then wait for delivery.
                try await Task.sleep(for: .milliseconds(300))
                status("line finished; waiting for the outbox to drain")
                let deadline = ContinuousClock.now + options.deliveryTimeout
                while ContinuousClock.now < deadline {
                    if try await agent.store.depth().pending == 0 { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                await group.triggerGracefulShutdown()
                try await tasks.next()
                return try await summarize(options: options, plan: plan, agent: agent, simulator: simulator, script: script,
                                           reports: reports.withLock { $0 }, registrar: registrar)
            }
        } catch {
            await agent.close()
            throw error
        }
        await agent.close()
        return summary
    }

    static func progressLine(_ snapshot: AgentStatusSnapshot, total: Int) -> String {
        guard let line = snapshot.lines.first else { return "" }
        let rejected = line.rejectedByKind.values.reduce(0, +)
        let p99 = line.decisionLatencyP99Ms.map { String(format: "%.1f ms", $0) } ?? "-"
        let decode = line.cameras.first?.decodeP99Ms.map { String(format: "%.1f ms", $0) } ?? "-"
        return "bottles \(line.bottles)/\(total)  good \(line.good)  rejected \(rejected)  decision p99 \(p99)  decode p99 \(decode)  "
            + "outbox pending \(snapshot.outbox.pending)  delivered \(snapshot.outbox.delivered)"
    }

    static func waitUntil(timeout: Duration, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            if ContinuousClock.now > deadline { throw AgentSetupError("timed out after \(timeout) waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func summarize(options: DemoOptions, plan: AgentPlan, agent: LineAgentRuntime, simulator: LineSimulator,
                          script: CapScript, reports: [BottleReport], registrar: DemoRegistrar) async throws -> DemoSummary {
        let sim = simulator.report()
        let caps = script.caps
        var byReason: [String: Int] = [:]
        var good = 0, badPassed = 0, goodRejected = 0
        var problems: [String] = []
        for report in reports.sorted(by: { $0.sequence < $1.sequence }) {
            if report.kind.passes { good += 1 } else { byReason[report.kind.rawValue, default: 0] += 1 }
            let content = caps[report.sequence]?.content ?? .unreadable
            if content != .good, report.kind.passes { badPassed += 1 }
            if content == .good, !report.kind.passes { goodRejected += 1 }
            if (content == .good) != report.kind.passes, problems.count < 20 {
                problems.append("bottle \(report.sequence): cap \(content.rawValue), decided \(report.kind.rawValue) after "
                                + String(format: "%.1f ms", report.latency.inMilliseconds) + " with \(report.frames) frame(s)")
            }
        }
        var capsByContent: [String: Int] = [:]
        for report in reports { capsByContent[(caps[report.sequence]?.content ?? .unreadable).rawValue, default: 0] += 1 }
        let latencies = reports.map(\.latency.inMilliseconds).sorted()
        let depth = try await agent.store.depth()
        let sent = try await agent.store.sentActivations()
        let month = ReportingMonth.containing(Date())
        let usage = try await registrar.usageReport(bin: producerBIN, month: month)
        let activatedOnServer = try await registrar.activatedCount(bin: TaxpayerID(producerBIN)!)
        let deadline = plan.configuration.lines[0].reject.decisionDeadline.duration.inMilliseconds
        let goodCodes = Set(reports.filter(\.kind.passes).compactMap { $0.code?.rawValue })
        let checks: [String: Bool] = [
            "every bottle decided": reports.count == Int(sim.bottles),
            "bad caps passed = 0": badPassed == 0,
            "rejects late = 0": sim.tooLate.isEmpty,
            "rejects missed = 0": sim.neverCommanded.isEmpty,
            "good bottles = distinct good codes": goodCodes.count == good,
            "activations sent = good bottles": sent == good,
            "accepted by the registrar = good bottles": agent.outboxWatch.delivered == good,
            "registrar activated = good bottles": activatedOnServer == good,
            "App. 10 used = good bottles": usage.used == good,
            "App. 10 received = codes issued": usage.received == registrar.issuedTo[producerBIN],
            "App. 10 closing = opening + received - used":
                usage.closingBalance == usage.openingBalance + usage.received - usage.used,
            "outbox empty": depth.pending == 0,
        ]
        return DemoSummary(
            bottles: reports.count, bottlesPerHour: options.bottlesPerHour, good: good, rejectedByReason: byReason,
            capsByContent: capsByContent, badCapsPassed: badPassed, goodCapsRejected: goodRejected,
            rejectsLate: sim.tooLate.count, rejectsMissed: sim.neverCommanded.count,
            decisionLatencyP50Ms: latencies.isEmpty ? 0 : percentile(ofSorted: latencies, 0.5),
            decisionLatencyP99Ms: latencies.isEmpty ? 0 : percentile(ofSorted: latencies, 0.99), decisionDeadlineMs: deadline,
            activationsSent: sent, activationsAccepted: agent.outboxWatch.delivered, outboxPending: depth.pending,
            registrar: .init(activated: activatedOnServer, month: month.description, openingBalance: usage.openingBalance,
                             received: usage.received, used: usage.used, closingBalance: usage.closingBalance),
            problemBottles: problems, checks: checks)
    }

    /// The summary for people.
    public static func render(_ s: DemoSummary) -> String {
        let reasons = s.rejectedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let caps = s.capsByContent.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        var lines = [
            "QazLine demo summary",
            "  bottles:               \(s.bottles) at \(Int(s.bottlesPerHour)) bottles/h",
            "  caps on the line:      \(caps)",
            "  good (passed):         \(s.good)",
            "  rejected:              \(s.bottles - s.good) (\(reasons.isEmpty ? "none" : reasons))",
            "  bad caps passed:       \(s.badCapsPassed)",
            "  good caps rejected:    \(s.goodCapsRejected) (vision misses or late decisions; codes stay unused)",
            "  rejects late/missed:   \(s.rejectsLate)/\(s.rejectsMissed) (linesim at the reject station)",
            String(format: "  decision latency:      p50 %.1f ms, p99 %.1f ms (deadline %.0f ms)", s.decisionLatencyP50Ms,
                   s.decisionLatencyP99Ms, s.decisionDeadlineMs),
            "  activations sent:      \(s.activationsSent); accepted by the registrar: \(s.activationsAccepted); left in the outbox: \(s.outboxPending)",
            "  registrar:             \(s.registrar.activated) codes of \(producerBIN) activated",
            "  App. 10 \(s.registrar.month):     opening \(s.registrar.openingBalance) + received \(s.registrar.received) - used \(s.registrar.used) = closing \(s.registrar.closingBalance)",
            "  reconciliation:",
        ]
        for (check, holds) in s.checks.sorted(by: { $0.key < $1.key }) {
            lines.append("    \(holds ? "ok  " : "FAIL") \(check)")
        }
        if !s.problemBottles.isEmpty {
            lines.append("  bottles to look at:")
            lines += s.problemBottles.map { "    \($0)" }
        }
        lines.append(s.reconciled ? "  RECONCILED" : "  NOT RECONCILED")
        return lines.joined(separator: "\n")
    }
}
