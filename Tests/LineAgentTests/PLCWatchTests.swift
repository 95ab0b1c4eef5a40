import Foundation
import LineAgentTesting
import LineSimulator
import Testing

@Suite("lineagent plc watch against linesim")
struct PLCWatchTests {
    @Test("prints one JSON event per line: line state, recipe, bottles in order")
    func watchJSON() async throws {
        let configuration = repositoryRoot.appendingPathComponent("Config/agent.example.yaml")
        var (simulatorConfiguration, _) = try SimulatorConfiguration.load(agentConfiguration: configuration, line: "line1")
        simulatorConfiguration.bottlesPerHour = 36_000
        let simulator = LineSimulator(configuration: simulatorConfiguration)
        let port = try simulator.start()
        defer { _ = simulator.stop() }

        let run = try #require(try await runLineAgent(["plc", "watch", "--config", configuration.path, "--line", "line1",
                                                 "--host", "127.0.0.1", "--port", "\(port)", "--duration", "1.5", "--json"]))
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let events = run.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        #expect(events.count == run.stdout.split(separator: "\n").count, "every line is a JSON object")
        let types = events.compactMap { $0["event"] as? String }
        #expect(types.contains("bottle"), "types seen: \(Set(types))")
        let sequences = events.filter { $0["event"] as? String == "bottle" }.compactMap { ($0["sequence"] as? NSNumber)?.uint64Value }
        #expect(!sequences.isEmpty)
        #expect(sequences == sequences.sorted() && Set(sequences).count == sequences.count, "bottles in order, each once")
    }

    @Test("a port with nothing listening exits 1 and names the key")
    func deadPLC() async throws {
        let configuration = repositoryRoot.appendingPathComponent("Config/agent.example.yaml")
        let run = try #require(try await runLineAgent(["plc", "watch", "--config", configuration.path, "--line", "line1",
                                                 "--host", "127.0.0.1", "--port", "1", "--duration", "1"]))
        #expect(run.status == 1)
        #expect(run.stderr.contains("127.0.0.1:1"))
        #expect(run.stderr.contains("(port)"))
    }
}
