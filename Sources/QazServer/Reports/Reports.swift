import Foundation
import LineCore
import QazAPI

// MARK: Definitions
//
// The two reports producers and importers owe the state revenue body (clause 28), computed for one participant and
// one Astana calendar month from the monthly counters kept at ingest (``MonthlyCounters``), never by scanning codes
// or activations:
//
// - received  = codes issued to the participant by waybills whose issue date falls in the month;
// - activated = codes whose activation time (Astana) falls in the month (line activations and App. 8 import reports);
// - writtenOff = codes written off (damaged or unused stamps, App. 5) with a write-off time in the month;
// - used      = activated + writtenOff in the month;
// - opening   = received before the month − used before the month;
// - closing   = opening + received − used.
//
// So the closing balance of a month always equals the opening balance of the next one.

// The reports themselves (`QRUsageReport`, App. 10, and `QRActivationReport`, App. 9) are wire types: they live in
// QazAPI (MonthlyReports.swift), so the agent can read them without linking the registrar.

/// Builds the reports from a participant's monthly counters (pure: no storage, no clock).
public enum ReportCalculator {
    /// App. 10 for `month` from every counter row of the participant (rows of other months are summed for the
    /// opening balance; rows after the month are ignored).
    public static func usage(participant: TaxpayerID, name: String?, month: ReportingMonth, counters: [MonthlyCounters],
                             generatedAt: Timestamp) -> QRUsageReport {
        var receivedBefore = 0, usedBefore = 0
        var received = 0, activated = 0, writtenOff = 0
        for row in counters where row.participant == participant {
            if row.month < month {
                receivedBefore += row.received
                usedBefore += row.activated + row.writtenOff
            } else if row.month == month {
                received += row.received
                activated += row.activated
                writtenOff += row.writtenOff
            }
        }
        let opening = receivedBefore - usedBefore
        let used = activated + writtenOff
        return QRUsageReport(form: "app10-qr-usage", participant: participant, participantName: name, month: month,
                             openingBalance: opening, received: received, used: used, activated: activated,
                             writtenOff: writtenOff, closingBalance: opening + received - used, generatedAt: generatedAt)
    }

    /// App. 9 for `month`.
    public static func activation(participant: TaxpayerID, name: String?, month: ReportingMonth, counters: [MonthlyCounters],
                                  generatedAt: Timestamp) -> QRActivationReport {
        let usage = usage(participant: participant, name: name, month: month, counters: counters, generatedAt: generatedAt)
        let note = usage.writtenOff > 0
            ? "Есептен шығарылды / списано: \(usage.writtenOff)"
            : ""
        return QRActivationReport(form: "app9-qr-activation", participant: participant, participantName: name, month: month,
                                  received: usage.received, activated: usage.activated, note: note, generatedAt: generatedAt)
    }
}

/// The report formats (`Accept` of the HTTP API, `--format` of the CLI).
public enum ReportFormat: String, Sendable, CaseIterable {
    case json, csv, html

    /// The media type answered.
    public var contentType: String {
        switch self {
        case .json: "application/json; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        case .html: "text/html; charset=utf-8"
        }
    }

    /// Content negotiation: the first acceptable type of the `Accept` header by quality, JSON when absent or `*/*`;
    /// nil when nothing offered is acceptable (406).
    public static func negotiate(_ accept: String?) -> ReportFormat? {
        guard let accept, !accept.trimmingCharacters(in: .whitespaces).isEmpty else { return .json }
        var best: (ReportFormat, Double, Int)?
        for (index, part) in accept.split(separator: ",").enumerated() {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let type = fields.first else { continue }
            var q = 1.0
            for field in fields.dropFirst() where field.hasPrefix("q=") { q = Double(field.dropFirst(2)) ?? 0 }
            guard q > 0 else { continue }
            let format: ReportFormat? = switch type {
            case "application/json", "application/*": .json
            case "text/csv": .csv
            case "text/html", "text/*", "application/xhtml+xml": .html
            case "*/*": .json
            default: nil
            }
            guard let format else { continue }
            if best == nil || q > best!.1 { best = (format, q, index) }  // ties: the first listed wins
        }
        return best?.0
    }
}

/// A monthly report in its three forms: JSON (its Codable shape), one CSV row, printable HTML.
public protocol RenderableReport: Encodable, Sendable {
    /// The CSV header line.
    static var csvHeader: String { get }
    /// The CSV fields, in the header's order, text fields escaped (``ReportRenderer/csv(_:)``).
    var csvFields: [String] { get }
    /// The printable form (the order's appendix layout).
    var html: String { get }
}

extension QRUsageReport: RenderableReport {
    public static let csvHeader = "participant,participantName,month,openingBalance,received,used,activated,writtenOff,closingBalance"
    public var csvFields: [String] {
        [participant.rawValue, ReportRenderer.csv(participantName ?? ""), month.description, String(openingBalance), String(received), String(used),
         String(activated), String(writtenOff), String(closingBalance)]
    }
    public var html: String { ReportHTML.usage(self) }
}

extension QRActivationReport: RenderableReport {
    public static let csvHeader = "participant,participantName,month,received,activated,note"
    public var csvFields: [String] {
        [participant.rawValue, ReportRenderer.csv(participantName ?? ""), month.description, String(received), String(activated),
         ReportRenderer.csv(note)]
    }
    public var html: String { ReportHTML.activation(self) }
}

/// Renders reports as JSON, CSV and printable HTML.
public enum ReportRenderer {
    public static func render(_ report: some RenderableReport, as format: ReportFormat) throws -> [UInt8] {
        switch format {
        case .json: return Array(try jsonEncoder().encode(report))
        case .csv:
            let row = report.csvFields.joined(separator: ",")
            return Array("\(type(of: report).csvHeader)\r\n\(row)\r\n".utf8)
        case .html: return Array(report.html.utf8)
        }
    }

    static func jsonEncoder() -> JSONEncoder {
        let encoder = WireCoding.encoder()
        encoder.outputFormatting.formUnion([.prettyPrinted, .sortedKeys])
        return encoder
    }

    /// A CSV text field: RFC 4180 quoting when needed; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a
    /// spreadsheet does not run it as a formula.
    public static func csv(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Reads what a report needs from a store: the participant's counters (a few rows) and name.
public struct ReportService: Sendable {
    public let store: any RegistrarStore
    public init(store: any RegistrarStore) { self.store = store }

    public func usage(participant: TaxpayerID, month: ReportingMonth, now: Timestamp = .now) async throws(StoreError) -> QRUsageReport {
        let counters = try await store.monthlyCounters(participant: participant)
        let name = try await store.participantName(participant)
        return ReportCalculator.usage(participant: participant, name: name, month: month, counters: counters, generatedAt: now)
    }

    public func activation(participant: TaxpayerID, month: ReportingMonth, now: Timestamp = .now) async throws(StoreError) -> QRActivationReport {
        let counters = try await store.monthlyCounters(participant: participant)
        let name = try await store.participantName(participant)
        return ReportCalculator.activation(participant: participant, name: name, month: month, counters: counters, generatedAt: now)
    }
}
