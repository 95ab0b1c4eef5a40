import Aggregation
import AgentRuntime
import Foundation
import LabelPrinting
import LineCore
import LineSimulator
import Outbox
import QazAPI

/// The case station's part of the demo summary: what the packer made, what the station decided, what the registrar
/// holds, and whether they agree.
public struct CaseSummary: Codable, Sendable {
    public var bottlesPerCase: Int
    /// `pre-printed labels` or `printed by the agent`.
    public var caseCodes: String
    /// Cases the packer made (case triggers at the station's PLC).
    public var triggered: Int
    public var decided: Int
    /// Cases accepted (packed) by the agent.
    public var packed: Int
    public var rejected: Int
    public var rejectedByReason: [String: Int]
    /// Defects the packer made on purpose, by kind.
    public var defectsMade: [String: Int]
    /// Accepted cases the registrar holds as packed with their codes.
    public var acceptedByRegistrar: Int
    public var bottlesInGoodCases: Int
    public var bottlesInRejectedCases: Int
    /// Passed bottles left over at the end: the last, partial case (not packed).
    public var partialCase: Int
    public var pallets: Int
    public var palletsAtRegistrar: Int
    /// Labels the test printer received (printer mode).
    public var labelsPrinted: Int?
    public var decisionLatencyP50Ms: Double
    public var decisionLatencyP99Ms: Double
    public var decodeP50Ms: Double
    public var decodeP99Ms: Double
    /// The agent's own time per case: frame delivered → decision (read, rules, print, record).
    public var processingP50Ms: Double
    public var processingP99Ms: Double
    /// From the station's simulated PLC: case rejects after the case passed the gate, bad cases without a command.
    public var rejectsLate: Int
    public var rejectsMissed: Int
    public var problemCases: [String]
    public var checks: [String: Bool]
}

extension LineDemo {
    static func reconcileCases(packer: CasePacker, simulator: LineSimulator, reports: [CaseReport], bottles: [BottleReport],
                               agent: LineAgentRuntime, registrar: DemoRegistrar, printer: TestLabelPrinter?) async throws -> CaseSummary {
        let made = packer.cases
        let bySequence = Dictionary(reports.map { ($0.sequence, $0) }, uniquingKeysWith: { a, _ in a })
        let sim = simulator.report()
        var problems: [String] = []
        var defects: [String: Int] = [:]
        var byReason: [String: Int] = [:]
        var defectiveRejected = true, nominalAccepted = true
        var inGood = 0, inRejected = 0
        var goodCaseCodes: [String] = []
        var aggregated = Set<String>(), twice = 0
        for packed in made {
            if packed.defect != .none { defects[packed.defect.rawValue, default: 0] += 1 }
            guard let report = bySequence[packed.sequence] else {
                problems.append("case \(packed.sequence) (\(packed.defect.rawValue)): no decision")
                continue
            }
            if report.good {
                inGood += packed.passedCodes.count
                if let code = report.code { goodCaseCodes.append(code.rawValue) }
                for code in packed.passedCodes where !aggregated.insert(code).inserted { twice += 1 }
            } else {
                inRejected += packed.passedCodes.count
                for reason in report.reasons { byReason[reason.rawValue, default: 0] += 1 }
            }
            if packed.defect != .none, report.good {
                defectiveRejected = false
                problems.append("DEFECTIVE CASE ACCEPTED case \(packed.sequence) (\(packed.defect.rawValue)) as \(report.code?.rawValue ?? "-")")
            }
            if packed.defect == .none, !report.good {
                nominalAccepted = false
                problems.append("good case \(packed.sequence) rejected: \(report.reasons.map(\.rawValue).joined(separator: ", "))")
            }
        }
        // The registrar: every accepted case packed with its bottles; bottles of rejected cases in no case.
        var atRegistrar = 0
        for code in goodCaseCodes {
            if let unit = try await registrar.unit(code), unit.status == .packed, unit.kind == .case {
                atRegistrar += 1
            }
        }
        var rejectedAggregated = 0
        for packed in made where bySequence[packed.sequence].map({ !$0.good }) ?? false {
            for code in packed.passedCodes.prefix(2) where try await registrar.code(code).`case` != nil { rejectedAggregated += 1 }
        }
        let counts = try await agent.store.caseCounts()
        var palletsAtRegistrar = 0
        for pallet in try await agent.store.recentPallets(limit: 1_000) where pallet.status == "built" {
            if let unit = try await registrar.unit(pallet.code), unit.status == .packed { palletsAtRegistrar += 1 }
        }
        let depth = try await agent.store.aggregationDepth()
        let passed = bottles.filter { !$0.rejected && $0.code != nil }.count
        let partial = packer.waiting.count
        let latencies = reports.map(\.latency.inMilliseconds).sorted()
        let decodes = reports.compactMap { $0.decodeTime?.inMilliseconds }.sorted()
        let processing = reports.compactMap { $0.processing?.inMilliseconds }.sorted()
        let good = reports.filter(\.good).count
        let checks: [String: Bool] = [
            "every case decided": reports.count == made.count && Int(sim.bottles) == made.count,
            "every defective case rejected": defectiveRejected,
            "no good case rejected": nominalAccepted,
            "cases accepted = cases accepted by the registrar": atRegistrar == good,
            "every passed bottle in exactly one accepted case, a rejected case or the partial case":
                inGood + inRejected + partial == passed && twice == 0,
            "bottles of rejected cases not aggregated at the registrar": rejectedAggregated == 0,
            "aggregation queue empty": depth.pending == 0 && depth.dead == 0,
            "pallets built = pallets at the registrar": palletsAtRegistrar == (counts["pallets"] ?? 0),
            "case rejects late/missed = 0": sim.tooLate.isEmpty && sim.neverCommanded.isEmpty,
        ]
        return CaseSummary(
            bottlesPerCase: made.first?.slots.count ?? 0, caseCodes: printer == nil ? "pre-printed labels" : "printed by the agent",
            triggered: made.count, decided: reports.count, packed: good, rejected: reports.count - good, rejectedByReason: byReason,
            defectsMade: defects, acceptedByRegistrar: atRegistrar, bottlesInGoodCases: inGood, bottlesInRejectedCases: inRejected,
            partialCase: partial, pallets: counts["pallets"] ?? 0, palletsAtRegistrar: palletsAtRegistrar, labelsPrinted: printer?.jobs.count,
            decisionLatencyP50Ms: latencies.isEmpty ? 0 : percentile(ofSorted: latencies, 0.5),
            decisionLatencyP99Ms: latencies.isEmpty ? 0 : percentile(ofSorted: latencies, 0.99),
            decodeP50Ms: decodes.isEmpty ? 0 : percentile(ofSorted: decodes, 0.5),
            decodeP99Ms: decodes.isEmpty ? 0 : percentile(ofSorted: decodes, 0.99),
            processingP50Ms: processing.isEmpty ? 0 : percentile(ofSorted: processing, 0.5),
            processingP99Ms: processing.isEmpty ? 0 : percentile(ofSorted: processing, 0.99),
            rejectsLate: sim.tooLate.count, rejectsMissed: sim.neverCommanded.count, problemCases: problems, checks: checks)
    }
}
