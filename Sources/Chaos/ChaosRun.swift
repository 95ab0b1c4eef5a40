import Aggregation
import AgentRuntime
import ArgumentParser
import ConfigKit
import Foundation
import LineConfig
import LineCore
import LineDemo
import LineSimulator
import Logging
import Outbox
import QazAPI
import QazClient
import QazServer
import Vision

#if canImport(Glibc)
import Glibc
#endif

/// `chaos run`: the whole line under faults, then the reconciliation.
///
/// The registrar (`qazserver serve`, SQLite) and the agent (`chaos agent`, the real agent runtime) run as child
/// processes; the agent reaches the registrar only through `scripts/faultproxy.py`; `linesim` runs in this process
/// with the PLC's vision watchdog on (a killed agent stops the line and the bottles between camera and station are
/// rejected fail-safe). With the case station (the default) the bottles that pass the line's reject station are
/// packed into cases (``PackingEnd``) at a second simulated PLC, also with a watchdog, whose cases the agent's case
/// camera sees over the ``CaseWire``. At random bottles (and, for half the agent kills, just after a case trigger)
/// the agent and the registrar get SIGKILL and are started again, and the proxy cuts the link for a while. At the end
/// the outbox, the registrar and both simulated PLCs are compared; any mismatch exits 1.
struct ChaosRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the line under faults and reconcile (the default subcommand).",
        discussion: """
        Short form (CI): chaos run --short. Long form, e.g.: chaos run --bottles 20000 --agent-kills 20 --server-kills 5 \
        --cuts 2 --cut-seconds 120. Exit status: 0 reconciled, 1 a mismatch (printed), 2 the run itself failed.
        """)

    @Flag(help: "The CI form: 1,500 bottles, 4 agent kills, 2 registrar kills, 1 cut of 10 s.") var short = false
    @Option(help: "Bottles on the line.") var bottles: Int = 6_000
    @Option(help: "Line speed, bottles per hour.") var speed: Double = 36_000
    @Option(help: "SIGKILLs of the agent, at random bottles.") var agentKills: Int = 20
    @Option(help: "SIGKILLs of the registrar, at random bottles.") var serverKills: Int = 5
    @Option(help: "Longest time the registrar stays down after a kill, seconds.") var serverDown: Double = 15
    @Option(help: "Link cuts by the proxy.") var cuts: Int = 1
    @Option(help: "Length of each cut, seconds.") var cutSeconds: Double = 60
    @Option(help: "Share of requests the proxy spoils (drop, reset, lost answer, delay, duplicate, reorder, 500, 429).")
    var faultRate: Double = 0.2
    @Option(help: "Share of caps that are unreadable, damaged, duplicate, foreign (each).") var badShare: Double = 0.02
    @Flag(inversion: .prefixedNo, help: "Pack the bottles that pass into cases of 12 at a case station and reconcile the cases.")
    var caseStation = true
    @Option(help: "Share of cases the packer makes with each defect: one bottle missing, an unreadable cap, the label of an earlier case.")
    var caseDefects: Double = 0.02
    @Option(help: "Cases per pallet (the agent's automatic palletiser).") var casesPerPallet: Int = 10
    @Option(help: "Random seed (caps, kill points, proxy).") var seed: UInt64 = UInt64(Date().timeIntervalSince1970)
    @Option(help: "Keep the run's files here (default: a temporary directory, removed when reconciled).") var workdir: String?
    @Option(help: "The fault proxy script.") var proxy: String = "scripts/faultproxy.py"
    @Option(help: "Write the figures as JSON to this file.") var summaryJson: String?

    mutating func validate() throws {
        if short {
            bottles = 1_500
            agentKills = 4
            serverKills = 2
            serverDown = 4
            cuts = 1
            cutSeconds = 10
        }
        guard bottles >= 100 else { throw ValidationError("--bottles: at least 100") }
        guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate: a share from 0 to 1") }
        guard (0...0.2).contains(badShare) else { throw ValidationError("--bad-share: a share from 0 to 0.2") }
        guard (0...0.2).contains(caseDefects) else { throw ValidationError("--case-defects: a share from 0 to 0.2") }
        guard (1...200).contains(casesPerPallet) else { throw ValidationError("--cases-per-pallet: 1 to 200") }
        guard FileManager.default.fileExists(atPath: proxy) else {
            throw ValidationError("--proxy: \(proxy) not found (run from the repository root, or name the script)")
        }
    }

    func run() async throws {
        var orchestrator = try Orchestrator(options: self)
        let code: Int32
        do {
            code = try await orchestrator.run()
        } catch {
            print("chaos: the run failed: \(error)")
            await orchestrator.tearDown()
            print("chaos: files kept in \(orchestrator.directory)")
            throw ExitCode(2)
        }
        throw ExitCode(code)
    }
}

/// One chaos run.
struct Orchestrator {
    let options: ChaosRunCommand
    let directory: String
    let binDirectory: String
    var random: SeededRandom
    var server: Child!
    var proxy: Child!
    var agent: Child!
    var simulator: LineSimulator!
    /// The case station's simulated PLC and the packing end of the line (nil with `--no-case-station`).
    var caseSimulator: LineSimulator?
    var packing: PackingEnd?
    var plan: AgentPlan!
    var caps: CapPlan!
    var serverPort = 0
    var proxyPort = 0
    var agentPort = 0
    var triggerPort = 0
    var casePort = 0
    var tokens: [String: String] = [:]
    var figures = Figures()
    let started = ContinuousClock.now

    static let producer = TaxpayerID(LineDemo.producerBIN)!
    static let other = TaxpayerID(LineDemo.otherBIN)!

    init(options: ChaosRunCommand) throws {
        self.options = options
        directory = options.workdir ?? NSTemporaryDirectory() + "qazline-chaos-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        random = SeededRandom(seed: options.seed)
    }

    func say(_ text: String) {
        let elapsed = Int((ContinuousClock.now - started).inSeconds)
        FileHandle.standardOutput.write(Data((String(format: "[%4ds] ", elapsed) + text + "\n").utf8))
    }

    // MARK: - Setting up

    mutating func startRegistrar() async throws {
        let qazserver = binDirectory + "/qazserver"
        guard FileManager.default.isExecutableFile(atPath: qazserver) else {
            throw ChaosError("\(qazserver) not found: build it first (swift build --product qazserver)")
        }
        serverPort = try Loopback.freePort()
        let config = directory + "/server.yaml"
        try """
        listen: { host: 127.0.0.1, port: \(serverPort) }
        storage: { backend: sqlite, path: registrar.sqlite }
        limits: { requestsPerSecond: 10000, burst: 10000, requestTimeout: 30s, shutdownGracePeriod: 5s }
        # The run's faults are the line's: its waybills seed codes without the stamp applications of the trade half.
        trade: { requireApplications: false }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        for (name, bin, role) in [("factory", "990303000012", "banknote-factory"), ("revenue", "990404000021", "revenue-body"),
                                  ("producer", LineDemo.producerBIN, "producer")] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: qazserver)
            process.arguments = ["token", "issue", "--config", config, "--log-level", "error", "--bin", bin, "--role", role]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard process.terminationStatus == 0, !token.isEmpty else { throw ChaosError("qazserver token issue (\(role)) failed") }
            tokens[name] = token
        }
        server = Child(name: "registrar", executable: qazserver, arguments: ["serve", "--config", config, "--log-level", "warning"],
                       log: directory + "/registrar.log")
        try server.start()
        guard await Loopback.waitFor("http://127.0.0.1:\(serverPort)/health", timeout: .seconds(60)) else {
            throw ChaosError("the registrar did not answer /health within 60 s (see \(directory)/registrar.log)")
        }
    }

    func client(_ token: String, port: Int? = nil) throws -> QazAPIClient {
        try QazAPIClient(configuration: QazClientConfiguration(
            baseURL: "http://127.0.0.1:\(port ?? serverPort)", token: token, requestsPerSecond: 1_000, burst: 1_000), logger: Logger(label: "chaos.client"))
    }

    mutating func startProxy() throws {
        proxy = Child(name: "faultproxy", executable: "/usr/bin/env",
                      arguments: ["python3", options.proxy, "--upstream", "127.0.0.1:\(serverPort)", "--seed", "\(options.seed)",
                                  "--rate", "\(options.faultRate)", "--max-delay", "3", "--stats", directory + "/proxy-stats.json"],
                      log: directory + "/proxy.log")
        guard let pipe = try proxy.start(captureStdout: true) else { throw ChaosError("no proxy output") }
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            throw ChaosError("the fault proxy did not start (see \(directory)/proxy.log)")
        }
        proxyPort = port
    }

    mutating func prepareLine() async throws {
        let (bottles, badShare) = (options.bottles, options.badShare)
        let (producerCodes, foreignCodes) = try await client(tokens["factory"]!).closing { factory in
            (try await DemoRegistrar.issue(count: bottles + 50, to: Self.producer, name: LineDemo.producerName,
                                           waybill: "WB-CHAOS-1", using: factory),
             try await DemoRegistrar.issue(count: max(20, Int(Double(bottles) * badShare * 2) + 20),
                                           to: Self.other, name: "Other Producer LLP", waybill: "WB-CHAOS-2", using: factory))
        }
        figures.issued = producerCodes.count
        let shares: [CapContent: Double] = [.unreadable: options.badShare, .damaged: options.badShare,
                                            .duplicate: options.badShare, .foreign: options.badShare]
        caps = CapPlan.draw(bottles: options.bottles, producerCodes: producerCodes, foreignCodes: foreignCodes, shares: shares,
                            seed: options.seed)
        try caps.write(to: directory + "/caps.txt")

        agentPort = try Loopback.freePort()
        var setup = SimulatedPlant.Setup()
        setup.httpPort = agentPort
        setup.stationOffset = 8
        if options.caseStation {
            setup.caseStation = SimulatedPlant.CaseStationSetup(plcPort: 503, bottlesPerCase: 12, casesPerPallet: options.casesPerPallet)
        }
        let draft = try DemoFiles.write(to: directory, plcPort: 502, serverPort: proxyPort, token: tokens["producer"]!, setup: setup)
        if let station = draft.configuration.lines[0].caseStation {
            // The case station's PLC: a case per packer pulse, a reject gate 2 cases downstream, and the same vision
            // watchdog as the line's; the agent's verdict on a case may take up to its decision deadline.
            var caseSimulation = SimulatorConfiguration(registers: station.plc.registers)
            caseSimulation.externallyTriggered = true
            caseSimulation.startRunning = true
            caseSimulation.stationOffset = station.reject.stationOffset
            caseSimulation.reasonCodes = Set(CaseRejectReason.allCases.map(\.plcCode))
            caseSimulation.agentWatchdog = .milliseconds(300)
            caseSimulation.agentVerdictWindow = station.reject.decisionDeadline.duration + .milliseconds(300)
            let made = LineSimulator(configuration: caseSimulation)
            setup.caseStation?.plcPort = try made.start()
            caseSimulator = made
        }
        var simulation = SimulatorConfiguration(registers: draft.configuration.lines[0].plc.registers)
        simulation.bottlesPerHour = options.speed
        simulation.bottleLimit = options.bottles
        simulation.startRunning = false
        simulation.periodJitter = 0.1
        simulation.stationOffset = setup.stationOffset
        simulation.agentWatchdog = .milliseconds(300)
        triggerPort = try Loopback.freePort(type: SOCK_DGRAM)
        let feed = LineFeed()
        simulation.onTrigger = try TriggerWire.sender(port: triggerPort, feed: feed)
        simulator = LineSimulator(configuration: simulation)
        let plcPort = try simulator.start()
        plan = try DemoFiles.write(to: directory, plcPort: plcPort, serverPort: proxyPort, token: tokens["producer"]!, setup: setup)
        if let caseSimulator {
            casePort = try Loopback.freePort(type: SOCK_DGRAM)
            let share = options.caseDefects
            let packer = CasePacker(simulator: caseSimulator, bottlesPerCase: 12,
                                    shares: CasePacker.Shares([.missingBottle: share, .unreadableCap: share, .duplicatedLabel: share]),
                                    seed: options.seed, labels: true, companyPrefix: LineDemo.companyPrefix, extensionDigit: 3, automatic: false)
            packing = PackingEnd(line: simulator, station: caseSimulator, packer: packer, wire: try CaseWire.Sender(port: casePort), feed: feed,
                                 caps: caps, bottles: options.bottles, pitch: Self.casePitch)
        }

        // The local pool, synced from the registrar directly (not through the proxy) before the line starts.
        let store = try plan.openOutbox()
        let pooled = try await client(tokens["producer"]!).closing { producer in
            var after: String?
            var pooled = 0
            repeat {
                let page = try await producer.pool(bin: Self.producer, status: .issued, after: after, limit: 1000)
                pooled += try await store.addToPool(page.items.map { StampCode(trusted: $0.code) }, source: "chaos pool sync")
                after = page.next
            } while after != nil
            return pooled
        }
        say("registrar 127.0.0.1:\(serverPort), fault proxy 127.0.0.1:\(proxyPort) (fault rate \(options.faultRate)), linesim 127.0.0.1:\(plcPort) with a 300 ms vision watchdog, \(options.bottles) bottles at \(Int(options.speed))/h; local pool \(pooled) codes; files in \(directory)")
        if let caseSimulator {
            say("case station: cases of 12 with pre-printed labels, one per \(Self.casePitch) at most, PLC 127.0.0.1:\(caseSimulator.port) with a 300 ms watchdog, reject gate 2 cases downstream; case defects \(options.caseDefects) each; \(options.casesPerPallet) cases per pallet")
        }
    }

    /// The case conveyor's pitch: the packer triggers the case station at most once per pitch (the line fills a case
    /// of 12 every 1.2 s at 36,000 bottles/h).
    static let casePitch = Duration.seconds(1)

    mutating func startAgent() async throws {
        if agent == nil {
            agent = Child(name: "agent", executable: CommandLine.arguments[0],
                          arguments: ["agent", "--config", directory + "/agent.yaml", "--caps", directory + "/caps.txt",
                                      "--seed", "\(options.seed)", "--trigger-port", "\(triggerPort)"]
                              + (caseSimulator == nil ? [] : ["--case-port", "\(casePort)"]),
                          log: directory + "/agent.log")
        }
        try agent.start()
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            if let status = await agentStatus(), status.lines.first?.plcLink == "up",
               caseSimulator == nil || status.caseStations?.first?.plcLink == "up" { return }
            guard agent.checkAlive() else { throw ChaosError("the agent exited at start (see \(directory)/agent.log)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ChaosError("the agent did not connect to linesim (and the case station's PLC) within 90 s (see \(directory)/agent.log)")
    }

    func agentStatus() async -> AgentStatusSnapshot? {
        guard let answer = await Loopback.get("http://127.0.0.1:\(agentPort)/status"), answer.status == 200 else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(AgentStatusSnapshot.self, from: answer.body)
    }

    // MARK: - The run

    /// Bottle numbers at which something happens, spread over the run.
    mutating func points(_ count: Int) -> [UInt64] {
        guard count > 0 else { return [] }
        let low = Double(options.bottles) * 0.05, high = Double(options.bottles) * 0.9
        return (0..<count).map { _ in UInt64(random.uniform(low, high)) }.sorted()
    }

    mutating func run() async throws -> Int32 {
        try await startRegistrar()
        try startProxy()
        try await prepareLine()
        try await startAgent()
        simulator.setRunning(true)
        say("line running")

        var agentPoints = points(options.agentKills)
        var serverPoints = points(options.serverKills)
        var cutPoints = points(options.cuts)
        var serverBackAt: ContinuousClock.Instant?
        var cutEndsAt: ContinuousClock.Instant?
        var lastProgress = ContinuousClock.now
        var stoppedSince: ContinuousClock.Instant?
        var stationStoppedSince: ContinuousClock.Instant?
        // Half the agent kills wait for the next case trigger and land 50–900 ms after it: while the agent reads,
        // decides or records that case.
        var caseKillArmed: (since: ContinuousClock.Instant, counter: UInt64)?
        var caseKill: (at: ContinuousClock.Instant, sequence: UInt64, delay: Duration)?

        while !simulator.isFinished {
            try await Task.sleep(for: .milliseconds(20))
            let counter = simulator.counter
            let now = ContinuousClock.now
            if let packed = packing?.step(now: now), caseKillArmed != nil {
                let delay = Duration.milliseconds(Int(random.uniform(50, 900)))
                caseKill = (now + delay, packed.sequence, delay)
                caseKillArmed = nil
            }
            if let kill = caseKill, now >= kill.at {
                caseKill = nil
                figures.caseKills += 1
                try await killAgent(at: counter, note: "\(kill.delay) after case \(kill.sequence) was triggered")
            } else if let armed = caseKillArmed, now - armed.since > .seconds(10) {
                caseKillArmed = nil
                try await killAgent(at: counter, note: "no case came within 10 s of bottle \(armed.counter)")
            }
            if !agent.checkAlive() {
                say("the agent died by itself: restarting it (see agent.log)")
                try await restartAgentAndLine()
            }
            if let back = serverBackAt, now >= back {
                try server.start()
                serverBackAt = nil
                figures.serverRestarts += 1
                say("registrar started again")
            } else if serverBackAt == nil, !server.checkAlive() {
                say("the registrar died by itself: starting it again (see registrar.log)")
                try server.start()
            }
            if let ends = cutEndsAt, now >= ends {
                proxy.signal(SIGUSR2)
                cutEndsAt = nil
                say("link restored")
            }
            if let point = agentPoints.first, counter >= point, caseKillArmed == nil, caseKill == nil {
                agentPoints.removeFirst()
                if packing != nil, agentPoints.count % 2 == 0 {
                    caseKillArmed = (now, counter)
                } else {
                    try await killAgent(at: counter)
                }
            }
            if let point = serverPoints.first, counter >= point, serverBackAt == nil {
                serverPoints.removeFirst()
                server.kill9()
                figures.serverKills += 1
                let down = random.uniform(1, max(1, options.serverDown))
                serverBackAt = now + .milliseconds(Int(down * 1_000))
                say(String(format: "kill -9 registrar at bottle %d (down for %.1f s)", counter, down))
            }
            if let point = cutPoints.first, counter >= point, cutEndsAt == nil {
                cutPoints.removeFirst()
                proxy.signal(SIGUSR1)
                figures.cuts += 1
                cutEndsAt = now + .milliseconds(Int(options.cutSeconds * 1_000))
                say("link cut for \(Int(options.cutSeconds)) s at bottle \(counter)")
            }
            // The line stopped for another reason (a watchdog trip on a stalled agent, a line-stop request): the
            // operator restarts it once the agent follows the PLC again.
            if !simulator.isRunning, !simulator.isFinished {
                if stoppedSince == nil { stoppedSince = now }
                if now - stoppedSince! > .seconds(2), let status = await agentStatus(), status.lines.first?.plcLink == "up" {
                    figures.otherLineRestarts += 1
                    say("line stopped by itself (watchdog trips so far \(simulator.report().watchdogTrips)): restarted")
                    simulator.setRunning(true)
                    stoppedSince = nil
                }
            } else {
                stoppedSince = nil
            }
            if let caseSimulator, !caseSimulator.isRunning {
                if stationStoppedSince == nil { stationStoppedSince = now }
                if now - stationStoppedSince! > .seconds(2), let status = await agentStatus(), status.caseStations?.first?.plcLink == "up" {
                    figures.otherStationRestarts += 1
                    say("case station stopped by itself (watchdog trips so far \(caseSimulator.report().watchdogTrips)): restarted")
                    caseSimulator.setRunning(true)
                    stationStoppedSince = nil
                }
            } else {
                stationStoppedSince = nil
            }
            if now - lastProgress >= .seconds(10) {
                lastProgress = now
                let status = await agentStatus()
                let cases = packing.map { "; cases \($0.cases)" + (($0.repackedCases > 0) ? " (\($0.repackedCases) repacked)" : "") } ?? ""
                say("bottle \(counter)/\(options.bottles)\(cases); agent \(status.map { "up, outbox pending \($0.outbox.pending)" + ($0.aggregation.map { ", aggregation pending \($0.pending)" } ?? "") } ?? "down"); registrar \(serverBackAt == nil ? "up" : "down"); link \(cutEndsAt == nil ? "up" : "cut")")
            }
        }
        say("line finished at bottle \(simulator.counter)")
        try await finishPacking()
        // Whatever is still scheduled ends now: the registrar comes back, the link is restored.
        if let ends = cutEndsAt {
            let wait = ends - .now
            if wait > .zero { try await Task.sleep(for: wait) }
            proxy.signal(SIGUSR2)
            say("link restored")
        }
        if let back = serverBackAt {
            let wait = back - .now
            if wait > .zero { try await Task.sleep(for: wait) }
            try server.start()
            figures.serverRestarts += 1
            say("registrar started again")
        }
        // Every queued activation delivered.
        let drainDeadline = ContinuousClock.now + .seconds(300)
        var drained = false
        while ContinuousClock.now < drainDeadline {
            if !agent.checkAlive() { try await startAgent() }
            if let status = await agentStatus(), status.outbox.pending == 0, status.outbox.unbatched == 0, status.outbox.openBatches == 0,
               (status.aggregation?.pending ?? 0) == 0 {
                drained = true
                break
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        say(drained ? "outbox drained" + (packing == nil ? "" : " (activations and aggregation events)") : "the outbox did not drain within 300 s")
        let agentExit = await agent.terminate()
        say("agent stopped (SIGTERM, exit \(agentExit.map(String.init) ?? "killed"))")
        await proxy.terminate(timeout: .seconds(5))
        figures.proxy = (try? JSONDecoder().decode(ProxyStats.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/proxy-stats.json"))))
        let report = simulator.stop()
        let stationReport = caseSimulator?.stop()
        let verdict = try await Reconciliation.check(self, report: report, stationReport: stationReport)
        await server.terminate()
        let events = try await Reconciliation.activationEvents(path: directory + "/registrar.sqlite")
        var final = verdict
        final.addEvents(events)
        final.unexpectedExits = agent.unexpectedExits + server.unexpectedExits + proxy.unexpectedExits
        print(final.render(figures: figures, options: options))
        if let path = options.summaryJson {
            try final.json(figures: figures, options: options).write(to: URL(fileURLWithPath: path))
        }
        if final.reconciled, options.workdir == nil {
            try? FileManager.default.removeItem(atPath: directory)
        } else {
            print("files kept in \(directory)")
        }
        return final.reconciled ? 0 : 1
    }

    mutating func killAgent(at counter: UInt64, note: String? = nil) async throws {
        agent.kill9()
        figures.agentKills += 1
        say("kill -9 agent at bottle \(counter)" + (note.map { " (\($0))" } ?? ""))
        // The PLCs' watchdogs stop the line and the case station within their 300 ms.
        let deadline = ContinuousClock.now + .seconds(3)
        while simulator.isRunning || caseSimulator?.isRunning == true, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        if simulator.isRunning, !simulator.isFinished { say("the watchdog did not stop the line within 3 s") }
        if caseSimulator?.isRunning == true { say("the case station's watchdog did not stop it within 3 s") }
        try await Task.sleep(for: .milliseconds(Int(random.uniform(200, 2_000))))
        try await restartAgentAndLine()
    }

    mutating func restartAgentAndLine() async throws {
        let down = ContinuousClock.now
        try await startAgent()
        figures.agentRestarts += 1
        figures.agentRestartSeconds.append((ContinuousClock.now - down).inSeconds)
        if !simulator.isFinished { simulator.setRunning(true) }
        caseSimulator?.setRunning(true)
    }

    /// After the line ended: the last bottles settle, the packer packs every full case left (at the conveyor's
    /// pace), and the agent gets the time to decide the last case.
    mutating func finishPacking() async throws {
        guard packing != nil, let caseSimulator else { return }
        try await Task.sleep(for: .seconds(1))  // the last bottles' verdicts
        packing!.lineEnded()
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            packing!.step()
            if !packing!.caseWaiting { break }
            if !caseSimulator.isRunning, let status = await agentStatus(), status.caseStations?.first?.plcLink == "up" {
                caseSimulator.setRunning(true)
            }
            if !agent.checkAlive() { try await startAgent() }
            try await Task.sleep(for: .milliseconds(20))
        }
        if let last = packing!.lastPulse {
            let settle = last + plan.configuration.lines[0].caseStation!.reject.decisionDeadline.duration + .seconds(1) - .now
            if settle > .zero { try await Task.sleep(for: settle) }
        }
        say("packing finished: \(packing!.cases) cases (\(packing!.repackedCases) repacked after a fail-safe reject), \(packing!.packer.waiting.count) bottles left for the last, partial case")
    }

    /// The cap bottle `sequence` carried (a bottle put back on the line carries its own).
    func cap(at sequence: UInt64) -> CapPlan.Cap? {
        if let packing { return packing.cap(at: sequence) }
        let index = Int(sequence) - 1
        return index >= 0 && index < caps.caps.count ? caps.caps[index] : nil
    }

    func tearDown() async {
        if let agent { await agent.terminate(timeout: .seconds(5)) }
        if let proxy { await proxy.terminate(timeout: .seconds(5)) }
        if let server { await server.terminate(timeout: .seconds(5)) }
        simulator?.stop()
        caseSimulator?.stop()
    }
}

/// What happened during the run.
struct Figures: Codable {
    var issued = 0
    var agentKills = 0
    var agentRestarts = 0
    var agentRestartSeconds: [Double] = []
    var serverKills = 0
    var serverRestarts = 0
    var cuts = 0
    var otherLineRestarts = 0
    /// Agent kills timed just after a case trigger.
    var caseKills = 0
    /// Case station restarts after a watchdog trip not caused by a kill.
    var otherStationRestarts = 0
    var proxy: ProxyStats?
}

/// `scripts/faultproxy.py`'s statistics file.
struct ProxyStats: Codable {
    var requests: Int
    var forwarded: Int
    var answered: Int
    var upstreamDown: Int
    var cutResets: Int
    var cuts: Int
    var badRequests: Int
    var faults: [String: Int]
}

extension SeededRandom {
    /// A uniformly drawn number in `low..<high`.
    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        high > low ? Double.random(in: low..<high, using: &self) : low
    }
}
