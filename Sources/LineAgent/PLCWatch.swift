import ArgumentParser
import CommandSupport
import ConfigKit
import Foundation
import LineConfig
import Logging
import PLC

/// `lineagent plc watch --config FILE --line ID [--duration S] [--json]`: connects to the line's PLC, checks every
/// configured address, and prints the events as they come, so an engineer can check wiring and register map.
struct PLCWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print a line's PLC events as they come (bottles, line state, recipe, heartbeat, link).",
        discussion: """
        Read-only unless --heartbeat is given: the agent's output registers are checked at start-up but not written, \
        so watching never fights a running agent. Exits 1 when the PLC cannot be reached or refuses a configured \
        address at start-up (the message names the key and the address).
        """)

    @Option(name: .long, help: "The agent configuration file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var config: String

    @Option(name: .long, help: "The line whose PLC to watch.")
    var line: String

    @Option(name: .long, help: "Stop after this many seconds (default: until Ctrl-C).")
    var duration: Double?

    @Flag(name: .long, help: "One JSON object per line.")
    var json = false

    @Option(name: .long, help: "Connect to this host instead of the configured one (e.g. 127.0.0.1 for linesim).")
    var host: String?

    @Option(name: .long, help: "Connect to this port instead of the configured one.")
    var port: Int?

    @Flag(name: .long, help: "Also write the agent heartbeat, status and counters every poll.")
    var heartbeat = false

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be more than 0 seconds") }
        if let port, !(1...65_535).contains(port) { throw ValidationError("--port must be 1-65535, got \(port)") }
    }

    func run() async throws {
        var stderr = StandardError()
        let agent: AgentConfiguration
        do {
            agent = try ConfigLoader.load(AgentConfiguration.self, contentsOf: URL(fileURLWithPath: config))
        } catch {
            for issue in error.issues { print(issue, to: &stderr) }
            throw ExitCode.failure
        }
        guard let lineConfiguration = agent.lines.first(where: { $0.id == line }) else {
            print("no line \"\(line)\" in \(config) (lines: \(agent.lines.map(\.id).joined(separator: ", ")))", to: &stderr)
            throw ExitCode.failure
        }
        var plc = lineConfiguration.plc
        if let host { plc.host = host }
        if let port { plc.port = ConfigPort(port) }

        var logger = Logger(label: "qazline.plc")
        logger.logLevel = .error  // link changes are printed as events
        logger[metadataKey: "line.id"] = "\(line)"
        let link = ModbusPLCLink(configuration: plc, logger: logger)
        do {
            // Start-up check: connect, read every input block and every output register once.
            try await link.connect()
            _ = try await link.readInputs()
            _ = try await link.readOutputs()
        } catch {
            print("lineagent plc watch: \(error)", to: &stderr)
            throw ExitCode.failure
        }

        var options = PLCMonitor.Options(plc: plc, reject: lineConfiguration.reject)
        options.writesOutputs = heartbeat
        let monitor = PLCMonitor(link: link, options: options, logger: logger)
        if heartbeat { await monitor.setStatus(.ready) }
        let json = json
        let duration = duration
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await monitor.run() }
            group.addTask {
                for await event in monitor.events {
                    print(json ? event.json : event.description)
                    fflush(nil)
                }
            }
            if let duration {
                group.addTask { try? await Task.sleep(for: .milliseconds(Int(duration * 1_000))) }
            }
            // The monitor finishes its event stream when cancelled (Ctrl-C ends the process as usual).
            await group.next()
            group.cancelAll()
        }
    }
}
