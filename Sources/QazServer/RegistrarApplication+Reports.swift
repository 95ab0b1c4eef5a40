import ConfigKit
import Foundation
import HTTPTypes
import Hummingbird
import LineCore
import NIOCore
import QazAPI

extension RegistrarServer {
    /// `GET /v1/reports/qr-usage?bin=&month=YYYY-MM` (App. 10), as JSON, CSV or HTML by `Accept`.
    func usageReport(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        try await report(request, context, filename: "app10-qr-usage") { service, bin, month async throws(StoreError) in
            try await service.usage(participant: bin, month: month)
        }
    }

    /// `GET /v1/reports/qr-activation?bin=&month=YYYY-MM` (App. 9), as JSON, CSV or HTML by `Accept`.
    func activationReport(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        try await report(request, context, filename: "app9-qr-activation") { service, bin, month async throws(StoreError) in
            try await service.activation(participant: bin, month: month)
        }
    }

    /// Builds the report a request asks for and answers it in the format `Accept` names.
    private func report(_ request: Request, _ context: RegistrarContext, filename: String,
                        _ make: (ReportService, TaxpayerID, ReportingMonth) async throws(StoreError) -> some RenderableReport)
        async throws -> Response
    {
        let (bin, month, format) = try reportQuery(request, context)
        let report = try await call(context.logger) { () async throws(StoreError) in try await make(ReportService(store: store), bin, month) }
        return Self.report(try ReportRenderer.render(report, as: format), format: format, filename: "\(filename)-\(bin)-\(month)")
    }

    /// The participant and month of a report request, checked against the caller's role: the revenue body and the
    /// registrar read every participant's reports, a producer or importer only its own.
    func reportQuery(_ request: Request, _ context: RegistrarContext) throws(RegistrarError) -> (TaxpayerID, ReportingMonth, ReportFormat) {
        let identity = try require(context, [.producer, .importer, .revenueBody, .registrar], "read reports")
        let query = request.uri.queryParameters
        guard let binText = query["bin"].map(String.init) else { throw .missingField("bin") }
        guard let bin = TaxpayerID(binText) else { throw .invalidField("bin", "expected an IIN/BIN of 12 digits with a valid check digit") }
        guard let monthText = query["month"].map(String.init) else { throw .missingField("month") }
        guard let month = ReportingMonth(monthText) else { throw .invalidField("month", "expected a month YYYY-MM") }
        if identity.role.ownsCodes, bin != identity.participant { throw .notOwner(["reports of \(bin)"]) }
        // Nothing acceptable in Accept: answer JSON anyway (RFC 9110 §12.5.1 allows ignoring the header).
        let format = ReportFormat.negotiate(request.headers[.accept]) ?? .json
        return (bin, month, format)
    }

    static func report(_ bytes: [UInt8], format: ReportFormat, filename: String) -> Response {
        var headers: HTTPFields = [.contentType: format.contentType, .vary: "Accept"]
        if format == .csv { headers[.contentDisposition] = "attachment; filename=\"\(filename).csv\"" }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
