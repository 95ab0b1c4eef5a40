import AgentRuntime
import ArgumentParser
import CommandSupport
import ConfigKit
import Foundation
import LineConfig
import LineDemo
import LineCore
import Logging
import Vision

/// `chaos`: the fault-injection run of issue 8 (see `docs/chaos.md`).
@main
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Fault injection: a simulated line, the agent and the registrar as processes, a fault proxy, kill -9; then reconcile.",
        subcommands: [ChaosRunCommand.self, ChaosAgentCommand.self],
        defaultSubcommand: ChaosRunCommand.self)
}

/// `chaos agent`: the line agent exactly as `lineagent run` composes it (``LineAgentRuntime``), with the one camera
/// replaced by ``TriggeredCamera`` (the simulated line's hardware-triggered camera) and the case station's camera by
/// ``CaseWireCamera`` (the cases the orchestrator's packer made). Started and killed by `chaos run`.
struct ChaosAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run the agent for a chaos run (started by `chaos run`).", shouldDisplay: false)

    @Option(help: "The agent configuration file.") var config: String
    @Option(help: "The cap plan written by `chaos run`.") var caps: String
    @Option(help: "Seed of the frame generator.") var seed: UInt64 = 1
    @Option(help: "The UDP port of the trigger wire from linesim.") var triggerPort: Int
    @Option(help: "The UDP port of the case wire from the packer (needed when the configuration has a case station).")
    var casePort: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.") var logLevel: Logger.Level = .notice

    func run() async throws {
        let plan: AgentPlan
        do {
            plan = try AgentPlan.load(contentsOf: URL(fileURLWithPath: config))
        } catch {
            for issue in error.issues { FileHandle.standardError.write(Data("\(issue)\n".utf8)) }
            throw ExitCode.failure
        }
        CommandLogging.bootstrap(level: logLevel)
        let payloads = try CapPlan.payloads(from: caps)
        var overrides = LineAgentRuntime.Overrides()
        let port = triggerPort
        overrides.frameSource = { _, camera, _ in
            let wire = WireTrigger(port: port)
            return TriggeredCamera(name: "chaos:\(camera.id)", trigger: wire, seed: seed &+ UInt64(getpid())) { sequence in
                if let putBack = wire.payload(of: sequence) { return putBack }
                let index = Int(sequence) - 1
                return index >= 0 && index < payloads.count ? payloads[index] : nil
            }
        }
        if plan.configuration.lines.contains(where: { $0.caseStation != nil }) {
            guard let casePort else {
                FileHandle.standardError.write(Data("chaos agent: the configuration has a case station: --case-port is needed\n".utf8))
                throw ExitCode.failure
            }
            overrides.caseFrameSource = { _, station in
                CaseWireCamera(name: "chaos:\(station.camera.id)", port: casePort, seed: seed &+ 7 &+ UInt64(getpid()))
            }
        }
        let agent = try LineAgentRuntime(plan: plan, overrides: overrides, logger: Logger(label: "qazline.agent"))
        do {
            try await agent.run()
        } catch {
            await agent.close()
            FileHandle.standardError.write(Data("chaos agent: \(error)\n".utf8))
            throw ExitCode.failure
        }
        await agent.close()
    }
}
