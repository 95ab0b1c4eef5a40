import ConfigKit
import Foundation
import LineConfig

/// Why a simulator configuration could not be made from an agent configuration file.
public enum SimulatorConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The file has problems (each names file, line and key path).
    case invalid(ConfigError)
    /// No line has this id.
    case unknownLine(String, available: [String])

    public var description: String {
        switch self {
        case .invalid(let error): error.issues.map { "\($0)" }.joined(separator: "\n")
        case .unknownLine(let id, let available):
            "no line \"\(id)\" in the configuration (lines: \(available.joined(separator: ", ")))"
        }
    }
}

extension SimulatorConfiguration {
    /// A simulator for one line of an agent configuration: its register map, unit id and port, and its reject
    /// station offset.
    /// - Parameters:
    ///   - url: the agent configuration file (`Config/agent.example.yaml`).
    ///   - lineID: the line's id.
    /// - Returns: the simulator configuration and the line as configured.
    public static func load(agentConfiguration url: URL, line lineID: String) throws(SimulatorConfigurationError)
        -> (SimulatorConfiguration, LineConfiguration) {
        let agent: AgentConfiguration
        do {
            agent = try ConfigLoader.load(AgentConfiguration.self, contentsOf: url)
        } catch {
            throw .invalid(error)
        }
        guard let line = agent.lines.first(where: { $0.id == lineID }) else {
            throw .unknownLine(lineID, available: agent.lines.map(\.id))
        }
        var configuration = SimulatorConfiguration(registers: line.plc.registers)
        configuration.unitID = line.plc.unitID
        configuration.port = line.plc.effectivePort
        configuration.stationOffset = line.reject.stationOffset
        configuration.recipes = agent.products.map(\.recipe)
        return (configuration, line)
    }
}
