import ConfigKit
import Foundation

/// The agent configuration with every camera's calibration loaded: what `lineagent check-config` verifies and
/// what the agent runs.
public struct AgentPlan: Sendable {
    /// The configuration file as given.
    public var configurationFile: URL
    public var configuration: AgentConfiguration
    /// Calibrations by camera id.
    public var calibrations: [String: CalibrationConfiguration]

    /// Loads the agent configuration and every calibration file it names; reports the problems of all files together.
    public static func load(contentsOf url: URL) throws(ConfigError) -> AgentPlan {
        let configuration = try ConfigLoader.load(AgentConfiguration.self, contentsOf: url)
        var calibrations: [String: CalibrationConfiguration] = [:]
        var issues: [ConfigIssue] = []
        for line in configuration.lines {
            for camera in line.cameras + (line.caseStation.map { [$0.camera] } ?? []) {
                let calibrationURL = ConfigLoader.resolve(camera.calibration, relativeTo: url.deletingLastPathComponent())
                do {
                    let calibration = try ConfigLoader.load(CalibrationConfiguration.self, contentsOf: calibrationURL)
                    if calibration.camera != camera.id {
                        issues.append(ConfigIssue(
                            file: calibrationURL.lastPathComponent, line: 1, path: "camera",
                            message: "this file calibrates camera \"\(calibration.camera)\" but line \"\(line.id)\" uses it for camera \"\(camera.id)\""))
                    }
                    calibrations[camera.id] = calibration
                } catch {
                    issues += error.issues
                }
            }
        }
        if !issues.isEmpty { throw ConfigError(issues: issues) }
        return AgentPlan(configurationFile: url, configuration: configuration, calibrations: calibrations)
    }

    /// Resolves a path from the configuration file against the file's directory.
    public func resolve(_ path: String) -> URL {
        ConfigLoader.resolve(path, relativeTo: configurationFile.deletingLastPathComponent())
    }
}
