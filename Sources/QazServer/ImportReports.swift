import ConfigKit
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import LineCore
import Logging
import NIOCore
import QazAPI

/// `POST /v1/import-reports`: App. 8, the importer's report on affixing excise stamps to imported alcohol.
/// Filing it puts the listed codes into operation (clause 20): they are activated with the same per-code results
/// and the same idempotency as `POST /v1/activations` (`reportId` is the key). It is the importer's way, and the only
/// one: an importer's token on `POST /v1/activations` is `403 use_import_report`. The registrar may file it for an
/// importer (cl. 24(2)), naming the importer in `participant`.
public struct ImportReportRequest: Codable, Sendable, Equatable {
    /// The idempotency key, chosen by the importer.
    public var reportId: UUID
    /// The table of App. 8, at most 10,000 rows.
    public var rows: [ImportReportRow]
    /// The importer the registrar files the report for (cl. 24(2)). Required of the registrar's token; an importer may
    /// name only itself.
    public var participant: TaxpayerID?
    public init(reportId: UUID, rows: [ImportReportRow], participant: TaxpayerID? = nil) {
        self.reportId = reportId
        self.rows = rows
        self.participant = participant
    }
}

/// One row of App. 8: column 2 «Алынған QR коды», column 3 «Жапсырылған есептік-бақылау маркасы», column 4
/// «Жапсыру күні мен уақыты». Column 1 (the importer) is the token's participant.
public struct ImportReportRow: Codable, Sendable, Equatable {
    /// The received QR code (bare code or the QR's URL).
    public var code: String
    /// The stamp the code was affixed with; it must be the stamp the code was issued on.
    public var stamp: AffixedStamp
    /// When the stamp was affixed, with an offset (the activation time).
    public var affixedAt: Timestamp
    /// The product's ДСН code, when it has one.
    public var productCode: String?
    public init(code: String, stamp: AffixedStamp, affixedAt: Timestamp, productCode: String? = nil) {
        self.code = code
        self.stamp = stamp
        self.affixedAt = affixedAt
        self.productCode = productCode
    }
}

/// A stamp's series and 9-digit number.
public struct AffixedStamp: Codable, Sendable, Equatable {
    public var series: StampSeries
    public var number: StampNumber
    public init(series: StampSeries, number: StampNumber) {
        self.series = series
        self.number = number
    }
}

extension RegistrarServer {
    /// The line and equipment ids an App. 8 report's activations are recorded under.
    static let importLineId = "app8-import-report"

    func importReport(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.importer, .registrar],
                                   "file App. 8 import reports: App. 8 is the importer's report on affixing stamps (cl. 20); "
                                       + "a producer's codes are activated on its filling line with POST /v1/activations (cl. 19)")
        let report = try await BodyReader.decode(ImportReportRequest.self, from: request, limit: Int(limits.maxBodySize.bytes))
        let participant = try onBehalf(identity, report.participant)
        let command = try validator.importReport(report, participant: participant, actor: identity.participant, now: .now)
        let stored = try await call(context.logger) { () async throws(StoreError) in try await store.activate(command) }
        if !stored.replayed, stored.value.summary.activated > 0 { activationFeed.activationsCommitted() }
        context.logger.info("import report", metadata: [
            "report.id": "\(report.reportId)", "report.rows": "\(report.rows.count)", "report.replayed": "\(stored.replayed)",
            "report.activated": "\(stored.value.summary.activated)",
        ])
        var response = try Self.json(stored.value)
        response.headers[HTTPField.Name("Idempotent-Replayed")!] = stored.replayed ? "true" : "false"
        return response
    }
}

extension Validator {
    func importReport(_ report: ImportReportRequest, participant: TaxpayerID, actor: TaxpayerID? = nil, now: Timestamp) throws(RegistrarError) -> ActivationCommand {
        if report.rows.count > maxBatchItems { throw .batchTooLarge(count: report.rows.count, limit: maxBatchItems) }
        if report.rows.isEmpty { throw .invalidField("rows", "expected at least one row") }
        let latest = now.milliseconds + 86_400_000
        for (index, row) in report.rows.enumerated() {
            if let product = row.productCode, !Self.isDSNCode(product) {
                throw .invalidField("rows[\(index)].productCode", "expected 1-32 letters, digits or '-'")
            }
            if row.affixedAt.milliseconds > latest { throw .invalidField("rows[\(index)].affixedAt", "more than a day in the future") }
            try series(row.stamp.series, "rows[\(index)].stamp.series")
            try stampNumber(row.stamp.number, "rows[\(index)].stamp.number")
        }
        let items = try classify(report.rows.map(\.code), field: { "rows[\($0)].code" },
                                 time: { report.rows[$0].affixedAt }, product: { report.rows[$0].productCode ?? "" })
        var canonical = [UInt8]()
        func feed(_ text: String) {
            canonical.append(contentsOf: text.utf8)
            canonical.append(0)
        }
        feed("app8")
        feed(participant.rawValue)
        for row in report.rows {
            feed(row.code)
            feed(row.stamp.series.rawValue)
            withUnsafeBytes(of: Int64(row.stamp.number.value).littleEndian) { canonical.append(contentsOf: $0) }
            withUnsafeBytes(of: row.affixedAt.milliseconds.littleEndian) { canonical.append(contentsOf: $0) }
            feed(row.productCode ?? "")
        }
        return ActivationCommand(batchId: report.reportId, participant: participant, lineId: RegistrarServer.importLineId,
                                 equipmentId: "-", bodyHash: Array(SHA256.hash(data: canonical)), receivedAt: now, items: items,
                                 affixedStamps: report.rows.map { StampID(series: $0.stamp.series, number: $0.stamp.number) }, actor: actor)
    }
}
