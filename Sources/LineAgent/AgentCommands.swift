import AgentConsole
import AgentRuntime
import ArgumentParser
import CommandSupport
import ConfigKit
import Foundation
import LineConfig
import Logging
import ServiceLifecycle
import SystemdNotify
import UnixSignals

/// `run` and `demo`: the agent itself, and the complete simulated line.
let agentCommands: [any ParsableCommand.Type] = [RunCommand.self, DemoCommand.self]

/// `lineagent run --config FILE`: runs the agent until SIGTERM/SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the line agent: cameras, PLC, decisions, outbox, delivery, and /health /ready /metrics /status.",
        discussion: """
        Stops on SIGTERM or SIGINT: cameras first, then the bottles in flight are decided and recorded, the PLC links \
        close, and the outbox gets one flush of at most --flush-timeout seconds; what is unsent stays on disk for the \
        next start.
        """)

    @Option(name: .long, help: "The agent configuration file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var config: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: "Seconds the outbox may spend delivering on shutdown.")
    var flushTimeout: Double = 5

    @Option(name: .long, help: "Log lines as text or json (one JSON object per line, for journald and log shippers).")
    var logFormat: LogFormat = .text

    func run() async throws {
        var stderr = StandardError()
        let plan: AgentPlan
        do {
            plan = try AgentPlan.load(contentsOf: URL(fileURLWithPath: config))
        } catch {
            for issue in error.issues { print(issue, to: &stderr) }
            print("\(error.issues.count) problem(s) found; the agent does not start.", to: &stderr)
            throw ExitCode.failure
        }
        CommandLogging.bootstrap(level: logLevel, format: logFormat)
        let logger = Logger(label: "qazline.agent")
        var overrides = LineAgentRuntime.Overrides()
        overrides.shutdownFlushTimeout = .milliseconds(Int(flushTimeout * 1_000))
        let agent: LineAgentRuntime
        do {
            if plan.configuration.console.enabled {
                overrides.http = try AgentConsole(configuration: plan.configuration.console, logger: logger)
            }
            agent = try LineAgentRuntime(plan: plan, overrides: overrides, logger: logger)
        } catch {
            print("lineagent run: \(error)", to: &stderr)
            throw ExitCode.failure
        }
        logger.info("agent starting", metadata: [
            "agent.lines": "\(plan.configuration.lines.map(\.id).joined(separator: ","))", "outbox.path": "\(plan.outboxPath)",
            "http.endpoint": "\(plan.endpointURL)"])
        do {
            try await Self.runGroup(agent, logger: logger)
        } catch {
            await agent.close()
            print("lineagent run: \(error)", to: &stderr)
            throw ExitCode.failure
        }
        await agent.close()
    }
}

extension RunCommand {
    /// The agent's services in one group (stopped in reverse order on SIGTERM/SIGINT), with the systemd notifier last:
    /// READY=1 once the outbox is open (the agent was built), every service runs and the HTTP endpoint listens;
    /// watchdog pings while every line's bottle path and PLC poll loop move (``AgentLiveness``); STOPPING=1 first.
    static func runGroup(_ agent: LineAgentRuntime, logger: Logger) async throws {
        let started = ServiceStartTracker()
        let liveness = AgentLiveness(agent: agent)
        let lines = agent.plan.configuration.lines.map(\.id).joined(separator: ", "), endpoint = agent.plan.endpointURL
        let notify = SystemdNotifyService(
            isReady: { started.allStarted && agent.httpPort != nil }, readyStatus: { "lines \(lines) running; HTTP \(endpoint)" },
            health: { await liveness.problem().map { .unhealthy($0) } ?? .healthy }, logger: logger)
        var configuration = ServiceGroupConfiguration(
            services: (started.wrap(agent.services) + [notify]).map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = agent.maximumGracefulShutdown
        try await ServiceGroup(configuration: configuration).run()
    }
}

/// `lineagent demo`: the simulated plant is its own program, `qazline-demo` (the agent binary does not link the
/// registrar, linesim or the plant); this runs it with the same arguments when it sits next to `lineagent`.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a complete simulated line (runs qazline-demo, installed next to lineagent, with these arguments).",
        discussion: "See `qazline-demo --help` for the options.")

    @Argument(parsing: .allUnrecognized, help: "Arguments for qazline-demo.")
    var arguments: [String] = []

    func run() throws {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let demo = here.appendingPathComponent("qazline-demo")
        guard FileManager.default.isExecutableFile(atPath: demo.path) else {
            var stderr = StandardError()
            print("lineagent demo: the simulated line is the program qazline-demo, not found next to lineagent (\(demo.path)); build it with `swift build --product qazline-demo` or run scripts/demo.sh", to: &stderr)
            throw ExitCode.failure
        }
        // Become qazline-demo (same process, same pipes): signals reach the demo itself and its exit status is ours.
        let argv = ([demo.path] + arguments).map { strdup($0) } + [nil]
        execv(demo.path, argv)
        var stderr = StandardError()
        print("lineagent demo: cannot run \(demo.path): \(String(cString: strerror(errno)))", to: &stderr)
        throw ExitCode.failure
    }
}
