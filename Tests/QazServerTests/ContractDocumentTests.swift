import CounterfeitAnalytics
import Foundation
import LineCore
import QazAPI
import QazClient
@testable import QazServer
import SignaturesTesting
import Testing

/// Keeps `Sources/QazAPI/openapi.yaml` and the hand-written Codable types true to each other: the document must be
/// a valid OpenAPI 3.1 document (openapi-spec-validator), and JSON encoded from every wire type, plus error
/// answers produced by the real server, must validate against the document's schemas (jsonschema, Draft 2020-12,
/// with `additionalProperties: false`, so a field the document does not declare fails).
@Suite("The OpenAPI document and the wire types agree")
struct ContractDocumentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".venv/bin/python").path

    static let checker = #"""
    import json, sys, yaml
    from openapi_spec_validator import validate
    from jsonschema import Draft202012Validator, FormatChecker
    doc = yaml.safe_load(open(sys.argv[1]))
    validate(doc)
    samples = json.load(open(sys.argv[2]))
    failures = []
    def validator(name):
        schema = dict(doc); schema["$ref"] = "#/components/schemas/" + name
        return Draft202012Validator(schema, format_checker=FormatChecker())
    for name, values in samples["valid"].items():
        v = validator(name)
        for value in values:
            for e in v.iter_errors(value):
                failures.append(f"{name}: {e.message} at {list(e.path)}")
    for name, values in samples["invalid"].items():
        v = validator(name)
        for value in values:
            if v.is_valid(value):
                failures.append(f"{name}: accepted an invalid value {json.dumps(value)[:120]}")
    spec_codes = set(doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"])
    if spec_codes != set(samples["errorCodes"]):
        failures.append(f"error codes differ: document only {sorted(spec_codes - set(samples['errorCodes']))}, Swift only {sorted(set(samples['errorCodes']) - spec_codes)}")
    print("\n".join(failures) if failures else "OK")
    sys.exit(1 if failures else 0)
    """#

    @Test("openapi-spec-validator accepts the document; every wire type and real error answer validates against it")
    func documentMatchesTypes() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            Issue.record("\(Self.python) is missing: run scripts/setup.sh (installs openapi-spec-validator and jsonschema)")
            return
        }
        let encoder = WireCoding.encoder()
        func json(_ value: some Encodable) throws -> Any { try JSONSerialization.jsonObject(with: encoder.encode(value), options: [.fragmentsAllowed]) }
        let time = Timestamp(text: "2026-11-21T22:10:05.123+05:00")!
        let waybill = makeWaybill(number: "WB-1", to: producerA, prefix: "QZA", count: 2)
        let results = ActivationOutcome.allCases.map {
            ActivationResult(code: "QZA000000000000000001", result: $0, activatedAt: $0.isDelivered ? time : nil,
                             reason: $0 == .malformed ? "code_mismatch: …" : nil)
        }
        let receipt = ActivationReceipt(batchId: UUID(), participant: producerA, lineId: "l", equipmentId: "e", receivedAt: time, results: results)
        let fullCode = CodeInfo(code: "QZA000000000000000001", status: .activated, owner: producerA, series: StampSeries("AB")!,
                                number: StampNumber(1)!, waybillNumber: "WB-1", issuedOn: CalendarDate("2026-11-02")!, productName: "V",
                                productCode: "P", activatedAt: time, lineId: "l", equipmentId: "e", batchId: UUID(), writtenOffAt: time,
                                writeOffReason: "damaged", case: sscc(1), pallet: sscc(100), activatedBy: registrarBIN, writtenOffBy: registrarBIN)
        var valid: [String: [Any]] = [
            "WaybillRequest": [try json(waybill)],
            "WaybillReceipt": [try json(WaybillReceipt(number: "WB-1", recipient: producerA, issued: 2, month: ReportingMonth("2026-11")!, recordedAt: time))],
            "ActivationBatch": [try json(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "e", items: items(["QZA000000000000000001"]))),
                                try json(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "e", items: items(["QZA000000000000000001"]),
                                                         participant: producerA))],
            "ActivationReceipt": [try json(receipt),
                                  try json(ActivationReceipt(batchId: UUID(), participant: producerA, lineId: "l", equipmentId: "e", receivedAt: time,
                                                             results: results, actor: registrarBIN))],
            "CodeInfo": [try json(fullCode), try json(CodeInfo(code: "C", status: .issued, owner: producerA, series: StampSeries("AB")!,
                                                               number: StampNumber(2)!, waybillNumber: "W", issuedOn: CalendarDate("2026-01-31")!, productName: "V"))],
            "CodePage": [try json(CodePage(items: [PoolCode(code: "C", series: StampSeries("AB")!, number: StampNumber(3)!)], next: "C")),
                         try json(CodePage(items: [], next: nil))],
            "WriteOffRequest": [try json(WriteOffRequest(writtenOffAt: time, reason: "damaged", codes: ["C"])),
                                try json(WriteOffRequest(writtenOffAt: time, reason: "damaged", codes: ["C"], participant: producerA))],
            "WriteOffReceipt": [try json(WriteOffReceipt(participant: producerA, results: WriteOffOutcome.allCases.map { WriteOffResult(code: "C", result: $0) }))],
            "HealthStatus": [try json(HealthStatus(status: "ok"))],
            "ImportReportRequest": [try json(ImportReportRequest(reportId: UUID(), rows: [
                ImportReportRow(code: "QZA000000000000000001", stamp: AffixedStamp(series: StampSeries("AB")!, number: StampNumber(1)!), affixedAt: time),
                ImportReportRow(code: "QZA000000000000000002", stamp: AffixedStamp(series: StampSeries("AB")!, number: StampNumber(2)!), affixedAt: time,
                                productCode: "DSN-1"),
            ])), try json(ImportReportRequest(reportId: UUID(), rows: [
                ImportReportRow(code: "QZA000000000000000001", stamp: AffixedStamp(series: StampSeries("AB")!, number: StampNumber(999_999_999)!), affixedAt: time),
            ], participant: importerC))],
            "QRUsageReport": [try json(ReportCalculator.usage(participant: producerA, name: "N", month: ReportingMonth("2026-11")!, counters: [
                MonthlyCounters(participant: producerA, month: ReportingMonth("2026-10")!, received: 5, activated: 1, writtenOff: 1)], generatedAt: time)),
                              try json(ReportCalculator.usage(participant: producerA, name: nil, month: ReportingMonth("2026-11")!, counters: [], generatedAt: time))],
            "QRActivationReport": [try json(ReportCalculator.activation(participant: producerA, name: "N", month: ReportingMonth("2026-11")!, counters: [
                MonthlyCounters(participant: producerA, month: ReportingMonth("2026-11")!, received: 5, activated: 1, writtenOff: 1)], generatedAt: time))],
            "ErrorResponse": [],
            "ActivationEvent": [try json(ActivationEvent(id: 1, code: "QZA000000000000000001", participant: producerA, lineId: "l", equipmentId: "e",
                                                         productCode: nil, activatedAt: time, batchId: UUID()))],
            "AggregationBatch": [try json(AggregationBatch(lineId: "pack-1", equipmentId: "case-packer-1", events: [
                packCase(sscc(1), ["QZA000000000000000001", "https://qr.example.kz/c/QZA000000000000000002"]), dissolveCase(sscc(1)),
                buildPallet(sscc(100), [sscc(1), try UnitCode(parsing: "CASE-2026/17")]), dissolvePallet(sscc(100)),
            ])), try json(AggregationBatch(lineId: "pack-1", equipmentId: "case-packer-1", events: [dissolveCase(sscc(1))], participant: producerA))],
            "AggregationReceipt": [try json(AggregationReceipt(participant: producerA, receivedAt: time, results:
                AggregationOutcome.allCases.map { AggregationResult(eventId: UUID(), unit: sscc(1), result: $0,
                                                                    detail: $0 == .conflict ? "used before" : nil) }
                + AggregationRefusal.allCases.map { AggregationResult(eventId: UUID(), unit: sscc(2), result: .refused, reason: $0,
                                                                      codes: ["QZA000000000000000001"], detail: "why") })),
                                   try json(AggregationReceipt(participant: producerA, receivedAt: time, results: [], actor: registrarBIN))],
            "UnitInfo": [try json(UnitInfo(unit: sscc(1), kind: .case, status: .packed, owner: producerA, lineId: "l", equipmentId: "e",
                                           packedAt: time, dissolvedAt: nil, pallet: sscc(100), count: 24, contents: ["QZA000000000000000001"],
                                           next: "QZA000000000000000001", packedBy: registrarBIN)),
                         try json(UnitInfo(unit: sscc(100), kind: .pallet, status: .dissolved, owner: producerA, lineId: "l", equipmentId: "e",
                                           packedAt: time, dissolvedAt: time, pallet: nil, count: 1, contents: [], next: nil))],
        ]
        // Real error answers from the server.
        try await withRegistrar(over: .socket) { registrar in
            try await registrar.with("producerA") { client in
                for body in ["{", #"{"batchId":"x"}"#, #"{"batchId":"\#(UUID())","lineId":"l","equipmentId":"c","items":[]}"#] {
                    valid["ErrorResponse", default: []].append(try JSONSerialization.jsonObject(with: Data(try await post(client, "/v1/activations", body).body)))
                }
                let limited = try await client.raw(method: "GET", path: "/v1/codes/x", body: nil)
                valid["ErrorResponse", default: []].append(try JSONSerialization.jsonObject(with: Data(limited.body)))
            }
            // An importer on the producers' activation endpoint (use_import_report)
            try await registrar.with("importerC") { client in
                let refused = try await post(client, "/v1/activations", #"{"batchId":"\#(UUID())","lineId":"l","equipmentId":"c","items":[]}"#)
                #expect(refused.status == 403)
                valid["ErrorResponse", default: []].append(try JSONSerialization.jsonObject(with: Data(refused.body)))
            }
            // Real events of the activation stream (the `data:` of each).
            let codes = try await registrar.issue(1, to: producerA, prefix: "QZA")
            try await registrar.activate("producerA", codes)
            // Real aggregation answers: a receipt, a unit, a code in a case on a pallet, and errors.
            let receipt = try await registrar.postAggregations("producerA", Array(try WireCoding.encoder().encode(AggregationBatch(
                lineId: "pack-1", equipmentId: "case-packer-1", events: [packCase(sscc(1), codes), buildPallet(sscc(100), [sscc(1)]),
                                                                           packCase(sscc(2), codes), dissolveCase(sscc(3))]))))
            valid["AggregationReceipt", default: []].append(try JSONSerialization.jsonObject(with: Data(receipt.body)))
            for path in ["/v1/units/\(sscc(1))", "/v1/units/\(sscc(100))"] {
                let unit = try await registrar.with("producerA") { try await $0.raw(method: "GET", path: path, body: nil) }
                valid["UnitInfo", default: []].append(try JSONSerialization.jsonObject(with: Data(unit.body)))
            }
            let packedCode = try await registrar.with("producerA") { try await $0.raw(method: "GET", path: "/v1/codes/\(codes[0])", body: nil) }
            valid["CodeInfo", default: []].append(try JSONSerialization.jsonObject(with: Data(packedCode.body)))
            for (path, body) in [("/v1/aggregations", #"{"lineId":"l","equipmentId":"e","events":[{"eventId":"\#(UUID())","kind":"casePacked","unit":"048700010000000012","contents":[],"at":"2026-11-21T22:30:00+05:00"}]}"#),
                                 ("/v1/aggregations", #"{"lineId":"l","equipmentId":"e","events":[]}"#)] {
                let answer = try await registrar.with("producerA") { try await post($0, path, body) }
                valid["ErrorResponse", default: []].append(try JSONSerialization.jsonObject(with: Data(answer.body)))
            }
            let missing = try await registrar.with("producerA") { try await $0.raw(method: "GET", path: "/v1/units/\(sscc(9))", body: nil) }
            valid["ErrorResponse", default: []].append(try JSONSerialization.jsonObject(with: Data(missing.body)))
            let stream = try await registrar.stream("registrar", query: "?after=0")
            for event in try await stream.events(1) {
                valid["ActivationEvent", default: []].append(try JSONSerialization.jsonObject(with: Data(event.data.utf8)))
            }
            stream.close()
        }
        // Real answers of the trade half (real signatures from the openssl PKI), and its refusals.
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-27T15:42:00+05:00")!)
        try await withRegistrar(trade: try TradeFlowTests.settings(pki: pki, clock: clock)) { r in
            let codes = try await TradeFlowTests.producedCodes(r, pki: pki, count: 3, prefix: "QZT")
            let producer = try r.client("producerA"), wholesaler = try r.client("wholesaler")
            func sample(_ schema: String, _ response: RawResponse) throws {
                valid[schema, default: []].append(try JSONSerialization.jsonObject(with: Data(response.body)))
            }
            let saved = try await post(producer, "/v1/orders", try TradeFlowTests.envelope(
                TradeFlowTests.order("O-1", from: producerA, to: wholesalerW, codes: [codes[0], codes[1]]), by: pki.signer(producerA)))
            try sample("OrderInfo", saved)
            let order = try WireCoding.decoder().decode(OrderInfo.self, from: Data(saved.body))
            try sample("OrderInfo", try await post(wholesaler, "/v1/orders/\(order.id)/counter-order",
                                                   try TradeFlowTests.envelope(TradeFlowTests.counter(order), by: pki.signer(wholesalerW))))
            for (schema, client, path) in [
                ("AccountInfo", producer, "/v1/accounts/\(producerA)"), ("AccountExtract", producer, "/v1/accounts/\(producerA)/extract"),
                ("OperationPage", producer, "/v1/accounts/\(producerA)/operations?limit=2"), ("OperationPage", producer, "/v1/codes/\(codes[0])/operations"),
                ("CodeExtract", wholesaler, "/v1/codes/\(codes[0])/extract"), ("CodeExtract", producer, "/v1/codes/\(codes[2])/extract"),
                ("OrderPage", producer, "/v1/orders?side=seller"), ("OrderCodePage", producer, "/v1/orders/\(order.id)/codes?limit=1"),
                ("ApplicationPage", producer, "/v1/applications"), ("ApplicationInfo", producer, "/v1/applications/\(producerA)/APP-QZT"),
                ("ErrorResponse", wholesaler, "/v1/accounts/\(producerA)"), ("ErrorResponse", producer, "/v1/orders/\(UUID())"),
            ] as [(String, QazAPIClient, String)] {
                try sample(schema, try await client.raw(method: "GET", path: path, body: nil))
            }
            let documents = try await producer.raw(method: "GET", path: "/v1/orders/\(order.id)/documents", body: nil)
            for document in try JSONSerialization.jsonObject(with: Data(documents.body)) as! [Any] { valid["StoredDocument", default: []].append(document) }
            let submission = ReportSubmission(participant: producerA, form: .app9, month: ReportingMonth("2026-11")!, received: 3, activated: 2)
            try sample("ReportSubmissionResult", try await post(producer, "/v1/reports/submissions",
                                                                try TradeFlowTests.envelope(submission, by: pki.signer(producerA))))
            try sample("ErrorResponse", try await post(producer, "/v1/orders", try TradeFlowTests.envelope(
                TradeFlowTests.order("O-2", from: producerA, to: wholesalerW, codes: [codes[0]]), by: pki.signer(producerA))))
            try sample("ErrorResponse", try await post(producer, "/v1/applications", #"{"document":{},"signature":"AAAA"}"#))
            for client in [producer, wholesaler] { try await client.shutdown() }
        }
        // Real answers of the retail half (receipts, registers, gaps, redemptions, consent, scans, alerts, the stream).
        try await Self.retailSamples(&valid)
        let astana = "2026-11-27T10:00:00"
        let fullReceipt = FiscalReceipt(registrationNumber: "010101234567", factoryNumber: "ZN-4567", seller: retailerR, number: 7, fiscalSign: "FS-7",
                                        dateTime: astana, lines: [ReceiptLine(catalogueCode: "4870001234567", name: "Vodka", quantity: 1,
                                                                              markingCodes: ["QZA000000000000000001"])])
        let bareReceipt = FiscalReceipt(registrationNumber: "01010123456789012345", factoryNumber: "ZN.1/2", seller: retailerR, number: 2_147_483_647,
                                        autonomousSign: "AFS-1", autonomous: true, dateTime: astana + "+05:00", operation: .saleReturn,
                                        lines: [ReceiptLine(catalogueCode: "X-1", quantity: 3, markingCodes: [])])
        valid["FiscalReceipt", default: []] += [try json(fullReceipt), try json(bareReceipt)]
        valid["ReceiptBatch", default: []].append(try json(ReceiptBatch(receipts: [fullReceipt, bareReceipt])))
        valid["RedemptionRequest", default: []] += [try json(RedemptionRequest(seller: retailerR, number: "CAB-1", codes: ["x"], soldAt: time)),
                                                    try json(RedemptionRequest(seller: retailerR, number: "CAB-2", codes: ["QZA000000000000000001"]))]
        valid["RedemptionConsent", default: []].append(try json(RedemptionConsent(participant: retailerR, redeemOnCounterOrder: false,
                                                                                  date: CalendarDate("2026-11-27")!)))
        valid["VerifyRequest", default: []] += [try json(VerifyRequest(code: "https://qr.example.kz/c/QZA000000000000000001",
                                                                       location: ScanLocation(latitude: -90, longitude: 180, accuracy: 0))),
                                                try json(VerifyRequest(code: "QZA000000000000000001"))]
        valid["ScanLocation", default: []].append(try json(ScanLocation(latitude: 43.2, longitude: 76.9)))
        var extra = try json(receipt) as! [String: Any]
        extra["surprise"] = 1
        var badTime = try json(ActivationBatch(batchId: UUID(), lineId: "l", equipmentId: "e", items: items(["C"]))) as! [String: Any]
        badTime["items"] = [["code": "C", "activatedAt": "2026-11-21 10:00", "productCode": "P"]]
        var eventWithoutCode = try json(ActivationEvent(id: 1, code: "C", participant: producerA, lineId: "l", equipmentId: "e", productCode: "P",
                                                        activatedAt: time, batchId: UUID())) as! [String: Any]
        eventWithoutCode["code"] = nil
        var badKind = try json(AggregationBatch(lineId: "l", equipmentId: "e", events: [dissolveCase(sscc(1))])) as! [String: Any]
        var badKindEvents = badKind["events"] as! [[String: Any]]
        badKindEvents[0]["kind"] = "caseOpened"
        badKind["events"] = badKindEvents
        var unitWithExtra = try json(UnitInfo(unit: sscc(1), kind: .case, status: .packed, owner: producerA, lineId: "l", equipmentId: "e",
                                              packedAt: time, dissolvedAt: nil, pallet: nil, count: 0, contents: [], next: nil)) as! [String: Any]
        unitWithExtra["bottles"] = 24
        var badUnitCode = try json(fullCode) as! [String: Any]
        badUnitCode["case"] = "a case!"
        // Stamp number 000000000 is no stamp's number (App. 6/7 element 1)
        let zeroStamp = try json(ImportReportRequest(reportId: UUID(), rows: [
            ImportReportRow(code: "QZA000000000000000001", stamp: AffixedStamp(series: StampSeries("AB")!, number: StampNumber(0)!), affixedAt: time),
        ])) as! [String: Any]
        let zeroRange = try json(makeWaybill(number: "WB-0", to: producerA, prefix: "QZA", start: 0, count: 2))
        // Retail: an autonomous receipt with the FDO's sign, an online one with none, a line of no units, a receipt time
        // that is not Astana local time; a buyer's answer naming a holder; a location off the earth.
        var mixedSigns = try json(bareReceipt) as! [String: Any]
        mixedSigns["fiscalSign"] = "FS-1"
        var unsigned = try json(fullReceipt) as! [String: Any]
        unsigned["fiscalSign"] = nil
        var zeroLine = try json(fullReceipt) as! [String: Any]
        zeroLine["lines"] = [["catalogueCode": "4870001234567", "quantity": 0, "markingCodes": [String]()]]
        var utcReceipt = try json(fullReceipt) as! [String: Any]
        utcReceipt["dateTime"] = "2026-11-27T05:00:00Z"
        var nosy = try json(VerifyAnswer(code: "C", verdict: .genuine, status: "Белсендірілген", redeemed: false, message: "m")) as! [String: Any]
        nosy["holder"] = retailerR.rawValue
        let invalid: [String: [Any]] = ["ActivationReceipt": [extra], "ActivationBatch": [badTime], "ActivationEvent": [eventWithoutCode],
                                        "AggregationBatch": [badKind], "UnitInfo": [unitWithExtra], "CodeInfo": [badUnitCode],
                                        "ImportReportRequest": [zeroStamp], "WaybillRequest": [zeroRange],
                                        "FiscalReceipt": [mixedSigns, unsigned, zeroLine, utcReceipt], "VerifyAnswer": [nosy],
                                        "ScanLocation": [["latitude": 91, "longitude": 0], ["latitude": 0, "longitude": 0, "accuracy": 100_001]]]
        let codes = [ErrorCode.invalidJSON, .invalidField, .missingField, .bodyTooLarge, .batchTooLarge, .codeTooLong, .duplicateCode,
                     .unauthenticated, .tokenExpired, .forbidden, .notOwner, .useImportReport, .notFound, .methodNotAllowed, .idempotencyConflict,
                     .alreadyIssued, .waybillMismatch, .unsupportedMediaType, .rateLimited, .timeout, .unavailable, .internal,
                     .accountBlocked, .accountUnknown, .signatureInvalid, .signerMismatch, .signaturesNotConfigured, .invalidState, .orderExpired,
                     .codesNotHeld, .codesPending, .codesNotActive, .applicationMismatch, .calendarNotCovered, .fiscalSignReused].map(\.rawValue)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let samples = directory.appendingPathComponent("samples.json")
        let script = directory.appendingPathComponent("check.py")
        try JSONSerialization.data(withJSONObject: ["valid": valid, "invalid": invalid, "errorCodes": codes]).write(to: samples)
        try Self.checker.write(to: script, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [script.path, Self.root.appendingPathComponent("docs/openapi.yaml").path, samples.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "OK", "\(output)")
        // The document served is the one in the repository.
        let served = OpenAPIDocument.yaml
        #expect(served == (try String(contentsOf: Self.root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)))
    }

    /// Real answers of the retail half on a registrar with a movable clock: a shop's stock sold at a till through an FDO
    /// (applied, waiting, rejected receipts; a reported gap a late return fills), in the cabinet and under consent;
    /// consumers' scans raising every kind of alert; the analytics' list, report, scans and stream.
    static func retailSamples(_ valid: inout [String: [Any]]) async throws {
        typealias R = RetailFlowTests
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-27T10:00:00+05:00")!)
        let retail = RetailSettings(verifyRate: 1000, verifyBurst: 1000, analytics: AnalyticsRules(frequentScans: 3), clock: { clock.now })
        try await withRegistrar(over: .socket, trade: try TradeFlowTests.settings(pki: pki, clock: clock), retail: retail) { r in
            let codes = try await R.shopStock(r, pki: pki, count: 8, shop: 6, prefix: "CDR")
            let notActivated = try await r.issue(1, to: producerA, prefix: "CDN", series: "AC", number: "WB-CDN")
            let fdo = try r.client("fdo"), shop = try r.client("retailer"), revenue = try r.client("revenue"), buyer = try r.client("nobody")
            func sample(_ schema: String, _ response: RawResponse, _ status: Int = 200) throws {
                #expect(response.status == status, "\(schema): \(String(decoding: response.body.prefix(400), as: UTF8.self))")
                valid[schema, default: []].append(try JSONSerialization.jsonObject(with: Data(response.body)))
            }
            func get(_ client: QazAPIClient, _ path: String) async throws -> RawResponse { try await client.raw(method: "GET", path: path, body: nil) }
            func batch(_ receipts: [Any]) throws -> String {
                String(decoding: try JSONSerialization.data(withJSONObject: ["receipts": receipts]), as: UTF8.self)
            }
            func object(_ receipt: FiscalReceipt) throws -> Any { try JSONSerialization.jsonObject(with: try WireCoding.encoder().encode(receipt)) }
            let t = clock.now
            // Receipt 1 applies (redeemed, malformed, notSellers, a repeat, an invalid line); 3 waits for 2; receipt 4
            // reuses 1's sign; one is not a receipt; an autonomous register's receipt dated 80 hours ago.
            let first = R.receipt(1, at: t, lines: [R.line([codes[0], "https://qr.example.kz/c/\(codes[1])", codes[0]]), R.line(["nonsense", codes[6]]),
                                                    R.line([codes[2]], quantity: -1)])
            let third = R.receipt(3, at: t.adding(seconds: 120), lines: [R.line([codes[2]])])
            let reused = R.receipt(4, at: t, sign: first.fiscalSign, lines: [R.line([codes[3]])])
            let offline = R.receipt(1, at: t.adding(seconds: -80 * 3600), register: "020202345678", autonomous: true, lines: [R.line([codes[5]])])
            try sample("ReceiptBatchAnswer", try await post(fdo, "/v1/fdo/receipts", try batch([
                try object(first), try object(third), try object(reused), "not a receipt", try object(offline)])))
            try sample("ReceiptAnswer", try await get(fdo, "/v1/fdo/receipts/\(R.register)/1"))
            try sample("ReceiptAnswer", try await get(fdo, "/v1/fdo/receipts/\(R.register)/3"))
            // The gap before 3 is reported after the wait; 2 (a return of code 0) arrives late and fills it.
            clock.now = t.adding(seconds: 16 * 60)
            #expect(try await r.server.receiptGapService!.sweep().count == 1)
            let second = R.receipt(2, at: t.adding(seconds: 60), operation: .saleReturn, lines: [R.line([codes[0], codes[4]])])
            // With it: receipt 1 again (its stored answer), a number far past the last applied (rejected), a third
            // register first seen at 5; then its receipt 4 (before the first seen).
            let third3 = "030303456789"
            let far = R.receipt(200_000, at: t, lines: [R.line([codes[3]])])
            let fifth = R.receipt(5, at: t, register: third3, lines: [R.line([codes[5]])])
            try sample("ReceiptBatchAnswer", try await post(fdo, "/v1/fdo/receipts", try batch([try object(second), try object(first), try object(far),
                                                                                                  try object(fifth)])))
            try sample("ReceiptBatchAnswer", try await post(fdo, "/v1/fdo/receipts", try batch([
                try object(R.receipt(4, at: t, register: third3, lines: [R.line([codes[5]])]))])))
            try sample("CashRegisterState", try await get(fdo, "/v1/fdo/registers/\(R.register)"))
            try sample("CashRegisterState", try await get(fdo, "/v1/fdo/registers/020202345678"))
            try sample("ReceiptGapPage", try await get(fdo, "/v1/fdo/gaps?registration=\(R.register)"))
            try sample("ReceiptGapPage", try await get(revenue, "/v1/fdo/gaps"))
            try sample("ErrorResponse", try await get(fdo, "/v1/fdo/gaps"), 422)
            try sample("ReceiptGapPage", try await get(revenue, "/v1/fdo/gaps?registration=\(R.register)&limit=1"))
            try sample("ErrorResponse", try await get(fdo, "/v1/fdo/receipts/\(R.register)/99"), 404)
            // Redemption in the cabinet (cl. 22, first way), and the consent (second way).
            let request = RedemptionRequest(seller: retailerR, number: "CAB-1", codes: [codes[3], "nonsense", codes[7], codes[3], codes[1]], soldAt: clock.now)
            try sample("RedemptionAnswer", try await post(shop, "/v1/redemptions", try TradeFlowTests.envelope(request, by: pki.signer(retailerR))), 201)
            try sample("RedemptionAnswer", try await get(shop, "/v1/redemptions/\(retailerR)/CAB-1"))
            let consent = RedemptionConsent(participant: retailerR, redeemOnCounterOrder: true, date: CalendarDate("2026-11-27")!)
            try sample("AccountInfo", try await post(shop, "/v1/accounts/\(retailerR)/redemption-consent", try TradeFlowTests.envelope(consent, by: pki.signer(retailerR))))
            try sample("ErrorResponse", try await post(shop, "/v1/accounts/\(wholesalerW)/redemption-consent", try TradeFlowTests.envelope(consent, by: pki.signer(retailerR))), 422)
            // A redeemed code's look-up, extract and history; the shop's account.
            for (schema, path) in [("CodeInfo", "/v1/codes/\(codes[1])"), ("CodeExtract", "/v1/codes/\(codes[1])/extract"),
                                   ("CodeExtract", "/v1/codes/\(codes[0])/extract"), ("OperationPage", "/v1/codes/\(codes[3])/operations"),
                                   ("AccountExtract", "/v1/accounts/\(retailerR)/extract"), ("OperationPage", "/v1/accounts/\(retailerR)/operations"),
                                   ("AccountInfo", "/v1/accounts/\(retailerR)")] {
                try sample(schema, try await get(shop, path))
            }
            // Consumers' scans: genuine in Almaty, then Astana 10 minutes later (impossible travel, and the third scan is
            // frequent); never issued (its location shared afterwards); never activated; sold and scanned 36 h later.
            func verify(_ code: String, _ location: ScanLocation? = nil) async throws -> RawResponse {
                try await post(buyer, "/v1/verify", String(decoding: try WireCoding.encoder().encode(VerifyRequest(code: code, location: location)), as: UTF8.self))
            }
            try sample("VerifyAnswer", try await verify("https://qr.example.kz/c/\(codes[4])", ScanLocation(latitude: 43.2389, longitude: 76.8897, accuracy: 30)))
            clock.now = clock.now.adding(seconds: 600)
            try sample("VerifyAnswer", try await verify(codes[4], ScanLocation(latitude: 51.1694, longitude: 71.4491)))
            try sample("VerifyAnswer", try await verify(codes[4]))
            let unknown = try await verify(makeCode("FAKE", 9))
            try sample("VerifyAnswer", unknown)
            let scan = try WireCoding.decoder().decode(VerifyAnswer.self, from: Data(unknown.body)).scan!
            let located = try await post(buyer, "/v1/verify/scans/\(scan.uuidString)/location", #"{"latitude": 42.3417, "longitude": 69.5901, "accuracy": 15}"#)
            #expect(located.status == 204)
            try sample("ErrorResponse", try await post(buyer, "/v1/verify/scans/\(scan.uuidString)/location", #"{"latitude": 42.3, "longitude": 69.5}"#), 409)
            try sample("VerifyAnswer", try await verify(notActivated[0], ScanLocation(latitude: 47.1, longitude: 51.9, accuracy: 100)))
            try sample("VerifyAnswer", try await verify(codes[1]))
            clock.now = clock.now.adding(seconds: 36 * 3600)
            try sample("VerifyAnswer", try await verify(codes[1], ScanLocation(latitude: 48.0, longitude: 40.0)))
            try sample("ErrorResponse", try await post(buyer, "/v1/verify", #"{"code":"\#(codes[1])","location":{"latitude":91,"longitude":0}}"#), 422)
            // The revenue body's analytics.
            let alerts = try await get(revenue, "/v1/analytics/alerts")
            try sample("AlertPage", alerts)
            let page = try WireCoding.decoder().decode(AlertPage.self, from: Data(alerts.body))
            #expect(Set(page.items.map(\.kind)) == Set(AlertKind.allCases), "\(page.items.map(\.kind))")
            try sample("AlertPage", try await get(revenue, "/v1/analytics/alerts?limit=1&kind=impossibleTravel&region=Astana%20(city)"))
            try sample("ScanReport", try await get(revenue, "/v1/analytics/report?from=2026-11-27T00:00:00%2B05:00&to=2026-12-01T00:00:00%2B05:00"))
            try sample("ScanPage", try await get(revenue, "/v1/analytics/scans?code=\(codes[4])"))
            try sample("ScanPage", try await get(revenue, "/v1/analytics/scans?code=\(makeCode("FAKE", 9))"))
            try sample("ErrorResponse", try await get(shop, "/v1/analytics/alerts"), 403)
            let stream = try SSEConnection(port: r.port, path: "/v1/analytics/alerts/stream?after=0", token: r.tokens["revenue"])
            #expect(try await stream.readHead() == 200)
            for event in try await stream.events(page.items.count, timeout: .seconds(10)) {
                #expect(event.name == "alert")
                valid["CounterfeitAlert", default: []].append(try JSONSerialization.jsonObject(with: Data(event.data.utf8)))
            }
            stream.close()
            for client in [fdo, shop, revenue, buyer] { try await client.shutdown() }
        }
    }

    @Test("receipt codec round-trips every outcome, times and reasons")
    func receiptCodec() {
        let results = ActivationOutcome.allCases.enumerated().map { index, outcome in
            ActivationResult(code: "CODE\(index)ж", result: outcome, activatedAt: index % 2 == 0 ? Timestamp(milliseconds: -5 + Int64(index)) : nil,
                             reason: index % 3 == 0 ? "why \(index)" : nil)
        }
        #expect(ReceiptCodec.decode(ReceiptCodec.encode(results)) == results)
        #expect(ReceiptCodec.decode([1, 2, 0]) == nil)
    }

    @Test("timestamps parse offsets and print UTC with milliseconds; Astana display is +05:00")
    func timestamps() throws {
        let time = try #require(Timestamp(text: "2026-11-21T22:10:05.123+05:00"))
        #expect(time.description == "2026-11-21T17:10:05.123Z")
        #expect(time.astana == "2026-11-21T22:10:05+05:00")
        #expect(Timestamp(text: "2026-11-21T22:10:05") == nil)
        #expect(Timestamp(milliseconds: -1).description == "1969-12-31T23:59:59.999Z")
        #expect(CalendarDate("2026-02-30") == nil)
    }
}

@Suite("Validator")
struct ValidatorTests {
    @Test("the fast bare-code path answers exactly as PayloadRules does")
    func fastPathAgrees() {
        let validator = Validator(rules: .default, maxBatchItems: 10_000, maxCodeBytes: 512)
        let samples = ["QZA000000000000000001", "7KQ2M9X4TZ8WB3N5JH6R", "ABCDEFGHIJKLMNOP", "ABCDEFGHIJKLMNO", String(repeating: "Z", count: 40),
                       String(repeating: "Z", count: 41), "qza000000000000000001", "QZA00000000000000000Ж", "QZA 000000000000000001",
                       "https://qr.example.kz/c/QZA000000000000000001", ""]
        for text in samples {
            if let fast = validator.fastBareCode(text) {
                #expect(fast == PayloadRules.default.parse(text), "\(text)")
            } else {
                #expect((try? PayloadRules.default.parse(text).get()) == nil || text.contains("://"), "fast path missed \(text)")
            }
        }
    }
}
