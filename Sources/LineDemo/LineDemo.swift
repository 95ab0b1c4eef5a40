import AgentConsole
import Aggregation
import AgentRuntime
import ConsoleKit
import ConfigKit
import Foundation
import LabelPrinting
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
    /// Called about once a second with the agent's status while the line runs (benchmarks sample RSS here).
    public var onProgress: @Sendable (AgentStatusSnapshot) -> Void = { _ in }
    /// Serve the line console on the agent's HTTP endpoint.
    public var console = true
    /// The agent's HTTP port, where the console is (0: any free port).
    public var consolePort = 0
    /// The password of the demo's console users `operator` and `engineer` (nil: a random one, announced).
    public var consolePassword: String?
    /// Called once the console listens, with its address and users.
    public var onConsole: @Sendable (DemoConsole) -> Void = { _ in }
    /// Awaited after the console is announced and before the line starts (benchmarks open browsers here).
    public var beforeLineStarts: @Sendable () async -> Void = {}
    /// After the summary, keep the agent (with its console) and the registrar running until this returns; it gets
    /// the summary to show first.
    public var hold: (@Sendable (DemoSummary) async -> Void)?
    /// Pack the passed bottles into cases at a case station (camera over the open case, the station's PLC). Off for
    /// library callers (tests that look at bottles only); `qazline-demo` and `lineagent demo` turn it on by default.
    public var caseStation = false
    /// Bottles in a case (12, 20 or 24).
    public var bottlesPerCase = 12
    /// Whether the agent assigns case codes and prints them (on a test label printer on loopback) instead of reading
    /// pre-printed case labels.
    public var printedCaseCodes = false
    /// The share of cases the packer gets wrong.
    public var caseDefects = CasePacker.Shares.demo
    /// Cases on a pallet (pallets are built automatically from the station's good cases).
    public var casesPerPallet = 10
    /// Run the registrar's trade half: signed stamp applications before the waybills, and after the line a signed order
    /// of activated bottles to a wholesaler, its counter-order, the extracts and a signed App. 10 (needs `openssl`).
    public var trade = false
    /// The retail step after trade (with `trade`): bottles the shop buys, its registers, the simulated hours of its tills.
    public var retail = DemoRetailOptions()
    /// How often the resource figures (``ResourceFigures``) are sampled and printed while the line runs.
    public var sampleEvery: Duration = .seconds(60)
    /// The log level of the demo's registrar (nil: the demo logger's level, but at least `warning`).
    public var registrarLogLevel: Logger.Level?
    /// Called once the registrar holds its tokens, with every credential the run made (name → secret), for tests that
    /// check no secret reaches a log.
    public var onSecrets: @Sendable ([String: String]) -> Void = { _ in }
    public init() {}
}

/// Where the demo's consoles are and how to sign in.
public struct DemoConsole: Sendable {
    /// The line console, `http://127.0.0.1:PORT/`.
    public var url: String
    /// The console's users: name, role and password.
    public var users: [(name: String, role: String, password: String)]
    /// The registrar's console, `http://127.0.0.1:PORT/`, and a registrar token to sign in with.
    public var registrarURL: String
    public var registrarToken: String
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
    /// The fewest bottles a reject command arrived ahead of its bottle at the station (linesim), nil without rejects.
    public var leastBottlesToSpare: Int64?
    /// Activations the agent sent and the registrar accepted; left in the outbox.
    public var activationsSent: Int
    public var activationsAccepted: Int
    public var outboxPending: Int
    /// Good bottles rejected after their activation was sent (their decision came too late): activated, off the line,
    /// allowed to pass once more as `reworked`.
    public var rejectedAfterActivation: Int
    public var registrar: Registrar
    /// The case station's reconciliation (nil without a case station).
    public var cases: CaseSummary?
    /// The trade step (nil without it).
    public var trade: DemoTradeSummary?
    /// The retail step (nil without it).
    public var retail: DemoRetailSummary?
    /// Memory and file sizes at the start and the end of the line, with the growth per 1,000 bottles.
    public var resources: ResourceFigures?
    /// Bottles that went wrong: every bad cap passed, up to 10 good caps rejected, up to 10 late and 10 missed rejects
    /// at the station; each with its cap, decision, latency and frames.
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
    /// The demo producer's GS1 company prefix (case and pallet SSCCs).
    public static let companyPrefix = "4870001"

    /// Runs the demo and returns its summary.
    public static func run(_ options: DemoOptions, logger: Logger,
                           status: @escaping @Sendable (String) -> Void = { _ in }) async throws -> DemoSummary {
        let plant = try await SimulatedPlant.start(options, logger: logger, status: status)
        do {
            let summary = try await run(plant, logger: logger, status: status)
            await plant.stop()
            return summary
        } catch {
            await plant.stop()
            throw error
        }
    }

    static func run(_ plant: SimulatedPlant, logger: Logger, status: @escaping @Sendable (String) -> Void) async throws -> DemoSummary {
        let options = plant.options
        var overrides = LineAgentRuntime.Overrides()
        overrides.httpPort = options.consolePort
        var users: [(name: String, role: String, password: String)] = []
        if options.console {
            overrides.http = try AgentConsole(configuration: plant.plan.configuration.console, logger: logger)
        }
        let agent = try plant.makeAgent(overrides, logger: logger)
        if options.console {
            let password = options.consolePassword ?? String(SessionStore.token().prefix(12))
            options.onSecrets(["console password": password])
            for role in ConsoleAccount.Role.allCases {
                try await plant.ensureUser(role.rawValue, role: role, password: password, in: agent.store)
                users.append((role.rawValue, role.rawValue, password))
            }
        }
        let group = agent.makeServiceGroup()
        do {
            let summary = try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                defer { tasks.cancelAll() }
                if options.console {
                    try await waitUntil(timeout: .seconds(30), "the agent's HTTP endpoint") { agent.httpPort != nil }
                    options.onConsole(DemoConsole(url: "http://127.0.0.1:\(agent.httpPort ?? 0)/", users: users,
                                                  registrarURL: plant.registrar.consoleURL, registrarToken: plant.registrar.consoleToken))
                }
                await options.beforeLineStarts()
                let sampler = ResourceSampler(outboxPath: plant.plan.outboxPath, registrarPath: plant.registrarPath, every: options.sampleEvery)
                status("resources at start: " + ResourceSampler.describe(sampler.start(bottles: 0, pending: try await agent.store.depth().pending)))
                try await plant.startLine(agent)
                let expected = Duration.seconds(Double(options.bottles) * 3_600 / options.bottlesPerHour)
                try await plant.waitForBottles(options.bottles, agent: agent, timeout: expected * 2 + .seconds(30)) { snapshot in
                    options.onProgress(snapshot)
                    if options.progress { status(progressLine(snapshot, total: options.bottles)) }
                    if let sample = sampler.tick(bottles: plant.reports.count, pending: snapshot.outbox.pending) {
                        status("resources: " + ResourceSampler.describe(sample))
                    }
                }
                // Let the last bottles reach the station, then wait for delivery.
                try await Task.sleep(for: .milliseconds(300))
                if plant.packer != nil {
                    status("line finished; waiting for the last cases")
                    try await plant.waitForCases(timeout: .seconds(30))
                }
                status("line finished; waiting for the outbox to drain")
                _ = try await plant.waitForDelivery(agent, timeout: options.deliveryTimeout)
                let resources = sampler.finish(bottles: plant.reports.count, pending: try await agent.store.depth().pending)
                if let resources { status("resources at the end: " + ResourceSampler.describe(resources.end)) }
                var trade: DemoTradeSummary?
                if let parties = plant.registrar.trade {
                    status("trade: the producer sells activated bottles to \(DemoTradeParties.wholesalerBIN) under a signed order")
                    trade = try await plant.registrar.tradeScenario(parties, bottles: max(24, plant.options.retail.shopBottles)) { month in
                        try await plant.registrar.usageReport(bin: producerBIN, month: month)
                    }
                }
                var retail: DemoRetailSummary?
                if let parties = plant.registrar.trade, let trade {
                    status("retail: the wholesaler sells on to the shop \(DemoRetailParties.shopBIN); its tills sell through the FDO relay")
                    retail = try await plant.registrar.retailScenario(parties, codes: trade.orderCodes, options: plant.options.retail, logger: logger)
                }
                func summary() async throws -> DemoSummary {
                    var summary = try await plant.summarize(agent)
                    summary.resources = resources
                    if let trade {
                        summary.trade = trade
                        summary.checks.merge(trade.checks) { a, _ in a }
                    }
                    if let retail {
                        summary.retail = retail
                        summary.checks.merge(retail.checks) { a, _ in a }
                    }
                    return summary
                }
                if let hold = options.hold {
                    // The line has stopped and everything is delivered: the summary now equals the one after shutdown.
                    await hold(try await summary())
                }
                await group.triggerGracefulShutdown()
                try await tasks.next()
                return try await summary()
            }
            await agent.close()
            return summary
        } catch {
            await agent.close()
            throw error
        }
    }

    static func progressLine(_ snapshot: AgentStatusSnapshot, total: Int) -> String {
        guard let line = snapshot.lines.first else { return "" }
        let rejected = line.rejectedByKind.values.reduce(0, +)
        let p99 = line.decisionLatencyP99Ms.map { String(format: "%.1f ms", $0) } ?? "-"
        let decode = line.cameras.first?.decodeP99Ms.map { String(format: "%.1f ms", $0) } ?? "-"
        let cases = snapshot.caseStations?.first.map { "  cases \($0.good)/\($0.cases)" } ?? ""
        return "bottles \(line.bottles)/\(total)  good \(line.good)  rejected \(rejected)  decision p99 \(p99)  decode p99 \(decode)\(cases)  "
            + "outbox pending \(snapshot.outbox.pending)  delivered \(snapshot.outbox.delivered)"
    }

    /// Polls `condition` every 50 ms until it holds; throws after `timeout`, naming `what` it waited for.
    public static func waitUntil(timeout: Duration, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            if ContinuousClock.now > deadline { throw AgentSetupError("timed out after \(timeout) waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func summarize(options: DemoOptions, plan: AgentPlan, agent: LineAgentRuntime, simulator: LineSimulator,
                          script: CapScript, reports: [BottleReport], registrar: DemoRegistrar) async throws -> DemoSummary {
        let sim = simulator.report()
        let caps = script.contents
        var byReason: [String: Int] = [:]
        var good = 0, badPassed = 0, goodRejected = 0
        var problems: [String] = []
        var goodRejectedListed = 0
        let bySequence = Dictionary(reports.map { ($0.sequence, $0) }, uniquingKeysWith: { a, _ in a })
        func describe(_ report: BottleReport, _ content: CapContent) -> String {
            "bottle \(report.sequence): cap \(content.rawValue)\(report.code.map { " \($0.rawValue)" } ?? ""), decided \(report.kind.rawValue) after "
                + String(format: "%.1f ms", report.latency.inMilliseconds) + " with \(report.frames) frame(s)"
        }
        for report in reports.sorted(by: { $0.sequence < $1.sequence }) {
            if report.kind.passes { good += 1 } else { byReason[report.kind.rawValue, default: 0] += 1 }
            let content = caps[report.sequence] ?? .unreadable
            if content != .good, report.kind.passes {
                badPassed += 1
                problems.append("BAD CAP PASSED " + describe(report, content))
            }
            if content == .good, !report.kind.passes {
                goodRejected += 1
                if goodRejectedListed < 10 {
                    goodRejectedListed += 1
                    problems.append(describe(report, content))
                }
            }
        }
        for (label, sequences) in [("reject late at the station", sim.tooLate), ("reached the station without a command", sim.neverCommanded)] {
            for sequence in sequences.prefix(10) {
                let content = caps[sequence] ?? .unreadable
                problems.append("\(label): " + (bySequence[sequence].map { describe($0, content) } ?? "bottle \(sequence): cap \(content.rawValue), no decision"))
            }
        }
        var capsByContent: [String: Int] = [:]
        for report in reports { capsByContent[(caps[report.sequence] ?? .unreadable).rawValue, default: 0] += 1 }
        let latencies = reports.map(\.latency.inMilliseconds).sorted()
        let depth = try await agent.store.depth()
        let sent = try await agent.store.sentActivations()
        let month = ReportingMonth.containing(Date())
        let usage = try await registrar.usageReport(bin: producerBIN, month: month)
        let activatedOnServer = try await registrar.activatedCount(bin: TaxpayerID(producerBIN)!)
        let deadline = plan.configuration.lines[0].reject.decisionDeadline.duration.inMilliseconds
        let goodCodes = Set(reports.filter(\.kind.passes).compactMap { $0.code?.rawValue })
        // Good bottles whose decision came too late after their activation was already sent were rejected all the
        // same: activated at the registrar, physically off the line, allowed to pass once more as reworked.
        let afterActivation = try await agent.store.reworkAllowances().filter { $0.reason == ReworkReason.rejectedAfterActivation.rawValue }.count
        let activated = good + afterActivation
        let checks: [String: Bool] = [
            "every bottle decided": reports.count == Int(sim.bottles),
            "bad caps passed = 0": badPassed == 0,
            "rejects late = 0": sim.tooLate.isEmpty,
            "rejects missed = 0": sim.neverCommanded.isEmpty,
            "good bottles = distinct good codes": goodCodes.count == good,
            "activations sent = good bottles + rejected after activation": sent == activated,
            "accepted by the registrar = activations sent": agent.outboxWatch.delivered == activated,
            "registrar activated = activations sent": activatedOnServer == activated,
            "App. 10 used = activations sent": usage.used == activated,
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
            leastBottlesToSpare: sim.rejectCommands.map(\.bottlesToSpare).min(),
            activationsSent: sent, activationsAccepted: agent.outboxWatch.delivered, outboxPending: depth.pending,
            rejectedAfterActivation: afterActivation,
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
            "  good caps rejected:    \(s.goodCapsRejected) of \(s.capsByContent["good", default: 0])"
                + String(format: " = %.2f in 2,000 (vision misses or late decisions; codes stay unused)",
                         Double(s.goodCapsRejected) / Double(max(1, s.capsByContent["good", default: 0])) * 2_000),
            "  rejects late/missed:   \(s.rejectsLate)/\(s.rejectsMissed) (linesim at the reject station)",
            String(format: "  decision latency:      p50 %.1f ms, p99 %.1f ms (deadline %.0f ms)", s.decisionLatencyP50Ms,
                   s.decisionLatencyP99Ms, s.decisionDeadlineMs),
            "  activations sent:      \(s.activationsSent); accepted by the registrar: \(s.activationsAccepted); left in the outbox: \(s.outboxPending)"
                + (s.rejectedAfterActivation > 0 ? "; \(s.rejectedAfterActivation) bottle(s) rejected after activation (may pass once more as reworked)" : ""),
            "  registrar:             \(s.registrar.activated) codes of \(producerBIN) activated",
            "  App. 10 \(s.registrar.month):     opening \(s.registrar.openingBalance) + received \(s.registrar.received) - used \(s.registrar.used) = closing \(s.registrar.closingBalance)",
            "  reconciliation:",
        ]
        for (check, holds) in s.checks.sorted(by: { $0.key < $1.key }) {
            lines.append("    \(holds ? "ok  " : "FAIL") \(check)")
        }
        if let c = s.cases {
            let reasons = c.rejectedByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let defects = c.defectsMade.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append("  cases (\(c.bottlesPerCase) bottles, \(c.caseCodes)):")
            lines.append("    packed by the packer: \(c.triggered) (defects made: \(defects.isEmpty ? "none" : defects))")
            lines.append("    accepted:             \(c.packed); accepted by the registrar: \(c.acceptedByRegistrar)")
            lines.append("    rejected:             \(c.rejected) (\(reasons.isEmpty ? "none" : reasons))")
            lines.append("    bottles:              \(c.bottlesInGoodCases) in accepted cases, \(c.bottlesInRejectedCases) in rejected cases (rework, not aggregated), \(c.partialCase) in the last, partial case (not packed)")
            lines.append("    pallets:              \(c.pallets) built; \(c.palletsAtRegistrar) known to the registrar")
            if let printed = c.labelsPrinted { lines.append("    labels printed:       \(printed) (test printer)") }
            lines.append(String(format: "    case decision:        trigger→decision p99 %.1f ms (with the simulated frame's rendering); agent per case p99 %.1f ms; case frame decode p99 %.1f ms; rejects late/missed %d/%d",
                                c.decisionLatencyP99Ms, c.processingP99Ms, c.decodeP99Ms, c.rejectsLate, c.rejectsMissed))
            if !c.problemCases.isEmpty { lines += c.problemCases.prefix(10).map { "    look at: \($0)" } }
        }
        if let t = s.trade {
            lines.append("  trade (signed with the demo PKI):")
            lines.append("    applications:         \(t.applicationsApproved) App. 3 approved by the revenue body before their waybills")
            lines.append("    order \(t.orderId): \(t.codes) bottles \(producerBIN) → \(t.buyer), \(t.orderStatus)")
            lines.append("    code \(t.sampleCode):")
            lines += t.history.map { "      \($0)" }
            lines.append("      now: " + t.holdings.joined(separator: "; "))
            lines.append("    App. 10 submitted signed: \(t.app10Verdict)")
        }
        if let r = s.retail {
            lines.append("  retail (FDO receipts through the relay; the tills' simulated days are dated in the hours before now):")
            lines.append("    order \(r.orderId): \(r.stock) bottles \(DemoTradeParties.wholesalerBIN) → \(DemoRetailParties.shopBIN), signed")
            lines.append(String(format: "    tills:                %d registers, %d receipts (%d formed offline; longest offline %.1f h)",
                                r.registers, r.receipts, r.autonomousReceipts, r.maxOfflineHours))
            lines.append("    sold \(r.sold), returned \(r.returned); redeemed at the registrar \(r.redeemedAtRegistrar) (tills expect \(r.expectedRedeemed))")
            lines.append("    registrar's answers:  " + r.outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                         + (r.flags.isEmpty ? "" : "; flags " + r.flags.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
            if let code = r.sampleCode {
                lines.append("    code \(code):")
                lines += r.history.map { "      \($0)" }
            }
            lines.append("    consumer scans: sold bottle \(r.soldScan ?? "-"), unsold bottle \(r.unsoldScan ?? "-")")
        }
        if let resources = s.resources { lines += resources.rendered }
        if !s.problemBottles.isEmpty {
            lines.append("  bottles to look at:")
            lines += s.problemBottles.map { "    \($0)" }
        }
        lines.append(s.reconciled ? "  RECONCILED" : "  NOT RECONCILED")
        return lines.joined(separator: "\n")
    }
}
