import ArgumentParser
import CommandSupport
import ConfigKit
import Foundation
import AgentRuntime
import LineConfig

/// `lineagent check-config FILE`: validates the configuration and every calibration file it names, and the permissions
/// of the secret files it names (`server.credentialFile`, `server.clientKey`: no access for group or others).
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check an agent configuration and its calibration files; print the plan or every problem found.")

    @Argument(help: "The agent configuration file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var file: String

    func run() throws {
        let url = URL(fileURLWithPath: file)
        let plan: AgentPlan
        do {
            plan = try AgentPlan.load(contentsOf: url)
        } catch {
            var stderr = StandardError()
            for issue in error.issues { print(issue, to: &stderr) }
            let count = error.issues.count
            print("\(count) problem\(count == 1 ? "" : "s") found; the agent would not start.", to: &stderr)
            throw ExitCode.failure
        }
        // Secret files others can read: the agent would refuse to start (the same check as at start-up).
        let secrets = plan.credentialProblems()
        guard secrets.isEmpty else {
            var stderr = StandardError()
            for problem in secrets { print("\(file) \(problem)", to: &stderr) }
            print("\(secrets.count) problem\(secrets.count == 1 ? "" : "s") found; the agent would not start.", to: &stderr)
            throw ExitCode.failure
        }
        print(PlanSummary.render(plan, displayPath: file))
    }
}

