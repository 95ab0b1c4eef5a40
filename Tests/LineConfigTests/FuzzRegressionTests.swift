import ConfigKit
import Foundation
import LineConfig
import Testing

/// Inputs the `config` fuzz target (Fuzz/config, docs/fuzzing.md) crashed on, kept as regression cases: each must
/// now be refused with a located error instead of trapping.
@Suite("Fuzz regressions: agent configuration")
struct ConfigFuzzRegressionTests {
    static let example = repositoryRoot.appendingPathComponent("Config/agent.example.yaml")
    static let register = "rejectSequence:       { address: 100, bits: 32 }"

    /// The example configuration with its `rejectSequence` register replaced.
    func problems(rejectSequence replacement: String) throws -> [ConfigIssue] {
        let text = try String(contentsOf: Self.example, encoding: .utf8)
        #expect(text.contains(Self.register), "Config/agent.example.yaml no longer has the register line this test edits")
        let yaml = text.replacingOccurrences(of: Self.register, with: "rejectSequence: \(replacement)")
        do {
            _ = try ConfigLoader.decode(AgentConfiguration.self, yaml: yaml, file: "agent.yaml", baseDirectory: Self.example.deletingLastPathComponent())
            Issue.record("the configuration was accepted")
            return []
        } catch {
            return error.issues
        }
    }

    // Found by libFuzzer (`bits: 32 4` decoded to a placeholder of 0 bits): a register of fewer than 16 bits has
    // no address range, and the overlap check built `100...99` and trapped.
    @Test("a register with bits under 16 is an error, not a crash", arguments: ["{ address: 100, bits: 8 }", "{ address: 100, bits: 32 4 }"])
    func narrowRegister(_ register: String) throws {
        let issues = try problems(rejectSequence: register)
        #expect(issues.contains { $0.path.description == "lines[0].plc.registers.rejectSequence.bits" && $0.line != nil },
                "issues: \(issues.map(\.description))")
    }

    // The same check with an address at the top of Int: `address + width - 1` overflowed.
    @Test("an address near Int.max is an error, not a crash")
    func hugeAddress() throws {
        let issues = try problems(rejectSequence: "{ address: 9223372036854775807, bits: 32 }")
        #expect(issues.contains { $0.path.description == "lines[0].plc.registers.rejectSequence.address" && $0.message.contains("expected an address 0-65534") },
                "issues: \(issues.map(\.description))")
    }
}
