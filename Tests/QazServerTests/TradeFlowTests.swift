import Foundation
import LineCore
import Prometheus
import QazAPI
import QazClient
@testable import QazServer
import Signatures
import SignaturesTesting

/// The openssl-made PKI of the signature tests (QazServerTests has its own TLS `TestPKI`).
typealias SigningPKI = SignaturesTesting.TestPKI
import Testing
import WorkingCalendar

let wholesalerW = bin("96060611111")
let retailerR = bin("95070722222")

/// The trade half over HTTP with real X.509/CMS signatures (certificates made by `openssl`), on SQLite and PostgreSQL:
/// application → decision → waybill → activation → order → counter-order → extracts, and every refusal on the way.
@Suite("Registrar trade: applications, orders, counter-orders, blocking, extracts")
struct TradeFlowTests {
    /// A registrar trusting the test PKI, with a movable clock.
    static func settings(pki: SigningPKI, clock: TestClock, requireApplications: Bool = true) throws -> TradeSettings {
        let verifier = try SignatureVerifier(anchorsPEM: [pki.root.certificatePEM], intermediatesPEM: [pki.intermediate.certificatePEM],
                                             crlsPEM: [try String(contentsOf: pki.intermediateCRL, encoding: .utf8)])
        return TradeSettings(verifier: verifier, calendar: .kazakhstan, requireApplications: requireApplications, clock: { clock.now })
    }

    static func envelope(_ document: some Encodable, by signer: SigningPKI.Identity) throws -> String {
        let json = try JSONEncoder().encode(document)
        return String(decoding: try SignedEnvelope.make(documentJSON: json, keyPEM: signer.keyPEM, certificatePEM: signer.certificatePEM,
                                                        chainPEM: signer.chainPEM), as: UTF8.self)
    }

    static func application(_ number: String, by applicant: TaxpayerID, quantity: Int, kind: ApplicationKind = .domestic) -> StampApplication {
        let date = CalendarDate("2026-10-28")!
        let payment = PaymentReference(amount: "125000.00", bankAccount: "KZ12345678901234567890", document: "PP-1", date: date)
        return StampApplication(
            number: number, date: date, kind: kind, applicant: applicant, name: "Test Distillery LLP", address: "Astana, Mangilik El 1",
            licence: kind == .domestic ? Licence(authority: "MinFin", number: "LIC-1", date: date) : nil, quantity: quantity,
            product: ApplicationProduct(name: "Vodka Test", type: "vodka", capacityMl: 500, strength: "40.0"),
            periodFrom: ReportingMonth("2026-11")!, periodTo: ReportingMonth("2026-12")!,
            certificate: ConformityCertificate(number: "KZ.7500.01", body: "NCS", validUntil: CalendarDate("2027-10-28")!), hsCode: "2208601100",
            stampPayment: payment, excisePayment: payment, receiptMethod: .pickup,
            contract: kind == .import ? ForeignTradeContract(number: "FTC-1", date: date) : nil,
            obligation: TargetedUseObligation(securityAmount: "500000.00", method: .bankGuarantee, instrumentNumber: "BG-7", instrumentDate: date,
                                              legalAddress: "Astana", bankDetails: "Halyk Bank, KZ00"),
            undertakings: ApplicationUndertakings(noArrears: kind == .import ? true : nil))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ response: RawResponse, _ status: Int = 200,
                                     sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
        #expect(response.status == status, "\(String(decoding: response.body.prefix(400), as: UTF8.self))", sourceLocation: sourceLocation)
        return try WireCoding.decoder().decode(T.self, from: Data(response.body))
    }

    static func refusal(_ response: RawResponse, _ status: Int, _ code: ErrorCode, sourceLocation: SourceLocation = #_sourceLocation) -> ErrorBody? {
        #expect(response.status == status, "\(String(decoding: response.body.prefix(400), as: UTF8.self))", sourceLocation: sourceLocation)
        let body = errorBody(response)
        #expect(body?.code == code, "\(body?.message ?? "")", sourceLocation: sourceLocation)
        return body
    }

    /// Codes issued to producer A under an approved application and activated: the set-up of the order tests.
    static func producedCodes(_ r: Registrar, pki: SigningPKI, count: Int, prefix: String) async throws -> [String] {
        let producer = try r.client("producerA"), revenue = try r.client("revenue"), factory = try r.client("factory")
        let number = "APP-\(prefix)"
        let submitted = try await post(producer, "/v1/applications", try envelope(application(number, by: producerA, quantity: count), by: pki.signer(producerA)))
        _ = try decode(ApplicationInfo.self, submitted, 201)
        let decided = try await post(revenue, "/v1/applications/\(producerA)/\(number)/decision", #"{"decision":"approve"}"#)
        #expect(try decode(ApplicationInfo.self, decided).status == .approved)
        var waybill = makeWaybill(number: "WB-\(prefix)", to: producerA, prefix: prefix, count: count)
        waybill.application = ApplicationReference(number: number, date: CalendarDate("2026-10-28")!)
        _ = try await factory.submitWaybill(waybill)
        let codes = waybill.codes.map(\.code)
        _ = try await producer.activate(ActivationBatch(batchId: UUID(), lineId: "L1", equipmentId: "CAM-1", items: items(codes)))
        for client in [producer, revenue, factory] { try await client.shutdown() }
        return codes
    }

    static func order(_ number: String, from seller: TaxpayerID, to buyer: TaxpayerID, codes: [String], units: [String] = []) -> SaleOrder {
        SaleOrder(number: number, seller: seller, buyer: buyer, codes: codes, units: units, volumeLitres: "\(codes.count).500",
                  price: "125000.00", note: "test")
    }

    static func counter(_ info: OrderInfo) -> CounterOrder {
        CounterOrder(order: info.id, seller: info.seller, buyer: info.buyer, orderDigest: info.sellerSignature.documentDigest)
    }

    @Test("application → approval → waybill → activation → order → counter-order → extracts", arguments: [TestBackend.sqliteMemory, .postgres])
    func wholeChain(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-20T15:42:00+05:00")!)
        try await withRegistrar(backend: backend, trade: try Self.settings(pki: pki, clock: clock)) { r in
            let producer = try r.client("producerA"), factory = try r.client("factory"), wholesaler = try r.client("wholesaler")
            // cl. 14: a domestic application is decided within 2 working days: Friday 15:42 → Tuesday 15:42.
            let submitted = try await post(producer, "/v1/applications",
                                           try Self.envelope(Self.application("APP-1", by: producerA, quantity: 10), by: pki.signer(producerA)))
            let app = try Self.decode(ApplicationInfo.self, submitted, 201)
            #expect(app.status == .submitted && app.decisionDue == Timestamp(text: "2026-11-24T15:42:00+05:00")!)
            #expect(app.signature.bin == producerA.rawValue)
            // A waybill before approval is refused, naming the application's status (cl. 16).
            var waybill = makeWaybill(number: "WB-1", to: producerA, prefix: "QZT", count: 10)
            waybill.application = ApplicationReference(number: "APP-1", date: CalendarDate("2026-10-28")!)
            let early = try await post(factory, "/v1/waybills", String(decoding: try WireCoding.encoder().encode(waybill), as: UTF8.self))
            #expect(Self.refusal(early, 422, .applicationMismatch)?.message.contains("submitted") == true)
            // Overdue after the deadline.
            clock.now = Timestamp(text: "2026-11-24T15:43:00+05:00")!
            let overdue = try Self.decode(ApplicationPage.self, try await producer.raw(method: "GET", path: "/v1/applications?overdue=true", body: nil))
            #expect(overdue.items.map(\.number) == ["APP-1"] && overdue.items[0].overdue)
            let revenue = try r.client("revenue")
            let approved = try Self.decode(ApplicationInfo.self,
                                           try await post(revenue, "/v1/applications/\(producerA)/APP-1/decision", #"{"decision":"approve"}"#))
            #expect(approved.status == .approved && approved.decidedBy == registrarBIN && !approved.overdue)
            let twice = try await post(revenue, "/v1/applications/\(producerA)/APP-1/decision", #"{"decision":"refuse","grounds":["excise_unpaid"]}"#)
            _ = Self.refusal(twice, 409, .invalidState)
            _ = try await factory.submitWaybill(waybill)
            // More than approved: refused with the figures.
            var more = makeWaybill(number: "WB-2", to: producerA, prefix: "QZT", start: 11, count: 1)
            more.application = waybill.application
            let exceeded = try await post(factory, "/v1/waybills", String(decoding: try WireCoding.encoder().encode(more), as: UTF8.self))
            #expect(Self.refusal(exceeded, 422, .applicationMismatch)?.details?["approved"] == "10")
            let codes = waybill.codes.map(\.code)
            _ = try await producer.activate(ActivationBatch(batchId: UUID(), lineId: "L1", equipmentId: "CAM-1", items: items(codes)))

            // cl. 21(1): the seller saves and signs an order «Қол қоюда»; it expires 3 working days later.
            clock.now = Timestamp(text: "2026-11-27T15:42:00+05:00")!  // a Friday
            let saved = try Self.decode(OrderInfo.self, try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("ORD-1", from: producerA, to: wholesalerW, codes: Array(codes[0..<6])), by: pki.signer(producerA))), 201)
            #expect(saved.status == .pending && saved.statusText == "Қол қоюда" && saved.codeCount == 6)
            #expect(saved.expiresAt == Timestamp(text: "2026-12-02T15:42:00+05:00")!)
            // The same document again: the stored answer; codes in it cannot go into another order (cl. 23(3)).
            let replay = try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("ORD-1", from: producerA, to: wholesalerW, codes: Array(codes[0..<6])), by: pki.signer(producerA)))
            #expect(try Self.decode(OrderInfo.self, replay).id == saved.id)
            let overlapping = try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("ORD-2", from: producerA, to: retailerR, codes: Array(codes[5..<8])), by: pki.signer(producerA)))
            #expect(Self.refusal(overlapping, 409, .codesPending)?.details?["codes"] == codes[5])
            // The buyer sees it, and signs the counter-order «Қол қойылған».
            let incoming = try Self.decode(OrderPage.self, try await wholesaler.raw(method: "GET", path: "/v1/orders?side=buyer&status=pending", body: nil))
            #expect(incoming.items.map(\.id) == [saved.id])
            let signed = try Self.decode(OrderInfo.self, try await post(wholesaler, "/v1/orders/\(saved.id)/counter-order",
                                                                        try Self.envelope(Self.counter(saved), by: pki.signer(wholesalerW))))
            #expect(signed.status == .signed && signed.statusText == "Қол қойылған" && signed.buyerSignature?.bin == wholesalerW.rawValue)
            // A counter-order of other content on a signed order is refused (the same one again is answered as stored: reviewFixes).
            var other = Self.counter(saved)
            other.orderDigest = String(repeating: "0", count: 64)
            _ = Self.refusal(try await post(wholesaler, "/v1/orders/\(saved.id)/counter-order", try Self.envelope(other, by: pki.signer(wholesalerW))),
                             422, .invalidField)
            // cl. 21(2): «Берілген» for the seller, «Белсенді» for the buyer; the seller can no longer sell them.
            let extract = try Self.decode(CodeExtract.self, try await wholesaler.raw(method: "GET", path: "/v1/codes/\(codes[0])/extract", body: nil))
            #expect(extract.holder == wholesalerW)
            #expect(extract.holdings.map(\.status) == [.transferred, .active])
            #expect(extract.holdings.first { $0.participant == producerA }?.status == .transferred)
            #expect(extract.holdings.first { $0.participant == wholesalerW }?.status == .active)
            #expect(extract.operations.map(\.kind) == [.codesIssued, .activated, .orderSaved, .transferred, .received])
            let resell = try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("ORD-3", from: producerA, to: retailerR, codes: [codes[0]]), by: pki.signer(producerA)))
            _ = Self.refusal(resell, 422, .codesNotHeld)
            // The wholesaler sells on to the retailer.
            let onward = try Self.decode(OrderInfo.self, try await post(wholesaler, "/v1/orders", try Self.envelope(
                Self.order("W-1", from: wholesalerW, to: retailerR, codes: [codes[0], codes[1]]), by: pki.signer(wholesalerW))), 201)
            #expect(onward.status == .pending)
            // Extracts: the producer's account counts, JSON and printable.
            let account = try Self.decode(AccountExtract.self, try await producer.raw(method: "GET", path: "/v1/accounts/\(producerA)/extract", body: nil))
            #expect(account.codes.transferred == 6 && account.codes.produced == 4 && account.ordersAsSeller["signed"] == 1)
            let html = try await producer.raw(method: "GET", path: "/v1/accounts/\(producerA)/extract?format=html", body: nil)
            #expect(html.status == 200 && String(decoding: html.body, as: UTF8.self).contains("Есептік жазба бойынша жалпы үзінді-көшірме"))
            let operations = try Self.decode(OperationPage.self, try await wholesaler.raw(method: "GET", path: "/v1/accounts/\(wholesalerW)/operations", body: nil))
            #expect(operations.items.map(\.kind).contains(.received))
            // The producer's list of registered operations (cl. 25(4)), line-side ones included, oldest first.
            let log = try Self.decode(OperationPage.self, try await producer.raw(method: "GET", path: "/v1/accounts/\(producerA)/operations", body: nil))
            // (the refused orders ORD-2 and ORD-3 left nothing)
            #expect(log.items.map(\.kind) == [.accountCreated, .applicationSubmitted, .applicationApproved, .codesIssued, .activated, .orderSaved,
                                               .transferred])
            #expect(log.items.first { $0.kind == .codesIssued }?.actor == factoryBIN)
            #expect(log.items.first { $0.kind == .activated }?.count == 10)
            let paged = try Self.decode(OperationPage.self, try await producer.raw(
                method: "GET", path: "/v1/accounts/\(producerA)/operations?limit=3", body: nil))
            let rest = try Self.decode(OperationPage.self, try await producer.raw(
                method: "GET", path: "/v1/accounts/\(producerA)/operations?limit=100&after=\(try #require(paged.next))", body: nil))
            #expect(paged.items + rest.items == log.items)
            // Another participant's extract or order is not visible.
            for (path, field) in [("/v1/orders?status=done", "status"), ("/v1/orders?side=both", "side"),
                                  ("/v1/orders?participant=\(producerB)", ""), ("/v1/applications?status=maybe", "status"),
                                  ("/v1/orders?limit=0", "limit"), ("/v1/applications?overdue=yes", "overdue")] {
                let answer = try await producer.raw(method: "GET", path: path, body: nil)
                if field.isEmpty {
                    _ = Self.refusal(answer, 403, .forbidden)
                } else {
                    #expect(Self.refusal(answer, 422, .invalidField)?.details?["field"] == field, "\(path)")
                }
            }
            let foreign = try await r.client("producerB").raw(method: "GET", path: "/v1/orders/\(saved.id)", body: nil)
            _ = Self.refusal(foreign, 404, .notFound)
            // Metrics: what the registrar did, by operation.
            var buffer = [UInt8]()
            r.server.registry.emit(into: &buffer)
            let metrics = String(decoding: buffer, as: UTF8.self)
            for line in [#"qaz_trade_operations_total{operation="orderSaved"} 2"#, #"qaz_trade_operations_total{operation="orderSigned"} 1"#,
                         #"qaz_trade_operations_total{operation="applicationApproved"} 1"#] {
                #expect(metrics.contains(line), "\(line) not in /metrics")
            }
            for client in [producer, factory, wholesaler, revenue] { try await client.shutdown() }
        }
    }

    @Test("signatures: other bytes, expired, revoked, foreign CA, another BIN, garbled; the registrar signs for anyone",
          arguments: [TestBackend.sqliteMemory, .postgres])
    func signatureRefusals(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-20T10:00:00+05:00")!)
        try await withRegistrar(backend: backend, trade: try Self.settings(pki: pki, clock: clock)) { r in
            let producer = try r.client("producerA")
            let document = Self.application("APP-S", by: producerA, quantity: 5)
            // Tampered: the signature is over another quantity.
            var tampered = try JSONSerialization.jsonObject(with: Data(try Self.envelope(document, by: pki.signer(producerA)).utf8)) as! [String: Any]
            var inner = tampered["document"] as! [String: Any]
            inner["quantity"] = 5000
            tampered["document"] = inner
            let forged = try await post(producer, "/v1/applications", String(decoding: try JSONSerialization.data(withJSONObject: tampered), as: UTF8.self))
            #expect(Self.refusal(forged, 422, .signatureInvalid)?.details?["reason"] == "signature_invalid")
            for (identity, reason) in [(pki.expiredLeaf, "certificate_expired"), (pki.revokedLeaf, "certificate_revoked"),
                                       (pki.foreignLeaf, "certificate_untrusted"), (pki.selfSignedLeaf, "certificate_untrusted")] {
                let answer = try await post(producer, "/v1/applications", try Self.envelope(document, by: identity))
                #expect(Self.refusal(answer, 422, .signatureInvalid)?.details?["reason"] == reason, "\(identity.name)")
            }
            var buffer = [UInt8]()
            r.server.registry.emit(into: &buffer)
            #expect(String(decoding: buffer, as: UTF8.self).contains(#"qaz_signature_refusals_total{reason="certificate_revoked"} 1"#))
            let otherBIN = try await post(producer, "/v1/applications", try Self.envelope(document, by: pki.signer(producerB)))
            #expect(Self.refusal(otherBIN, 403, .signerMismatch)?.details?["expected"] == producerA.rawValue)
            let garbled = try await post(producer, "/v1/applications", #"{"document":{"number":"X"},"signature":"bm90IGEgQ01TIGJsb2I="}"#)
            _ = Self.refusal(garbled, 422, .signatureInvalid)
            let notEnvelope = try await post(producer, "/v1/applications", #"{"number":"X"}"#)
            _ = Self.refusal(notEnvelope, 422, .invalidField)
            // A producer cannot sign for another; the registrar may, with its own signature (cl. 24(2)).
            let forOther = try await post(try r.client("producerB"), "/v1/applications", try Self.envelope(document, by: pki.signer(producerB)))
            _ = Self.refusal(forOther, 403, .forbidden)
            let byRegistrar = try await post(try r.client("registrar"), "/v1/applications", try Self.envelope(document, by: pki.signer(registrarBIN)))
            let info = try Self.decode(ApplicationInfo.self, byRegistrar, 201)
            #expect(info.applicant == producerA && info.signature.bin == registrarBIN.rawValue)
            let log = try Self.decode(OperationPage.self, try await producer.raw(method: "GET", path: "/v1/accounts/\(producerA)/operations", body: nil))
            #expect(log.items.last?.kind == .applicationSubmitted && log.items.last?.actor == registrarBIN)
            // Nothing was stored by the refused ones.
            let list = try Self.decode(ApplicationPage.self, try await producer.raw(method: "GET", path: "/v1/applications", body: nil))
            #expect(list.items.count == 1)
        }
    }

    @Test("blocking, cancelling, unknown and blocked buyers, refused applications", arguments: [TestBackend.sqliteMemory, .postgres])
    func blockingAndCancelling(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-20T10:00:00+05:00")!)
        try await withRegistrar(backend: backend, trade: try Self.settings(pki: pki, clock: clock)) { r in
            let codes = try await Self.producedCodes(r, pki: pki, count: 6, prefix: "QZB")
            let producer = try r.client("producerA"), wholesaler = try r.client("wholesaler"), revenue = try r.client("revenue")
            let unknown = try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("U-1", from: producerA, to: bin("94080833333"), codes: [codes[0]]), by: pki.signer(producerA)))
            _ = Self.refusal(unknown, 422, .accountUnknown)
            // The revenue body blocks the wholesaler: orders to it are refused, its own operations too, reads work.
            let blocked = try Self.decode(AccountInfo.self, try await post(revenue, "/v1/accounts/\(wholesalerW)/block", #"{"reason":"audit 7"}"#))
            #expect(blocked.blocked?.reason == "audit 7" && blocked.blocked?.by == registrarBIN)
            let toBlocked = try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("B-1", from: producerA, to: wholesalerW, codes: [codes[0]]), by: pki.signer(producerA)))
            _ = Self.refusal(toBlocked, 409, .accountBlocked)
            let own = try await post(wholesaler, "/v1/orders/\(UUID())/cancel", #"{"reason":"x"}"#)
            _ = Self.refusal(own, 403, .accountBlocked)
            let read = try await wholesaler.raw(method: "GET", path: "/v1/accounts/\(wholesalerW)", body: nil)
            #expect(try Self.decode(AccountInfo.self, read).blocked != nil)
            _ = Self.refusal(try await post(revenue, "/v1/accounts/\(wholesalerW)/block", #"{"reason":"again"}"#), 409, .invalidState)
            _ = Self.refusal(try await post(producer, "/v1/accounts/\(wholesalerW)/block", #"{"reason":"x"}"#), 403, .forbidden)
            _ = try Self.decode(AccountInfo.self, try await post(revenue, "/v1/accounts/\(wholesalerW)/unblock", #"{"reason":"audit closed"}"#))
            // Saved, then cancelled by the seller (not the buyer): the codes are free for a new order.
            let saved = try Self.decode(OrderInfo.self, try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("C-1", from: producerA, to: wholesalerW, codes: Array(codes[0..<3])), by: pki.signer(producerA))), 201)
            _ = Self.refusal(try await post(wholesaler, "/v1/orders/\(saved.id)/cancel", #"{"reason":"no"}"#), 403, .forbidden)
            let cancelled = try Self.decode(OrderInfo.self, try await post(producer, "/v1/orders/\(saved.id)/cancel", #"{"reason":"price changed"}"#))
            #expect(cancelled.status == .cancelled && cancelled.cancelReason == "price changed")
            let late = try await post(wholesaler, "/v1/orders/\(saved.id)/counter-order", try Self.envelope(Self.counter(saved), by: pki.signer(wholesalerW)))
            _ = Self.refusal(late, 409, .invalidState)
            let again = try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("C-2", from: producerA, to: wholesalerW, codes: Array(codes[0..<3])), by: pki.signer(producerA)))
            #expect(again.status == 201)
            // A refused application: grounds required, recorded.
            _ = try await post(producer, "/v1/applications", try Self.envelope(Self.application("APP-R", by: producerA, quantity: 3), by: pki.signer(producerA)))
            _ = Self.refusal(try await post(revenue, "/v1/applications/\(producerA)/APP-R/decision", #"{"decision":"refuse"}"#), 422, .invalidField)
            let refused = try Self.decode(ApplicationInfo.self, try await post(revenue, "/v1/applications/\(producerA)/APP-R/decision",
                                                                               #"{"decision":"refuse","grounds":["excise_unpaid","tax_arrears"]}"#))
            #expect(refused.status == .refused && refused.grounds == [.exciseUnpaid, .taxArrears])
            for client in [producer, wholesaler, revenue] { try await client.shutdown() }
        }
    }

    @Test("an order expires 3 working days after saving, across Nauryz, at its instant, also when the server was down")
    func expiryAcrossHolidayAndRestart() async throws {
        let pki = try SigningPKI.shared()
        // Friday 20 March 2026, 15:42 Astana. Nauryz 21–23 March (Sat–Mon); the Saturday and Sunday holidays move to
        // Tuesday 24 and Wednesday 25: the working days after it are Thursday 26, Friday 27, Monday 30.
        let clock = TestClock(Timestamp(text: "2026-03-20T15:42:00+05:00")!)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-expiry-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("registrar.sqlite").path
        var orderID = ""
        let expected = Timestamp(text: "2026-03-30T15:42:00+05:00")!
        #expect(try WorkingCalendar.kazakhstan.adding(workingDays: 3, to: clock.now.date) == expected.date)
        try await withRegistrar(store: try SQLiteRegistrarStore(path: path), trade: try Self.settings(pki: pki, clock: clock)) { r in
            let codes = try await Self.producedCodes(r, pki: pki, count: 2, prefix: "QZE")
            let saved = try Self.decode(OrderInfo.self, try await post(try r.client("producerA"), "/v1/orders", try Self.envelope(
                Self.order("E-1", from: producerA, to: wholesalerW, codes: codes), by: pki.signer(producerA))), 201)
            #expect(saved.expiresAt == expected)
            orderID = saved.id
            // A minute before: still pending, and the job leaves it.
            clock.now = Timestamp(milliseconds: expected.milliseconds - 60_000)
            #expect(try await r.server.orderExpiryService!.sweep().isEmpty)
        }
        // The server is down across the deadline; a new one on the same file expires it at its instant, not at start.
        clock.now = Timestamp(text: "2026-04-02T09:00:00+05:00")!
        try await withRegistrar(store: try SQLiteRegistrarStore(path: path), trade: try Self.settings(pki: pki, clock: clock)) { r in
            #expect(try await r.server.orderExpiryService!.sweep() == [orderID])
            let order = try Self.decode(OrderInfo.self, try await r.client("producerA").raw(method: "GET", path: "/v1/orders/\(orderID)", body: nil))
            #expect(order.status == .expired && order.statusText == "Жойылды" && order.expiredAt == expected)
            let late = try await post(try r.client("wholesaler"), "/v1/orders/\(orderID)/counter-order",
                                      try Self.envelope(Self.counter(order), by: pki.signer(wholesalerW)))
            _ = Self.refusal(late, 409, .orderExpired)
            let extract = try Self.decode(CodeExtract.self, try await r.client("producerA").raw(
                method: "GET", path: "/v1/codes/\(makeCode("QZE", 1))/extract", body: nil))
            #expect(extract.pendingOrder == nil && extract.holder == producerA)
        }
    }

    @Test("signing at the deadline is refused and expires the order in the same step", arguments: [TestBackend.sqliteMemory, .postgres])
    func signingAfterExpiry(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-27T15:42:00+05:00")!)
        try await withRegistrar(backend: backend, trade: try Self.settings(pki: pki, clock: clock)) { r in
            let codes = try await Self.producedCodes(r, pki: pki, count: 2, prefix: "QZX")
            let saved = try Self.decode(OrderInfo.self, try await post(try r.client("producerA"), "/v1/orders", try Self.envelope(
                Self.order("X-1", from: producerA, to: wholesalerW, codes: codes), by: pki.signer(producerA))), 201)
            clock.now = saved.expiresAt
            let late = try await post(try r.client("wholesaler"), "/v1/orders/\(saved.id)/counter-order",
                                      try Self.envelope(Self.counter(saved), by: pki.signer(wholesalerW)))
            _ = Self.refusal(late, 409, .orderExpired)
            let order = try Self.decode(OrderInfo.self, try await r.client("producerA").raw(method: "GET", path: "/v1/orders/\(saved.id)", body: nil))
            #expect(order.status == .expired && order.expiredAt == saved.expiresAt)
        }
    }
}

extension TradeFlowTests {
    @Test("a producer's signed App. 9/10 is compared with the registrar's figures: accepted, or the differing columns",
          arguments: [TestBackend.sqliteMemory, .postgres])
    func reportSubmission(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-12-01T10:00:00+05:00")!)
        try await withRegistrar(backend: backend, trade: try Self.settings(pki: pki, clock: clock)) { r in
            let codes = try await Self.producedCodes(r, pki: pki, count: 4, prefix: "QZR")
            let producer = try r.client("producerA")
            // Issued 2 November, activated 21 November: App. 10 for November is 0 + 4 − 4 = 0.
            let right = ReportSubmission(participant: producerA, form: .app10, month: ReportingMonth("2026-11")!, received: 4, openingBalance: 0,
                                         used: 4, closingBalance: 0)
            let accepted = try Self.decode(ReportSubmissionResult.self,
                                           try await post(producer, "/v1/reports/submissions", try Self.envelope(right, by: pki.signer(producerA))), 201)
            #expect(accepted.result == .accepted && accepted.differences.isEmpty && accepted.signature.bin == producerA.rawValue)
            let wrong = ReportSubmission(participant: producerA, form: .app9, month: ReportingMonth("2026-11")!, received: 4, activated: 3)
            let differs = try Self.decode(ReportSubmissionResult.self,
                                          try await post(producer, "/v1/reports/submissions", try Self.envelope(wrong, by: pki.signer(producerA))), 201)
            #expect(differs.result == .differs && differs.differences == [ReportDifference(column: "activated", submitted: 3, registrar: 4)])
            // App. 9 has no balances; a month not begun is refused; nothing stored for those.
            var bad = wrong
            bad.closingBalance = 0
            _ = Self.refusal(try await post(producer, "/v1/reports/submissions", try Self.envelope(bad, by: pki.signer(producerA))), 422, .invalidField)
            var future = right
            future.month = ReportingMonth("2027-01")!
            _ = Self.refusal(try await post(producer, "/v1/reports/submissions", try Self.envelope(future, by: pki.signer(producerA))), 422, .invalidField)
            let log = try Self.decode(OperationPage.self, try await producer.raw(method: "GET", path: "/v1/accounts/\(producerA)/operations", body: nil))
            #expect(log.items.filter { $0.kind == .reportSubmitted }.map(\.detail) == ["app10 2026-11: accepted", "app9 2026-11: differs"])
            #expect(codes.count == 4)
            try await producer.shutdown()
        }
    }

    @Test("an order of a packed case transfers every bottle in it; no packing or unpacking while pending or after the sale", arguments: [TestBackend.sqliteMemory, .postgres])
    func orderOfACase(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-23T10:00:00+05:00")!)
        try await withRegistrar(backend: backend, trade: try Self.settings(pki: pki, clock: clock)) { r in
            let codes = try await Self.producedCodes(r, pki: pki, count: 6, prefix: "QZC")
            let producer = try r.client("producerA")
            let sscc = try UnitCode(parsing: "(00)148700000000000019")
            let packed = try await producer.aggregate(AggregationBatch(lineId: "L1", equipmentId: "CASE-1", events: [
                AggregationEvent(eventId: UUID(), kind: .casePacked, unit: sscc, contents: Array(codes[0..<4]),
                                 at: Timestamp(text: "2026-11-21T22:11:00+05:00")!),
            ]))
            #expect(packed.results.map(\.result) == [.applied])
            let saved = try Self.decode(OrderInfo.self, try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("CASE-1", from: producerA, to: wholesalerW, codes: [codes[5]], units: [sscc.rawValue]), by: pki.signer(producerA))), 201)
            #expect(saved.codeCount == 5 && saved.units == [sscc.rawValue])
            let page = try Self.decode(OrderCodePage.self, try await producer.raw(method: "GET", path: "/v1/orders/\(saved.id)/codes", body: nil))
            #expect(page.codes == (Array(codes[0..<4]) + [codes[5]]).sorted())
            let notPacked = try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("CASE-2", from: producerA, to: wholesalerW, codes: [], units: ["(00)148700000000000026"]), by: pki.signer(producerA)))
            _ = Self.refusal(notPacked, 422, .invalidField)
            // cl. 23(3): while the order waits for the buyer, the case is not dissolved nor its bottles packed again.
            let at = Timestamp(text: "2026-11-23T11:00:00+05:00")!
            let whilePending = try await producer.aggregate(AggregationBatch(lineId: "L1", equipmentId: "CASE-1", events: [
                AggregationEvent(eventId: UUID(), kind: .caseDissolved, unit: sscc, contents: [], at: at),
                AggregationEvent(eventId: UUID(), kind: .casePacked, unit: try UnitCode(parsing: "(00)148700000000000026"), contents: [codes[5]], at: at),
            ]))
            #expect(whilePending.results.map(\.reason) == [.inPendingOrder, .inPendingOrder])
            // cl. 23(1): once the buyer signed, the bottles are no longer the producer's to unpack or pack.
            _ = try Self.decode(OrderInfo.self, try await post(try r.client("wholesaler"), "/v1/orders/\(saved.id)/counter-order",
                                                               try Self.envelope(Self.counter(saved), by: pki.signer(wholesalerW))))
            let afterSale = try await producer.aggregate(AggregationBatch(lineId: "L1", equipmentId: "CASE-1", events: [
                AggregationEvent(eventId: UUID(), kind: .caseDissolved, unit: sscc, contents: [], at: at),
                AggregationEvent(eventId: UUID(), kind: .casePacked, unit: try UnitCode(parsing: "(00)148700000000000026"), contents: [codes[5]], at: at),
            ]))
            #expect(afterSale.results.map(\.reason) == [.notHeld, .notHeld])
            let stillPacked = try Self.decode(CodeExtract.self, try await producer.raw(method: "GET", path: "/v1/codes/\(codes[0])/extract", body: nil))
            #expect(stillPacked.code.case == sscc && stillPacked.holder == wholesalerW)
            try await producer.shutdown()
        }
    }
}

extension TradeFlowTests {
    @Test("the registrar acting for an importer (its account says so) is sent to App. 8 as the importer is (cl. 20)")
    func registrarForImporter() async throws {
        try await withRegistrar { r in
            let codes = try await r.issue(1, to: importerC, prefix: "QZI", series: "CI")
            let body = #"{"batchId":"\#(UUID())","lineId":"L1","equipmentId":"CAM-1","participant":"\#(importerC)","items":[{"code":"\#(codes[0])","activatedAt":"2026-11-21T22:10:05+05:00","productCode":"DSN-1"}]}"#
            _ = Self.refusal(try await post(try r.client("registrar"), "/v1/activations", body), 403, ErrorCode(rawValue: "use_import_report"))
        }
    }
}

extension TradeFlowTests {
    @Test("no codes read out of another's case; look-ups limited to holders; the registrar acts for blocked accounts; re-sent counter-orders, cancels and reports answered as stored; sold cases kept off pallets",
          arguments: [TestBackend.sqliteMemory, .postgres])
    func reviewFixes(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-23T10:00:00+05:00")!)
        try await withRegistrar(backend: backend, trade: try Self.settings(pki: pki, clock: clock)) { r in
            let codes = try await Self.producedCodes(r, pki: pki, count: 8, prefix: "QZV")
            let producer = try r.client("producerA"), wholesaler = try r.client("wholesaler"), retailer = try r.client("retailer")
            let revenue = try r.client("revenue"), registrar = try r.client("registrar")
            let at = Timestamp(text: "2026-11-21T22:11:00+05:00")!
            let caseA = try UnitCode(parsing: "(00)148700000000000019"), caseB = try UnitCode(parsing: "(00)148700000000000026")
            let packed = try await producer.aggregate(AggregationBatch(lineId: "L1", equipmentId: "CASE-1", events: [
                AggregationEvent(eventId: UUID(), kind: .casePacked, unit: caseA, contents: Array(codes[0..<3]), at: at),
                AggregationEvent(eventId: UUID(), kind: .casePacked, unit: caseB, contents: Array(codes[3..<6]), at: at),
            ]))
            #expect(packed.results.map(\.result) == [.applied, .applied])
            // A retailer naming the producer's case in its own order learns nothing of its codes.
            let probe = try await post(retailer, "/v1/orders", try Self.envelope(
                Self.order("PROBE", from: retailerR, to: wholesalerW, codes: [], units: [caseA.rawValue]), by: pki.signer(retailerR)))
            let refusal = Self.refusal(probe, 422, .invalidField)
            #expect(refusal?.details?["codes"] == nil && !(refusal?.message.contains(codes[0]) ?? true))
            // …nor may it look up a code it never held.
            _ = Self.refusal(try await retailer.raw(method: "GET", path: "/v1/codes/\(codes[0])", body: nil), 403, .notOwner)
            // The producer sells case A; the wholesaler may now look its bottles up.
            let saved = try Self.decode(OrderInfo.self, try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("V-1", from: producerA, to: wholesalerW, codes: [], units: [caseA.rawValue]), by: pki.signer(producerA))), 201)
            let counter = try Self.envelope(Self.counter(saved), by: pki.signer(wholesalerW))
            let signed = try Self.decode(OrderInfo.self, try await post(wholesaler, "/v1/orders/\(saved.id)/counter-order", counter))
            // The same counter-order again (its answer lost): the signed order, 200.
            let again = try Self.decode(OrderInfo.self, try await post(wholesaler, "/v1/orders/\(saved.id)/counter-order", counter))
            #expect(again == signed && again.status == .signed)
            #expect(try await wholesaler.raw(method: "GET", path: "/v1/codes/\(codes[0])", body: nil).status == 200)
            // A sold case goes on no pallet of the seller's.
            let pallet = try await producer.aggregate(AggregationBatch(lineId: "L1", equipmentId: "PAL-1", events: [
                AggregationEvent(eventId: UUID(), kind: .palletBuilt, unit: try UnitCode(parsing: "(00)148700000000000033"),
                                 contents: [caseA.rawValue, caseB.rawValue], at: at),
            ]))
            #expect(pallet.results.map(\.reason) == [.notHeld])
            // Cancelling twice answers the cancelled order both times.
            let second = try Self.decode(OrderInfo.self, try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("V-2", from: producerA, to: wholesalerW, codes: [codes[6]]), by: pki.signer(producerA))), 201)
            let cancelled = try Self.decode(OrderInfo.self, try await post(producer, "/v1/orders/\(second.id)/cancel", #"{"reason":"price"}"#))
            #expect(try Self.decode(OrderInfo.self, try await post(producer, "/v1/orders/\(second.id)/cancel", #"{"reason":"price"}"#)) == cancelled)
            // The registrar acts for a blocked participant (cl. 24(2)); the participant itself may not.
            _ = try Self.decode(AccountInfo.self, try await post(revenue, "/v1/accounts/\(producerA)/block", #"{"reason":"audit"}"#))
            let own = try await post(producer, "/v1/orders", try Self.envelope(
                Self.order("V-3", from: producerA, to: wholesalerW, codes: [codes[7]]), by: pki.signer(producerA)))
            _ = Self.refusal(own, 403, .accountBlocked)
            let forIt = try await post(registrar, "/v1/orders", try Self.envelope(
                Self.order("V-3", from: producerA, to: wholesalerW, codes: [codes[7]]), by: pki.signer(registrarBIN)))
            #expect(try Self.decode(OrderInfo.self, forIt, 201).actor == registrarBIN)
            // A report re-sent with the same document: the stored verdict, 200, one submission.
            let report = try Self.envelope(ReportSubmission(participant: producerA, form: .app9, month: ReportingMonth("2026-11")!, received: 8,
                                                            activated: 8), by: pki.signer(registrarBIN))
            let first = try Self.decode(ReportSubmissionResult.self, try await post(registrar, "/v1/reports/submissions", report), 201)
            clock.now = Timestamp(milliseconds: clock.now.milliseconds + 60_000)
            let replay = try Self.decode(ReportSubmissionResult.self, try await post(registrar, "/v1/reports/submissions", report), 200)
            #expect(replay.id == first.id && replay.result == first.result)
            for client in [producer, wholesaler, retailer, revenue, registrar] { try await client.shutdown() }
        }
    }
}

/// A clock a test sets.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Timestamp
    init(_ start: Timestamp) { value = start }
    var now: Timestamp {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

extension SigningPKI {
    /// The signing certificate of a participant (its BIN in `OU=BIN…`).
    func signer(_ participant: TaxpayerID) throws -> Identity { try signer(bin: participant.rawValue) }
}
