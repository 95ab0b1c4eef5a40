import ArgumentParser
import Foundation
import LineConfig
import LineCore
import Outbox

/// `lineagent case list|show|dissolve` and `lineagent pallet build|show|dissolve`: aggregation from a terminal, on the
/// same database the running agent uses. Dissolving releases a case's bottles for re-packing (each may pass the line
/// once more as `reworked`) and is recorded: in the audit log as `terminal:<login>`, and at the registrar by a
/// `caseDissolved` event when the case was packed.
let aggregationCommands: [any ParsableCommand.Type] = [CaseCommand.self, PalletCommand.self]

struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case",
        abstract: "Cases packed at the case station: list, show one (by case code, #id or a bottle's code), dissolve one for rework.",
        subcommands: [List.self, Show.self, Dissolve.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The newest cases (times in Astana time), with the case counts.")
        @OptionGroup var options: AgentConfigOption
        @Option(name: .long, help: "Only cases with this status: packed, rejected or dissolved.") var status: String?
        @Option(name: .long, help: "At most this many cases.") var limit = 50

        func validate() throws {
            if let status, !["packed", "rejected", "dissolved"].contains(status) {
                throw ValidationError("--status is packed, rejected or dissolved, not \(status)")
            }
        }

        func run() async throws {
            try await operatorRun("case list") {
                let store = try options.loadPlan().openExistingOutbox()
                let counts = try await store.caseCounts()
                print("cases: \(counts["packed"] ?? 0) packed, \(counts["rejected"] ?? 0) rejected (waiting for rework), "
                      + "\(counts["dissolved"] ?? 0) dissolved; \(counts["bottles-in-cases"] ?? 0) bottles in packed cases; "
                      + "\(counts["pallets"] ?? 0) pallets")
                let cases = try await store.recentCases(status: status, limit: limit)
                if cases.isEmpty { print("no cases"); return }
                let rows: [[String]] = cases.map { item in
                    [item.code ?? "#\(item.id)", item.status, String(item.sequence), String(item.bottleCount),
                     item.reasons.joined(separator: ","), item.pallet ?? "-", LineAgent.Show.time(item.at)]
                }
                print(LineAgent.Show.table(["case", "status", "seq", "bottles", "reasons", "pallet", "at"], rows))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One case: status, reasons, contents, pallet, the registrar's answers.")
        @OptionGroup var options: AgentConfigOption
        @Argument(help: "A case code (SSCC), #id, or the code of a bottle in the case.") var reference: String

        func run() async throws {
            try await operatorRun("case show") {
                let store = try options.loadPlan().openExistingOutbox()
                let found = try await store.cases(code: reference)
                guard !found.isEmpty else { throw OperatorError("no case \(reference) is recorded (try `lineagent case list`)") }
                for item in found { print(Self.describe(item)) }
            }
        }

        static func describe(_ item: CaseDetail) -> String {
            var rows: [[String]] = [["case", item.code ?? "#\(item.id) (no case code)"], ["status", item.status],
                                    ["line / station", "\(item.lineID) / \(item.stationID)"], ["case sequence", String(item.sequence)],
                                    ["at", LineAgent.Show.time(item.at)], ["bottles seen", String(item.bottleCount)]]
            if !item.reasons.isEmpty { rows.append(["rejected for", item.reasons.joined(separator: ", ")]) }
            if let detail = item.detail, !detail.isEmpty { rows.append(["detail", detail]) }
            if let pallet = item.pallet { rows.append(["pallet", pallet]) }
            if let at = item.dissolvedAt {
                rows.append(["dissolved", "\(LineAgent.Show.time(at)) by \(item.dissolvedBy ?? "?"): \(item.dissolveReason ?? "")"])
            }
            for event in item.events { rows.append(["registrar", event]) }
            rows.append(["contents", item.contents.isEmpty ? "-" : item.contents.joined(separator: " ")])
            rows.append(["held now", item.members.isEmpty ? "-" : "\(item.members.count) code(s)"])
            return LineAgent.Show.table(["", ""], rows)
        }
    }

    struct Dissolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dissolve a case for rework: its bottles are released for re-packing; recorded, never silent.")
        @OptionGroup var options: AgentConfigOption
        @Argument(help: "A case code (SSCC), #id, or the code of a bottle in the case.") var reference: String
        @Option(name: .long, help: "Why (kept in the audit log).") var reason = "rework"

        func run() async throws {
            try await operatorRun("case dissolve") {
                let store = try options.loadPlan().openExistingOutbox()
                let item = try await store.dissolveCase(reference, by: terminalUser(), reason: reason)
                print("dissolved case \(item.code ?? "#\(item.id)"): \(item.contents.count) bottle code(s) released for re-packing"
                      + (item.wasPacked ? "; the registrar is told with the next delivery" : ""))
            }
        }
    }
}

struct PalletCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pallet",
        abstract: "Pallets: build one from packed cases, show one, dissolve one.",
        subcommands: [Build.self, Show.self, Dissolve.self])

    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Build a pallet of packed cases (its SSCC assigned unless given).")
        @OptionGroup var options: AgentConfigOption
        @Option(name: .long, help: "The line whose case station packed the cases (default: the only one with a case station).") var line: String?
        @Option(name: .long, help: "Use this pallet code (SSCC or the plant's pattern) instead of assigning one.") var code: String?
        @Argument(help: "The case codes.") var cases: [String]

        func run() async throws {
            try await operatorRun("pallet build") {
                let plan = try options.loadPlan()
                let stations = plan.configuration.lines.compactMap { line in line.caseStation.map { (line, $0) } }
                guard let (lineConfig, station) = stations.first(where: { line == nil || $0.0.id == line }) else {
                    throw OperatorError(line.map { "line \($0) has no case station" } ?? "no line has a case station")
                }
                var units: [UnitCode] = []
                for text in cases {
                    do { units.append(try UnitCode(parsing: text)) } catch { throw OperatorError("case \(text.debugDescription): \(error)") }
                }
                let store = try plan.openExistingOutbox()
                let palletCode: UnitCode
                if let code {
                    do { palletCode = try UnitCode(parsing: code) } catch { throw OperatorError("pallet code \(code.debugDescription): \(error)") }
                } else {
                    let prefix = station.caseCode.companyPrefix
                    let serial = try await store.allocateSerial(prefix: "\(station.pallet.extensionDigit)\(prefix)",
                                                                capacity: SSCC.capacity(companyPrefixLength: prefix.count))
                    palletCode = try SSCC.make(extensionDigit: station.pallet.extensionDigit, companyPrefix: prefix, serial: serial)
                }
                let pallet = try await store.buildPallet(code: palletCode, cases: units, lineID: lineConfig.id, stationID: station.id,
                                                         by: terminalUser())
                print("built pallet \(pallet.code) of \(pallet.cases.count) case(s)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One pallet: status, cases, the registrar's answers.")
        @OptionGroup var options: AgentConfigOption
        @Argument(help: "The pallet code.") var code: String

        func run() async throws {
            try await operatorRun("pallet show") {
                let found = try await options.loadPlan().openExistingOutbox().pallets(code: code)
                guard !found.isEmpty else { throw OperatorError("no pallet \(code) is recorded") }
                for pallet in found {
                    var rows: [[String]] = [["pallet", pallet.code], ["status", pallet.status],
                                            ["built", "\(LineAgent.Show.time(pallet.builtAt)) by \(pallet.builtBy)"]]
                    if let at = pallet.dissolvedAt { rows.append(["dissolved", "\(LineAgent.Show.time(at)) by \(pallet.dissolvedBy ?? "?")"]) }
                    for event in pallet.events { rows.append(["registrar", event]) }
                    rows.append(["cases", "\(pallet.cases.count): \(pallet.cases.joined(separator: " "))"])
                    print(LineAgent.Show.table(["", ""], rows))
                }
            }
        }
    }

    struct Dissolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dissolve a pallet (its cases stay packed); recorded and sent to the registrar.")
        @OptionGroup var options: AgentConfigOption
        @Argument(help: "The pallet code.") var code: String
        @Option(name: .long, help: "Why (kept in the audit log).") var reason = "rework"

        func run() async throws {
            try await operatorRun("pallet dissolve") {
                let pallet = try await options.loadPlan().openExistingOutbox().dissolvePallet(code, by: terminalUser(), reason: reason)
                print("dissolved pallet \(pallet.code): \(pallet.cases.count) case(s) released")
            }
        }
    }
}
