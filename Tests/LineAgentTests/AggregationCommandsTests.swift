import Foundation
import LineAgentTesting
import LineCore
import Outbox
import Testing

@Suite("lineagent case and pallet", .serialized)
struct AggregationCommandsTests {
    /// A packed case of three bottles the agent passed (good decisions first, as on the line).
    private func packedCase(_ store: OutboxStore, code: String, bottles: [StampCode]) async throws {
        let product = Product(dsnCode: "KZ-1", name: "Vodka", type: "vodka", capacityMl: 500, strength: 40)
        for (index, bottle) in bottles.enumerated() {
            _ = try await store.append(BottleDecision(lineID: "line1", bottleSequence: UInt64(index + 1), decidedAt: Date(), product: product,
                                                      verdict: .good(bottle)))
        }
        let outcome = try await store.recordCase(CaseRecord(code: UnitCode(trusted: code), lineID: "line1", stationID: "case1", sequence: 1,
                                                            good: true, at: Date(), contents: bottles, bottleCount: bottles.count))
        guard case .recorded = outcome else { Issue.record("not recorded: \(outcome)"); return }
    }

    @Test("case list/show/dissolve on the agent's database: found by case code or a bottle's code, dissolved once, recorded")
    func caseCommands() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let sscc = "048700010000000019"
        try await packedCase(try fixture.store(), code: sscc, bottles: [stamp(1), stamp(2), stamp(3)])
        let list = try await lineagent(["case", "list", "--config", fixture.configPath])
        #expect(list.status == 0 && list.stdout.contains("cases: 1 packed") && list.stdout.contains(sscc), "\(list)")
        let shown = try await lineagent(["case", "show", "--config", fixture.configPath, stamp(2).rawValue])
        #expect(shown.status == 0 && shown.stdout.contains(sscc) && shown.stdout.contains("casePacked: pending"), "\(shown)")
        let dissolved = try await lineagent(["case", "dissolve", "--config", fixture.configPath, sscc, "--reason", "crushed"])
        #expect(dissolved.status == 0 && dissolved.stdout.contains("3 bottle code(s) released"), "\(dissolved)")
        let again = try await lineagent(["case", "dissolve", "--config", fixture.configPath, sscc])
        #expect(again.status != 0 && again.stderr.contains("already dissolved"), "\(again)")
        let unknown = try await lineagent(["case", "show", "--config", fixture.configPath, "NOPE1234"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no case NOPE1234 is recorded"), "\(unknown)")
        let store = try fixture.store()
        let entry = try #require(try await store.auditLog().first)
        #expect(entry.action == "case-dissolve" && entry.target == sscc && entry.user.hasPrefix("terminal:"))
        #expect(try await store.reworkAllowances().count == 3)
    }

    @Test("pallet build names what is wrong: no case station, a bad case code")
    func palletRefusals() async throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanup() }
        let noStation = try await lineagent(["pallet", "build", "--config", fixture.configPath, "048700010000000019"])
        #expect(noStation.status != 0 && noStation.stderr.contains("no line has a case station"), "\(noStation)")
    }
}
