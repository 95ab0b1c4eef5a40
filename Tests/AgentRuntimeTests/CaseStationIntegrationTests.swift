import AgentRuntime
import Aggregation
import Foundation
import LabelPrinting
import LineCore
import LineDemo
import Outbox
import QazAPI
import Testing

/// The case station on the simulated plant: the station's PLC on linesim (Modbus TCP), case frames rendered from the
/// bottles that passed and read by the real case reader, the label printer on loopback, the real registrar.
@Suite(.serialized) struct CaseStationIntegrationTests {
    private func caseOptions(bottles: Int, printed: Bool, defects: Double) -> DemoOptions {
        var demo = options(bottles: bottles)
        demo.shares = [.unreadable: 0.03, .damaged: 0.02, .duplicate: 0.03, .foreign: 0.02]
        demo.caseStation = true
        demo.printedCaseCodes = printed
        demo.casesPerPallet = 4
        let kinds: [CaseDefect] = printed ? [.missingBottle, .rejectedCap, .unreadableCap]
            : [.missingBottle, .rejectedCap, .unreadableCap, .unreadableLabel, .duplicatedLabel]
        demo.caseDefects = CasePacker.Shares(Dictionary(uniqueKeysWithValues: kinds.map { ($0, defects / Double(kinds.count)) }))
        return demo
    }

    @Test("Pre-printed labels: every good case packed once and accepted by the registrar, every defective case rejected, bottles reconciled")
    func labelsReconcile() async throws {
        let summary = try await LineDemo.run(caseOptions(bottles: 300, printed: false, defects: 0.3), logger: quiet)
        #expect(summary.reconciled, "\(LineDemo.render(summary))")
        let cases = try #require(summary.cases)
        #expect(cases.triggered >= 20 && cases.decided == cases.triggered)
        #expect(cases.rejected > 0 && cases.packed > 0, "\(LineDemo.render(summary))")
        #expect(cases.acceptedByRegistrar == cases.packed)
        #expect(cases.pallets == cases.palletsAtRegistrar && cases.pallets > 0)
    }

    @Test("Printed codes: each accepted case's SSCC is printed (ZPL to the test printer) and packed at the registrar")
    func printedCodes() async throws {
        try await SimulatedPlant.run(caseOptions(bottles: 160, printed: true, defects: 0.2), logger: quiet) { plant in
            let printer = try #require(plant.printer)
            try await withAgent(plant) { agent in
                try await plant.startLine(agent)
                try await plant.waitForBottles(160, agent: agent, timeout: .seconds(60))
                try await Task.sleep(for: .milliseconds(300))
                try await plant.waitForCases(timeout: .seconds(30))
                _ = try await plant.waitForDelivery(agent, timeout: .seconds(30))
                try await LineDemo.waitUntil(timeout: .seconds(30), "the aggregation queue to drain") {
                    try await agent.store.aggregationDepth().pending == 0
                }
                let good = plant.caseReports.filter(\.good)
                #expect(!good.isEmpty)
                let printed = Set(printer.jobs.compactMap(\.gs1ElementString))
                for report in good {
                    let code = try #require(report.code)
                    #expect(code.isSSCC && code.rawValue.hasPrefix("0" + LineDemo.companyPrefix))
                    #expect(printed.contains { $0.contains("00" + code.rawValue) }, "no label printed for \(code): \(printed)")
                    let unit = try #require(try await plant.registrar.unit(code.rawValue))
                    #expect(unit.status == .packed && unit.count == report.codes.count)
                    let bottle = try await plant.registrar.code(report.codes[0].rawValue)
                    #expect(bottle.case == code)
                }
            }
        }
    }

    @Test("A printer that is off: the cases are rejected (printer-failed) with an alarm, their bottles held for rework, nothing sent")
    func printerOff() async throws {
        try await SimulatedPlant.run(caseOptions(bottles: 60, printed: true, defects: 0), logger: quiet) { plant in
            let printer = try #require(plant.printer)
            try await printer.setBehaviour(.off)
            try await withAgent(plant) { agent in
                try await plant.startLine(agent)
                try await plant.waitForBottles(60, agent: agent, timeout: .seconds(60))
                try await Task.sleep(for: .milliseconds(300))
                try await plant.waitForCases(timeout: .seconds(30))
                let reports = plant.caseReports
                #expect(!reports.isEmpty && reports.allSatisfy { !$0.good && $0.reasons.contains(.printerFailed) }, "\(reports)")
                let snapshot = await agent.snapshot()
                #expect(snapshot.alarms.contains { $0.kind == "printer" })
                let rejected = try await agent.store.recentCases(status: "rejected")
                #expect(rejected.count == reports.count && rejected.allSatisfy { $0.code == nil && $0.members.count == $0.contents.count })
                #expect(try await agent.store.aggregationDepth().pending == 0)
                // Rework: dissolving one releases its bottles; the bottle codes are free for another case.
                let first = try #require(rejected.first)
                let dissolved = try await agent.store.dissolveCase("#\(first.id)", by: "test", reason: "printer fixed")
                #expect(dissolved.status == "dissolved" && dissolved.members.isEmpty)
                let state = try await agent.store.caseState(of: [StampCode(trusted: first.contents[0])], unit: nil)
                #expect(state.codes.values.first == CaseCodeState(passedHere: true, inCase: nil))
            }
        }
    }
}
