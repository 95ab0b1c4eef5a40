import AgentRuntime
import ConfigKit
import ConsoleKit
import Foundation
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
        public init() {}
    }

    public let directory: String
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

        let registrar = try await DemoRegistrar.start(path: directory + "/registrar.sqlite", logger: logger)
        do {
            let foreignCount = max(10, Int(Double(options.bottles) * (options.shares[.foreign] ?? 0) * 2) + 10)
            let producerCodes = try await registrar.issue(count: options.bottles + 50, to: TaxpayerID(LineDemo.producerBIN)!,
                                                          name: LineDemo.producerName, waybill: "WB-DEMO-1")
            let foreignCodes = try await registrar.issue(count: foreignCount, to: TaxpayerID(LineDemo.otherBIN)!,
                                                         name: "Other Producer LLP", waybill: "WB-DEMO-2")
            status("registrar: 127.0.0.1:\(registrar.port), \(producerCodes.count) codes issued to \(LineDemo.producerBIN), \(foreignCodes.count) to \(LineDemo.otherBIN)")

            func files(plcPort: Int) throws -> AgentPlan {
                try DemoFiles.write(to: directory, plcPort: plcPort, serverPort: registrar.port, token: registrar.producerToken,
                                    setup: setup)
            }
            let draft = try files(plcPort: 502)
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
            let pooled = try await DemoRegistrar.syncPool(plan: plan, store: try plan.openOutbox(), logger: logger)
            status("agent: outbox \(plan.outboxPath), local pool \(pooled) codes")
            return SimulatedPlant(directory: directory, registrar: registrar, simulator: simulator, script: script, plan: plan,
                                  options: options, temporary: temporary)
        } catch {
            await registrar.stop()
            throw error
        }
    }

    private init(directory: String, registrar: DemoRegistrar, simulator: LineSimulator, script: CapScript, plan: AgentPlan,
                 options: DemoOptions, temporary: Bool) {
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
        let (list, script) = (reportList, self.script)
        overrides.onBottle = { report in
            list.append(report)
            if report.kind.passes, let code = report.code { script.markPassed(code.rawValue) }
            chained(report)
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
        try await LineDemo.summarize(options: options, plan: plan, agent: agent, simulator: simulator, script: script,
                                     reports: reports, registrar: registrar)
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
