import Foundation
import LineAgentTesting
import LineConfig
import Testing
@testable import LineAgent

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Runs the built `lineagent` binary (it sits next to the test bundle) in the repository root; nil when not built.
func runLineAgent(_ arguments: [String]) async throws -> BinaryRun? {
    try await runSibling("lineagent", arguments, directory: repositoryRoot)
}

@Suite("lineagent check-config")
struct CheckConfigTests {
    @Test("the example configuration prints OK and a summary of the plan")
    func exampleSummary() throws {
        let plan = try AgentPlan.load(contentsOf: repositoryRoot.appendingPathComponent("Config/agent.example.yaml"))
        let summary = PlanSummary.render(plan, displayPath: "Config/agent.example.yaml")
        let lines = summary.split(separator: "\n")
        #expect(lines.first == "OK  Config/agent.example.yaml")
        #expect(summary.contains("line       line1"))
        #expect(summary.contains("camera line1-top"))
        #expect(summary.contains("plc tcp 192.0.2.10:502 unit 1"))
        #expect(summary.contains("recipe 1 → KZ-VDK-0001"))
        #expect(lines.count <= 24, "the summary must fit one screen")
    }

    @Test("the binary exits 0 with OK, or 1 with every problem")
    func binary() async throws {
        guard let ok = try await runLineAgent(["check-config", "Config/agent.example.yaml"]) else {
            Issue.record("lineagent binary not found next to the test bundle at \(CommandLine.arguments[0])")
            return
        }
        #expect(ok.status == 0)
        #expect(ok.stdout.hasPrefix("OK  Config/agent.example.yaml\n"))

        let broken = repositoryRoot.appendingPathComponent("Tests/Fixtures/config/agent-several-problems/agent.yaml").path
        let bad = try #require(try await runLineAgent(["check-config", broken]))
        #expect(bad.status == 1)
        #expect(bad.stdout.isEmpty)
        #expect(bad.stderr.contains("agent.yaml:25 products[0].capacityMl: expected millilitres 1-30000, got -5"))
        #expect(bad.stderr.contains("4 problems found"))

        let missing = try #require(try await runLineAgent(["check-config", "/nonexistent/agent.yaml"]))
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/agent.yaml: cannot read the file"))
    }
}
