import ArgumentParser
import CommandSupport
import ConfigKit
import Foundation
import LineConfig

/// `lineagent check-config FILE`: validates the configuration and every calibration file it names.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check an agent configuration and its calibration files; print the plan or every problem found.")

    @Argument(help: "The agent configuration file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var file: String

    func run() throws {
        let url = URL(fileURLWithPath: file)
        do {
            let plan = try AgentPlan.load(contentsOf: url)
            print(PlanSummary.render(plan, displayPath: file))
        } catch {
            var stderr = StandardError()
            for issue in error.issues { print(issue, to: &stderr) }
            let count = error.issues.count
            print("\(count) problem\(count == 1 ? "" : "s") found; the agent would not start.", to: &stderr)
            throw ExitCode.failure
        }
    }
}

