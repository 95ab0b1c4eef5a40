import Foundation
import LineCore
import LineDemo
import LineSimulator
import Outbox
import QazAPI
import QazClient

/// The case station's part of the reconciliation: what the packer made (each case's bottles and label), what the
/// station's PLC did with each case (let it pass the reject gate, pushed it off on the agent's command, or rejected it
/// fail-safe when its watchdog fired), what the agent recorded (its database) and what the registrar holds
/// (`GET /v1/units/{code}`), compared. A case is held either fully (recorded once as packed, with its bottles, and
/// packed at the registrar with the same bottles) or not at all (rejected, dissolved, or never recorded) — never half.
struct CaseFindings: Codable {
    // What happened
    /// Cases the packer made (case triggers at the station's PLC).
    var triggered = 0
    /// Defects the packer made on purpose, by kind.
    var defectsMade: [String: Int] = [:]
    /// Cases that went past the reject gate (the last ones, still upstream at the end: not commanded in time and not
    /// rejected fail-safe).
    var passedGate = 0
    var rejectedAtGate = 0
    /// The station PLC's watchdog: trips, and cases it rejected fail-safe.
    var stationTrips = 0
    var failSafeCases = 0
    /// Cases unpacked after a fail-safe reject and their bottles, packed again.
    var repackedCases = 0
    var repackedBottles = 0
    /// Bottles that went past the line's station into the packer, and those left for the last, partial case.
    var bottlesToPacker = 0
    var partialCase = 0

    // What the agent recorded
    var packed = 0
    var rejected = 0
    var rejectedByReason: [String: Int] = [:]
    /// Recorded packed, then dissolved because the PLC rejected them fail-safe after they were recorded.
    var dissolved = 0
    /// Triggered, never recorded: the agent was killed before it recorded them (rejected at the gate).
    var unrecorded = 0
    var bottlesInPackedCases = 0
    var pallets = 0
    var palletsAtRegistrar = 0

    // What the registrar holds
    var packedAtRegistrar = 0
    var aggregationDelivered = 0
    var aggregationPending = 0
    var aggregationDead = 0

    // Mismatches
    var recordedTwice: [String] = []
    var strayRecords: [String] = []
    var passedNotPacked: [String] = []
    var defectiveAccepted: [String] = []
    var notAtRegistrar: [String] = []
    var rejectedStillPacked: [String] = []
    var codeInTwoCases: [String] = []
    var caseCodeTwice: [String] = []
    var notActivated: [String] = []
    var palletProblems: [String] = []
    var deadEvents: [String] = []

    var reconciled: Bool {
        recordedTwice.isEmpty && strayRecords.isEmpty && passedNotPacked.isEmpty && defectiveAccepted.isEmpty && notAtRegistrar.isEmpty
            && rejectedStillPacked.isEmpty && codeInTwoCases.isEmpty && caseCodeTwice.isEmpty && notActivated.isEmpty
            && palletProblems.isEmpty && aggregationPending == 0 && aggregationDead == 0
    }

    /// Compares the packer's cases, the station's report, the agent's database and the registrar.
    /// - Parameters:
    ///   - report: the case station PLC's final report.
    ///   - registrar: a client of the revenue body (reads any unit).
    ///   - activated: the producer's codes the registrar holds as activated.
    static func check(packing: PackingEnd, report: SimulatorReport, store: OutboxStore, registrar: QazAPIClient,
                      activated: Set<String>) async throws -> CaseFindings {
        var result = CaseFindings()
        let made = packing.packer.cases
        result.triggered = made.count
        result.repackedCases = packing.repackedCases
        result.repackedBottles = packing.repackedBottles
        result.bottlesToPacker = packing.passedBottles
        result.partialCase = packing.packer.waiting.count
        result.stationTrips = report.watchdogTrips
        result.failSafeCases = report.failSafe.count
        for packed in made where packed.defect != .none { result.defectsMade[packed.defect.rawValue, default: 0] += 1 }

        // Where each case went, by the station's PLC: the rule the line's bottles follow.
        let pushedOff = Set(report.rejected)
        let commandedInTime = Set(report.rejectCommands.filter { $0.bottlesToSpare > 0 }.map(\.sequence))
        let failSafe = Set(report.failSafe)
        let last = report.lastSequence ?? 0
        let offset = UInt64(packing.station.configuration.stationOffset)
        func passedGate(_ sequence: UInt64) -> Bool {
            last >= offset && sequence <= last - offset ? !pushedOff.contains(sequence)
                : !(commandedInTime.contains(sequence) || failSafe.contains(sequence))
        }

        // The agent's records.
        let records = try await store.recentCases(limit: 1_000_000)
        var bySequence: [UInt64: [CaseDetail]] = [:]
        for record in records { bySequence[record.sequence, default: []].append(record) }
        let madeSequences = Set(made.map(\.sequence))
        result.strayRecords = records.filter { !madeSequences.contains($0.sequence) }
            .map { "case \($0.sequence) recorded (\($0.status)) but never triggered" }

        // The registrar's view of every case and pallet code the agent ever recorded, read once each.
        var units: [String: UnitInfo?] = [:]
        func unit(_ code: String) async throws -> UnitInfo? {
            if let known = units[code] { return known }
            var info: UnitInfo?
            do {
                var page = try await registrar.unit(code)
                var contents = page.contents
                while let next = page.next {
                    page = try await registrar.unit(code, after: next)
                    contents += page.contents
                }
                page.contents = contents
                info = page
            } catch {
                guard case .server(404, _, _) = error else { throw error }
            }
            units[code] = info
            return info
        }

        // Case codes whose latest packing is a case that went past the gate (a later case may reuse the label of a
        // dissolved one: then the registrar shows the later packing).
        var passedCodes: [String: UInt64] = [:]
        for packed in made where passedGate(packed.sequence) {
            if let code = packed.labelCode?.rawValue { passedCodes[code] = packed.sequence }
        }
        for packed in made {
            let caseRecords = bySequence[packed.sequence] ?? []
            let name = "case \(packed.sequence)" + (packed.defect == .none ? "" : " (\(packed.defect.rawValue))")
            if caseRecords.count > 1 {
                result.recordedTwice.append("\(name): \(caseRecords.count) records (\(caseRecords.map(\.status).joined(separator: ", ")))")
            }
            let record = caseRecords.max { $0.id < $1.id }
            switch record?.status {
            case "packed": result.packed += 1
            case "dissolved" where record?.wasPacked == true: result.dissolved += 1
            case nil: result.unrecorded += 1
            default:
                result.rejected += 1
                for reason in record?.reasons ?? [] { result.rejectedByReason[reason, default: 0] += 1 }
            }
            if passedGate(packed.sequence) {
                result.passedGate += 1
                guard let record, record.status == "packed" else {
                    result.passedNotPacked.append("\(name) went past the gate; the agent holds it \(record.map { "\($0.status)" + ($0.reasons.isEmpty ? "" : " (\($0.reasons.joined(separator: ", ")))") } ?? "not at all")")
                    continue
                }
                if packed.defect == .missingBottle || packed.defect == .unreadableCap {
                    result.defectiveAccepted.append("\(name) accepted as \(record.code ?? "-")")
                }
                let bottles = Set(packed.passedCodes)
                if record.code != packed.labelCode?.rawValue || Set(record.members) != bottles || record.members.count != bottles.count {
                    result.passedNotPacked.append("\(name): the agent holds \(record.code ?? "no code") with \(record.members.count) bottles, the packer made \(packed.labelCode?.rawValue ?? "no label") with \(bottles.count)")
                    continue
                }
                result.bottlesInPackedCases += record.members.count
                guard let code = record.code, let info = try await unit(code), info.status == .packed, info.kind == .case,
                      info.count == bottles.count, Set(info.contents) == bottles else {
                    let info = try await record.code.asyncMap { try await unit($0) } ?? nil
                    result.notAtRegistrar.append("\(name) \(record.code ?? "-"): the registrar holds \(info.map { "\($0.status.rawValue) \($0.kind.rawValue) of \($0.count)" } ?? "nothing")")
                    continue
                }
                result.packedAtRegistrar += 1
                result.notActivated += info.contents.filter { !activated.contains($0) }.map { "\($0) in case \(code) is not activated" }
            } else {
                result.rejectedAtGate += 1
                guard let record, record.wasPacked else { continue }
                if record.status == "packed" {
                    result.rejectedStillPacked.append("\(name) \(record.code ?? "-") was rejected at the gate\(failSafe.contains(packed.sequence) ? " fail-safe" : ""), the agent holds it packed\(record.pallet.map { " on pallet \($0)" } ?? "")")
                } else if let code = record.code, passedCodes[code] == nil, let info = try await unit(code), info.status == .packed {
                    result.rejectedStillPacked.append("\(name) \(code) was rejected at the gate and dissolved by the agent, the registrar holds it packed")
                }
            }
        }

        // No bottle in two packed cases at the registrar, no case code on two packed cases in the agent's database.
        var holder: [String: String] = [:]
        for (code, info) in units.sorted(by: { $0.key < $1.key }) {
            guard let info, info.kind == .case, info.status == .packed else { continue }
            for bottle in info.contents {
                if let other = holder[bottle] { result.codeInTwoCases.append("\(bottle) in \(other) and \(code)") }
                holder[bottle] = code
            }
        }
        var packedCodes: [String: Int] = [:]
        for record in records where record.status == "packed" { packedCodes[record.code ?? "-", default: 0] += 1 }
        result.caseCodeTwice = packedCodes.filter { $0.value > 1 }.map { "\($0.key) on \($0.value) packed cases" }.sorted()

        // Pallets: each built one packed at the registrar with its cases, all of which went past the gate.
        let sequenceOf = Dictionary(records.filter { $0.status == "packed" }.compactMap { record in record.code.map { ($0, record.sequence) } },
                                    uniquingKeysWith: { a, _ in a })
        for pallet in try await store.recentPallets(limit: 100_000) where pallet.status == "built" {
            result.pallets += 1
            if let info = try await unit(pallet.code), info.status == .packed, info.kind == .pallet, Set(info.contents) == Set(pallet.cases) {
                result.palletsAtRegistrar += 1
            } else {
                result.palletProblems.append("pallet \(pallet.code) is not packed at the registrar with its \(pallet.cases.count) cases")
            }
            for code in pallet.cases where !(sequenceOf[code].map(passedGate) ?? false) {
                result.palletProblems.append("pallet \(pallet.code) holds case \(code), which did not go past the gate")
            }
        }

        let depth = try await store.aggregationDepth()
        result.aggregationPending = depth.pending
        result.aggregationDead = depth.dead
        result.aggregationDelivered = depth.delivered
        result.deadEvents = try await store.deadAggregationEvents().map { "\($0.kind) \($0.unit): \($0.result)" }
        return result
    }

    /// The summary's case lines, each indented by two spaces and ending with a newline.
    func render(figures: Figures) -> String {
        func mark(_ ok: Bool) -> String { ok ? "ok" : "MISMATCH" }
        func list(_ values: [String]) -> String {
            values.isEmpty ? "" : " (" + values.prefix(5).joined(separator: "; ") + (values.count > 5 ? "; …" : "") + ")"
        }
        func counts(_ values: [String: Int]) -> String {
            values.isEmpty ? "none" : values.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        let lines = [
            "case station:            \(triggered) cases of 12 triggered (defects made: \(counts(defectsMade))); \(passedGate) went past the reject gate, \(rejectedAtGate) rejected at it",
            "case PLC watchdog:       \(stationTrips) trips, \(failSafeCases) cases rejected fail-safe; \(repackedCases) of them unpacked and packed again (\(repackedBottles) bottles); agent kills just after a case trigger \(figures.caseKills)",
            "cases (agent):           packed \(packed), rejected \(rejected) (\(counts(rejectedByReason))), dissolved \(dissolved) (packed, then rejected fail-safe), no record \(unrecorded) (killed before recording)",
            "bottles packed:          \(bottlesInPackedCases) in packed cases of \(bottlesToPacker) that went past the line's station; \(partialCase) left for the last, partial case",
            "one record per case:     \(recordedTwice.count + strayRecords.count) \(mark(recordedTwice.isEmpty && strayRecords.isEmpty))\(list(recordedTwice + strayRecords))",
            "passed gate = packed:    \(passedNotPacked.count + defectiveAccepted.count) \(mark(passedNotPacked.isEmpty && defectiveAccepted.isEmpty))\(list(passedNotPacked + defectiveAccepted))",
            "packed at registrar:     \(packedAtRegistrar) of \(passedGate) with the same bottles \(mark(notAtRegistrar.isEmpty))\(list(notAtRegistrar))",
            "rejected, not packed:    \(rejectedStillPacked.count) \(mark(rejectedStillPacked.isEmpty))\(list(rejectedStillPacked)) (agent and registrar)",
            "bottle in two cases:     \(codeInTwoCases.count + caseCodeTwice.count) \(mark(codeInTwoCases.isEmpty && caseCodeTwice.isEmpty))\(list(codeInTwoCases + caseCodeTwice)); not activated \(notActivated.count) \(mark(notActivated.isEmpty))\(list(notActivated))",
            "pallets:                 \(pallets) built, \(palletsAtRegistrar) packed at the registrar \(mark(palletProblems.isEmpty))\(list(palletProblems))",
            "aggregation queue:       \(aggregationPending) pending, \(aggregationDead) dead \(mark(aggregationPending == 0 && aggregationDead == 0))\(list(deadEvents)); \(aggregationDelivered) events delivered",
        ]
        return lines.map { "  " + $0 + "\n" }.joined()
    }
}

extension Optional {
    /// `map` with an asynchronous, throwing transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self {
        case .some(let value): try await transform(value)
        case .none: nil
        }
    }
}
