import Aggregation
import AgentRuntime
import ConfigKit
import ConsoleKit
import Foundation
import LabelPrinting
import LineConfig
import LineCore
import LineSimulator
import Logging
import Outbox
import QazAPI
import QazClient
import Synchronization
import Vision

/// Everything around the agent on the simulated line, for the demo, the benchmark and the integration tests: the
/// registrar (SQLite, loopback HTTP) with codes issued to the producer and to another producer, `linesim` (Modbus
/// TCP on loopback, stopped until ``startLine(_:)``), the cap script, and the agent's configuration files.
public final class SimulatedPlant: Sendable {
    /// Settings beyond ``DemoOptions``.
    public struct Setup: Sendable {
        /// The agent's HTTP port written in its configuration (the runtime can still be told another).
        public var httpPort = 9464
        /// Where the outbox lives (default: the working directory).
        public var outboxPath = "outbox.sqlite"
        /// `outbox.minFreeSpace`.
        public var minFreeSpace = "16MiB"
        /// `reject.stationOffset`: bottles between the camera and the reject station.
        public var stationOffset = 3
        /// The camera's `failedFrames`: frames of rejected bottles kept on disk.
        public var failedFrames = 50
        /// The case station (set by ``SimulatedPlant/start(_:setup:logger:status:)`` from ``DemoOptions/caseStation``).
        public var caseStation: CaseStationSetup?
        public init() {}
    }

    /// The simulated case station's ports and sizes, written into the agent's configuration.
    public struct CaseStationSetup: Sendable {
        /// The station's simulated PLC.
        public var plcPort: Int
        /// The test label printer's port (nil: pre-printed labels read by the case camera).
        public var printerPort: Int?
        public var bottlesPerCase: Int
        public var casesPerPallet: Int

        public init(plcPort: Int, printerPort: Int? = nil, bottlesPerCase: Int, casesPerPallet: Int) {
            self.plcPort = plcPort
            self.printerPort = printerPort
            self.bottlesPerCase = bottlesPerCase
            self.casesPerPallet = casesPerPallet
        }
    }

    /// The case station's simulated PLC (nil without a case station).
    public let caseSimulator: LineSimulator?
    /// The packer filling cases from the bottles that passed (nil without a case station).
    public let packer: CasePacker?
    /// The label printer on loopback (printer mode).
    public let printer: TestLabelPrinter?
    private let caseReportList = CaseReportLog()

    public let directory: String
    /// The registrar's SQLite database (in ``directory``).
    public var registrarPath: String { directory + "/" + Self.registrarFile }
    static let registrarFile = "registrar.sqlite"
    public let registrar: DemoRegistrar
    public let simulator: LineSimulator
    public let script: CapScript
    public let plan: AgentPlan
    public let options: DemoOptions
    private let reportList = ReportLog()
    private let temporary: Bool

    /// Starts the registrar and linesim and writes the agent's files; syncs the local pool into the outbox.
    public static func start(_ options: DemoOptions, setup: Setup = Setup(), logger: Logger,
                             status: @Sendable (String) -> Void = { _ in }) async throws -> SimulatedPlant {
        let temporary = options.workDirectory == nil
        let directory = options.workDirectory ?? NSTemporaryDirectory() + "qazline-demo-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

        let registrar = try await DemoRegistrar.start(path: directory + "/" + registrarFile, logger: logger, trade: options.trade,
                                                      logLevel: options.registrarLogLevel)
        options.onSecrets(registrar.secrets)
        do {
            let foreignCount = max(10, Int(Double(options.bottles) * (options.shares[.foreign] ?? 0) * 2) + 10)
            let producerCodes = try await registrar.issue(count: options.bottles + 50, to: TaxpayerID(LineDemo.producerBIN)!,
                                                          name: LineDemo.producerName, waybill: "WB-DEMO-1")
            let foreignCodes = try await registrar.issue(count: foreignCount, to: TaxpayerID(LineDemo.otherBIN)!,
                                                         name: "Other Producer LLP", waybill: "WB-DEMO-2")
            status("registrar: 127.0.0.1:\(registrar.port), \(producerCodes.count) codes issued to \(LineDemo.producerBIN), \(foreignCodes.count) to \(LineDemo.otherBIN)")

            var setup = setup
            var caseSimulator: LineSimulator?
            var printer: TestLabelPrinter?
            if options.caseStation {
                setup.caseStation = CaseStationSetup(plcPort: 503, printerPort: options.printedCaseCodes ? 9100 : nil,
                                                     bottlesPerCase: options.bottlesPerCase, casesPerPallet: options.casesPerPallet)
            }
            func files(plcPort: Int) throws -> AgentPlan {
                try DemoFiles.write(to: directory, plcPort: plcPort, serverPort: registrar.port, token: registrar.producerToken,
                                    setup: setup)
            }
            let draft = try files(plcPort: 502)
            if let station = draft.configuration.lines[0].caseStation {
                var caseSimulation = SimulatorConfiguration(registers: station.plc.registers)
                caseSimulation.externallyTriggered = true
                caseSimulation.startRunning = true
                caseSimulation.stationOffset = station.reject.stationOffset
                caseSimulation.reasonCodes = Set(CaseRejectReason.allCases.map(\.plcCode))
                let made = LineSimulator(configuration: caseSimulation)
                setup.caseStation?.plcPort = try made.start()
                caseSimulator = made
                if options.printedCaseCodes {
                    let started = try await TestLabelPrinter.start()
                    setup.caseStation?.printerPort = started.port
                    printer = started
                }
                status("case station: \(station.bottlesPerCase) bottles per case, PLC 127.0.0.1:\(setup.caseStation?.plcPort ?? 0), "
                       + (printer.map { "codes printed on the test printer 127.0.0.1:\($0.port)" } ?? "pre-printed case labels"))
            }
            var simulation = SimulatorConfiguration(registers: draft.configuration.lines[0].plc.registers)
            simulation.bottlesPerHour = options.bottlesPerHour
            simulation.bottleLimit = options.bottles
            simulation.startRunning = false
            simulation.periodJitter = 0.1
            simulation.stationOffset = draft.configuration.lines[0].reject.stationOffset
            let simulator = LineSimulator(configuration: simulation)
            let plcPort = try simulator.start()
            let plan = try files(plcPort: plcPort)
            status("linesim: Modbus TCP 127.0.0.1:\(plcPort), \(Int(options.bottlesPerHour)) bottles/h, \(options.bottles) bottles")

            let script = CapScript(producerCodes: producerCodes, foreignCodes: foreignCodes, shares: options.shares,
                                   seed: options.seed, onBadCap: { simulator.expectRejects([$0]) })
            simulator.expectRejects([])  // from now on linesim checks that exactly the bad caps are rejected
            let packer = caseSimulator.map { caseSimulator in
                CasePacker(simulator: caseSimulator, bottlesPerCase: options.bottlesPerCase, shares: options.caseDefects, seed: options.seed,
                           labels: !options.printedCaseCodes, companyPrefix: LineDemo.companyPrefix, extensionDigit: 3)
            }
            let pooled = try await DemoRegistrar.syncPool(plan: plan, store: try plan.openOutbox(), logger: logger)
            status("agent: outbox \(plan.outboxPath), local pool \(pooled) codes")
            return SimulatedPlant(directory: directory, registrar: registrar, simulator: simulator, script: script, plan: plan,
                                  options: options, temporary: temporary, caseSimulator: caseSimulator, packer: packer, printer: printer)
        } catch {
            await registrar.stop()
            throw error
        }
    }

    private init(directory: String, registrar: DemoRegistrar, simulator: LineSimulator, script: CapScript, plan: AgentPlan,
                 options: DemoOptions, temporary: Bool, caseSimulator: LineSimulator?, packer: CasePacker?, printer: TestLabelPrinter?) {
        self.caseSimulator = caseSimulator
        self.packer = packer
        self.printer = printer
        self.directory = directory
        self.registrar = registrar
        self.simulator = simulator
        self.script = script
        self.plan = plan
        self.options = options
        self.temporary = temporary
    }

    /// The agent for this plant: the camera is a ``TriggeredCamera`` on the simulator unless `overrides` names another source;
    /// every bottle's outcome is recorded (``reports``).
    public func makeAgent(_ overrides: LineAgentRuntime.Overrides = LineAgentRuntime.Overrides(), logger: Logger) throws -> LineAgentRuntime {
        var overrides = overrides
        if overrides.httpPort == nil { overrides.httpPort = 0 }
        if overrides.frameSource == nil {
            let (simulator, script, seed) = (self.simulator, self.script, options.seed)
            overrides.frameSource = { _, camera, _ in
                TriggeredCamera(name: "demo:\(camera.id)", simulator: simulator, script: script, seed: seed)
            }
        }
        let chained = overrides.onBottle
        let (list, script, packer) = (reportList, self.script, self.packer)
        overrides.onBottle = { report in
            list.append(report)
            if report.kind.passes, let code = report.code { script.markPassed(code.rawValue) }
            packer?.bottle(report)
            chained(report)
        }
        if let caseSimulator, let packer, overrides.caseFrameSource == nil {
            let seed = options.seed
            overrides.caseFrameSource = { _, station in
                CaseCameraSource(name: "demo:\(station.camera.id)", simulator: caseSimulator, packer: packer, seed: seed)
            }
        }
        let chainedCase = overrides.onCase
        let caseList = caseReportList
        overrides.onCase = { report in
            caseList.append(report)
            chainedCase(report)
        }
        return try LineAgentRuntime(plan: plan, overrides: overrides, logger: logger)
    }

    /// Creates (or resets the password of) a console user in the agent's store.
    public func ensureUser(_ name: String, role: ConsoleAccount.Role, password: String, in store: OutboxStore) async throws {
        let hash = PasswordHash.make(password)
        if try await store.account(named: name) == nil {
            try await store.addUser(name, role: role, passwordHash: hash)
        } else {
            try await store.setPassword(name, passwordHash: hash)
        }
    }

    /// Every bottle's outcome so far.
    public var reports: [BottleReport] { reportList.all }

    /// Every case's outcome so far.
    public var caseReports: [CaseReport] { caseReportList.all }

    /// Waits until every case the packer triggered has its decision.
    public func waitForCases(timeout: Duration) async throws {
        guard let packer else { return }
        let packed = packer.cases.count
        try await LineDemo.waitUntil(timeout: timeout, "a decision for each of the \(packed) cases packed") {
            caseReportList.count >= packed
        }
    }

    /// Waits until the agent follows the PLC, then starts the line.
    public func startLine(_ agent: LineAgentRuntime, timeout: Duration = .seconds(30)) async throws {
        try await LineDemo.waitUntil(timeout: timeout, "the agent to connect to linesim") {
            await agent.snapshot().lines.first?.plcLink == "up"
        }
        simulator.setRunning(true)
    }

    /// Waits until every bottle the photo-eye has counted so far has its decision.
    public func waitForDecisionsOfCountedBottles(timeout: Duration) async throws {
        let counted = Int(simulator.counter)
        try await LineDemo.waitUntil(timeout: timeout, "a decision for each of the \(counted) bottles counted") {
            reportList.count >= counted
        }
    }

    /// Waits until `count` bottles are decided (or the line finished and every bottle it counted is decided).
    public func waitForBottles(_ count: Int, agent: LineAgentRuntime, timeout: Duration,
                               every: (AgentStatusSnapshot) -> Void = { _ in }) async throws {
        let started = ContinuousClock.now
        var lastTick = started
        while reportList.count < count {
            try await Task.sleep(for: .milliseconds(100))
            let now = ContinuousClock.now
            if now - lastTick >= .seconds(1) {
                lastTick = now
                every(await agent.snapshot())
            }
            if simulator.isFinished, now - started > .seconds(5), reportList.count >= Int(simulator.counter) {
                return
            }
            if now - started > timeout {
                throw AgentSetupError("timed out after \(timeout): \(reportList.count) of \(count) bottles decided")
            }
        }
    }

    /// Waits until the outbox has no pending activation.
    public func waitForDelivery(_ agent: LineAgentRuntime, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await agent.store.depth().pending == 0 { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// The summary and its reconciliation against linesim, the outbox and the registrar.
    public func summarize(_ agent: LineAgentRuntime) async throws -> DemoSummary {
        var summary = try await LineDemo.summarize(options: options, plan: plan, agent: agent, simulator: simulator, script: script,
                                                   reports: reports, registrar: registrar)
        if let packer, let caseSimulator {
            let cases = try await LineDemo.reconcileCases(packer: packer, simulator: caseSimulator, reports: caseReports, bottles: reports,
                                                          agent: agent, registrar: registrar, printer: printer)
            summary.cases = cases
            for (check, holds) in cases.checks { summary.checks["cases: " + check] = holds }
        }
        return summary
    }

    /// Starts a plant, runs `body` with it and stops it afterwards, whether `body` returns or throws.
    public static func run<T>(_ options: DemoOptions, setup: Setup = Setup(), logger: Logger,
                              _ body: (SimulatedPlant) async throws -> T) async throws -> T {
        let plant = try await start(options, setup: setup, logger: logger)
        do {
            let value = try await body(plant)
            await plant.stop()
            return value
        } catch {
            await plant.stop()
            throw error
        }
    }

    /// Stops linesim and the registrar; removes a temporary working directory.
    public func stop() async {
        simulator.stop()
        caseSimulator?.stop()
        await printer?.stop()
        await registrar.stop()
        if temporary { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// Bottle outcomes, appended from the agent's line actors.
final class ReportLog: Sendable {
    private let list = Mutex<[BottleReport]>([])
    func append(_ report: BottleReport) { list.withLock { $0.append(report) } }
    var all: [BottleReport] { list.withLock { $0 } }
    var count: Int { list.withLock { $0.count } }
}

/// Case outcomes, appended from the case station's actor.
final class CaseReportLog: Sendable {
    private let list = Mutex<[CaseReport]>([])
    func append(_ report: CaseReport) { list.withLock { $0.append(report) } }
    var all: [CaseReport] { list.withLock { $0 } }
    var count: Int { list.withLock { $0.count } }
}
