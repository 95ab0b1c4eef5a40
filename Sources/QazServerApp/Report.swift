import ArgumentParser
import Foundation
import LineCore
import QazServer

/// `qazserver report usage|activation --bin … --month … --format json|csv|html --config FILE`.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a participant's monthly report (App. 10 QR usage or App. 9 QR activation) from the configured storage.",
        discussion: """
            received = codes issued with a waybill issue date in the month; used = activated + written off in the month;
            opening = received before − used before; closing = opening + received − used. Months are Astana calendar months.
            """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case usage, activation
    }

    @Argument(help: "usage (App. 10) or activation (App. 9).") var kind: Kind
    @OptionGroup var options: ConfigOptions
    @Option(help: "The participant's IIN/BIN.") var bin: String
    @Option(help: "The reporting month, YYYY-MM (Astana calendar).") var month: String
    @Option(help: "json, csv or html.") var format: String = "json"

    func validate() throws {
        if case .failure(let problem) = TaxpayerID.check(bin) { throw ValidationError("--bin \(bin): \(problem)") }
        guard ReportingMonth(month) != nil else { throw ValidationError("--month \(month): expected YYYY-MM") }
        guard ReportFormat(rawValue: format) != nil else { throw ValidationError("--format \(format): expected json, csv or html") }
    }

    func run() async throws {
        let participant = TaxpayerID(bin)!, month = ReportingMonth(month)!, format = ReportFormat(rawValue: format)!, kind = kind
        let bytes = try await options.withStore { store in
            let service = ReportService(store: store)
            return switch kind {
            case .usage: try ReportRenderer.render(try await service.usage(participant: participant, month: month), as: format)
            case .activation: try ReportRenderer.render(try await service.activation(participant: participant, month: month), as: format)
            }
        }
        FileHandle.standardOutput.write(Data(bytes))
        if format == .json { print() }
    }
}
