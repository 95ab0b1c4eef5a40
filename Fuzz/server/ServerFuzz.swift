// libFuzzer target: the registrar's request decoding (Sources/QazServer/RequestDecoding.swift): each input is one
// request body, decoded as an activation batch, a waybill, a write-off and an App. 8 import report, each with the
// JSON decoder and error mapping of `BodyReader` and then the checks of `Validator`; a batch of cash-register receipts,
// each receipt and line checked as the retail route checks them; a consumer's scan request. See docs/fuzzing.md.
import Foundation
import LineCore
import QazAPI
@testable import QazServer

private let validator = Validator(rules: .default, maxBatchItems: 1_000, maxCodeBytes: PayloadRules.defaultMaxPayloadBytes)
private let now = Timestamp(milliseconds: 1_795_000_000_000)  // 2026-11-18
private let participant: TaxpayerID = {
    let base = [9, 7, 0, 5, 0, 5, 6, 7, 8, 9, 0]
    guard let check = TaxpayerID.checkDigit(base), let id = TaxpayerID(base.map(String.init).joined() + String(check)) else {
        fatalError("fuzz participant BIN")
    }
    return id
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func serverFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Data(bytes: data, count: size)
    run(ActivationBatch.self, body) { (batch: ActivationBatch) throws(RegistrarError) in
        let command = try validator.activation(batch, participant: participant, now: now)
        precondition(command.items.count == batch.items.count, "activation: \(command.items.count) items for \(batch.items.count)")
    }
    run(WaybillRequest.self, body) { (waybill: WaybillRequest) throws(RegistrarError) in
        let command = try validator.waybill(waybill, now: now)
        precondition(command.codes.count == waybill.quantity, "waybill: \(command.codes.count) codes for quantity \(waybill.quantity)")
    }
    run(WriteOffRequest.self, body) { (request: WriteOffRequest) throws(RegistrarError) in
        // The write-off route's own checks (RegistrarApplication.writeOff), then the shared classification.
        guard request.codes.count <= validator.maxBatchItems, !request.codes.isEmpty, (1...200).contains(request.reason.count) else { return }
        let items = try validator.classify(request.codes, field: { "codes[\($0)]" })
        precondition(items.count == request.codes.count, "write-off: \(items.count) items for \(request.codes.count) codes")
    }
    run(ImportReportRequest.self, body) { (report: ImportReportRequest) throws(RegistrarError) in
        let command = try validator.importReport(report, participant: participant, now: now)
        precondition(command.items.count == report.rows.count, "import report: \(command.items.count) items for \(report.rows.count) rows")
    }
    // A batch of cash-register receipts (RetailRoutes.submitReceipts): the batch split into receipts, each decoded and
    // checked alone, each line checked; the Astana date-time parser on any text.
    if let items = try? RegistrarServer.receiptItems(body) {
        for (index, item) in items.enumerated() {
            run(FiscalReceipt.self, item) { (receipt: FiscalReceipt) throws(RegistrarError) in
                let issuedAt = try RetailValidation.receipt(receipt, prefix: "receipts[\(index)].")
                precondition(issuedAt.milliseconds > 0, "receipt dated before 1970: \(receipt.dateTime)")
                for line in receipt.lines { _ = RetailValidation.lineProblem(line) }
            }
        }
    }
    if let text = String(data: body, encoding: .utf8), let instant = RetailValidation.astanaDateTime(text) {
        precondition(RetailValidation.astanaDateTime(String(AstanaTime.iso8601(instant.date).prefix(19))) == instant, "Astana time round trip: \(text)")
    }
    run(VerifyRequest.self, body) { (_: VerifyRequest) throws(RegistrarError) in }
    // The ingest fast path gives the same answer as the payload rules for any text.
    if let text = String(data: body, encoding: .utf8), let fast = validator.fastBareCode(text) {
        precondition(fast == PayloadRules.default.parse(text), "fastBareCode and PayloadRules disagree on \(text.debugDescription)")
    }
    return 0
}

/// Decodes `body` as `T` with the server's `BodyReader` (JSON, error mapping, unknown-field check) and validates it;
/// every refusal must be a client error with a message (never a crash).
private func run<T: Decodable>(_ type: T.Type, _ body: Data, validate: (T) throws(RegistrarError) -> Void) {
    let value: T
    do {
        value = try BodyReader.decode(T.self, from: body)
    } catch {
        report(T.self, error)
        return
    }
    do {
        try validate(value)
    } catch {
        report(T.self, error)
    }
}

private func report<T>(_ type: T.Type, _ error: RegistrarError) {
    precondition(!error.body.message.isEmpty, "\(T.self): refusal without a message")
    precondition((400...499).contains(Int(error.status.code)), "\(T.self): \(error) is not a client error")
    if ProcessInfo.processInfo.environment["QAZ_FUZZ_VERBOSE"] != nil { print("\(T.self): \(error)") }
}
