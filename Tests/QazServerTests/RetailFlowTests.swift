import Foundation
import LineCore
import Prometheus
import QazAPI
import QazClient
@testable import QazServer
import SignaturesTesting
import Testing

/// The retail half over HTTP on SQLite and PostgreSQL: the chain line → wholesaler → shop → till; receipts from a fiscal
/// data operator in each register's order (waiting, gaps, autonomous mode), every per-line answer, idempotency and
/// refusals; redemption through the Service and at a counter-order; consumers' scans and the alerts they raise.
@Suite("Registrar retail: FDO receipts, redemption, scan-and-verify, counterfeit alerts")
struct RetailFlowTests {
    typealias T = TradeFlowTests

    static let register = "010101234567"

    /// Astana local time of a UTC instant, as a receipt carries it.
    static func astana(_ at: Timestamp) -> String {
        String(AstanaTime.iso8601(at.date).prefix(19))
    }

    static func receipt(_ number: Int, at: Timestamp, seller: TaxpayerID = retailerR, operation: ReceiptOperation = .sale, register: String = register,
                        autonomous: Bool = false, sign: String? = nil, lines: [ReceiptLine]) -> FiscalReceipt {
        let sign = sign ?? "FS\(register.suffix(4))\(number)"
        return FiscalReceipt(registrationNumber: register, factoryNumber: "ZN-\(register.suffix(4))", seller: seller, number: number,
                             fiscalSign: autonomous ? nil : sign, autonomousSign: autonomous ? sign : nil, autonomous: autonomous,
                             dateTime: astana(at), operation: operation, lines: lines)
    }

    static func line(_ codes: [String], quantity: Int? = nil) -> ReceiptLine {
        ReceiptLine(catalogueCode: "4870001234567", name: "Vodka Test 0.5", quantity: quantity ?? codes.count, markingCodes: codes)
    }

    static func send(_ fdo: QazAPIClient, _ receipts: [FiscalReceipt], status: Int = 200) async throws -> [ReceiptAnswer] {
        let body = String(decoding: try WireCoding.encoder().encode(ReceiptBatch(receipts: receipts)), as: UTF8.self)
        return try T.decode(ReceiptBatchAnswer.self, try await post(fdo, "/v1/fdo/receipts", body), status).receipts
    }

    static func outcomes(_ answer: ReceiptAnswer) -> [RedemptionOutcome] { (answer.lines ?? []).flatMap { $0.codes.map(\.outcome) } }

    /// Codes produced by producer A, sold to the wholesaler, and `shop` of them on to the retailer (both signed).
    static func shopStock(_ r: Registrar, pki: T.SigningPKIType, count: Int, shop: Int, prefix: String) async throws -> [String] {
        let codes = try await T.producedCodes(r, pki: pki, count: count, prefix: prefix)
        let producer = try r.client("producerA"), wholesaler = try r.client("wholesaler"), retailer = try r.client("retailer")
        let first = try T.decode(OrderInfo.self, try await post(producer, "/v1/orders", try T.envelope(
            T.order("\(prefix)-P", from: producerA, to: wholesalerW, codes: codes), by: pki.signer(producerA))), 201)
        _ = try T.decode(OrderInfo.self, try await post(wholesaler, "/v1/orders/\(first.id)/counter-order",
                                                         try T.envelope(T.counter(first), by: pki.signer(wholesalerW))))
        let second = try T.decode(OrderInfo.self, try await post(wholesaler, "/v1/orders", try T.envelope(
            T.order("\(prefix)-W", from: wholesalerW, to: retailerR, codes: Array(codes.prefix(shop))), by: pki.signer(wholesalerW))), 201)
        let signed = try T.decode(OrderInfo.self, try await post(retailer, "/v1/orders/\(second.id)/counter-order",
                                                                  try T.envelope(T.counter(second), by: pki.signer(retailerR))))
        #expect(signed.status == .signed)
        for client in [producer, wholesaler, retailer] { try await client.shutdown() }
        return codes
    }

    @Test("line → wholesaler → shop → till: every per-line answer, idempotency, order, returns, extracts", arguments: [TestBackend.sqliteMemory, .postgres])
    func tillChain(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-27T10:00:00+05:00")!)
        try await withRegistrar(backend: backend, trade: try T.settings(pki: pki, clock: clock), retail: RetailSettings(clock: { clock.now })) { r in
            let codes = try await Self.shopStock(r, pki: pki, count: 12, shop: 8, prefix: "RTL")
            let fdo = try r.client("fdo"), retailer = try r.client("retailer")
            let t = clock.now
            // Receipt 1: three bottles, one scanned as the QR's whole link.
            let first = Self.receipt(1, at: t, lines: [Self.line([codes[0], "https://qr.example.kz/c/\(codes[1])"]), Self.line([codes[2]])])
            let applied = try await Self.send(fdo, [first])
            #expect(applied[0].state == .applied && Self.outcomes(applied[0]) == [.redeemed, .redeemed, .redeemed])
            #expect(applied[0].lines?[0].codes[1].code == codes[1])
            // Sent again (an answer lost on the way): the same answer; other content under the number is refused.
            let again = try await Self.send(fdo, [first])
            #expect(again == applied)
            var altered = first
            altered.lines = [Self.line([codes[3]])]
            let conflict = try await Self.send(fdo, [altered])
            #expect(conflict[0].state == .rejected && conflict[0].error?.code == .idempotencyConflict)
            // Receipt 3 before 2: it waits for 2; 2 (a return of one bottle and a sale) applies, then 3 in order.
            let third = Self.receipt(3, at: t.adding(seconds: 120), lines: [Self.line([codes[0]])])  // codes[0] returned by 2, sold again by 3
            let waiting = try await Self.send(fdo, [third])
            #expect(waiting[0].state == .waiting && waiting[0].waitingFor == 2 && waiting[0].lines == nil)
            let second = Self.receipt(2, at: t.adding(seconds: 60), operation: .saleReturn, lines: [Self.line([codes[0]])])
            let both = try await Self.send(fdo, [second])
            #expect(Self.outcomes(both[0]) == [.restored])
            let later = try T.decode(ReceiptAnswer.self, try await fdo.raw(method: "GET", path: "/v1/fdo/receipts/\(Self.register)/3", body: nil))
            #expect(later.state == .applied && Self.outcomes(later) == [.redeemed])
            // Every answer a line can get, in one receipt; nothing of an invalid line applies.
            let issuedOnly = try await r.issue(1, to: producerA, prefix: "NACT", series: "AC", number: "WB-NACT")
            let fourth = Self.receipt(4, at: t.adding(seconds: 180), lines: [
                Self.line([codes[1]]),  // sold in receipt 1
                Self.line([codes[10]]),  // the wholesaler's, not the shop's
                Self.line([issuedOnly[0]]),  // never activated
                Self.line([makeCode("NONE", 1)]),  // never issued
                Self.line(["<script>alert(1)</script>"]),  // not a marking code
                Self.line([codes[4], codes[4]]),  // the same bottle twice
                Self.line([codes[5]], quantity: -1),  // a negative quantity
                Self.line([codes[6]], quantity: 2),  // one code for two units
                Self.line([codes[7]]),
            ])
            let mixed = try await Self.send(fdo, [fourth])[0]
            #expect(mixed.state == .applied)
            #expect(Self.outcomes(mixed) == [.alreadyRedeemed, .notSellers, .notActivated, .unknown, .malformed, .redeemed, .repeated,
                                             .lineInvalid, .lineInvalid, .redeemed])
            #expect(mixed.lines?[6].error?.contains("quantity -1") == true && mixed.lines?[7].error?.contains("quantity 2 but 1") == true)
            // A fiscal sign of another receipt; a return of a bottle never sold.
            let reused = try await Self.send(fdo, [Self.receipt(5, at: t, sign: first.fiscalSign, lines: [Self.line([codes[5]])])])
            #expect(reused[0].state == .rejected && reused[0].error?.code == .fiscalSignReused && reused[0].error?.details?["receipt"] == "1")
            let neverSold = try await Self.send(fdo, [Self.receipt(5, at: t, operation: .saleReturn, lines: [Self.line([codes[5]])])])
            #expect(Self.outcomes(neverSold[0]) == [.notSold])
            // The code's status and history; the shop's extract; the redeemed bottle cannot be sold on.
            let info = try await retailer.code(codes[2])
            #expect(info.status == .redeemed && info.redeemedBy == retailerR)
            let extract = try T.decode(CodeExtract.self, try await retailer.raw(method: "GET", path: "/v1/codes/\(codes[2])/extract", body: nil))
            #expect(extract.holdings.first { $0.participant == retailerR }?.status == .redeemed)
            #expect(extract.operations.map(\.kind).suffix(2) == [.received, .redeemed])
            #expect(extract.operations.last?.reference == "\(Self.register)/1")
            let returned = try T.decode(CodeExtract.self, try await retailer.raw(method: "GET", path: "/v1/codes/\(codes[0])/extract", body: nil))
            #expect(returned.operations.map(\.kind).suffix(3) == [.redeemed, .returned, .redeemed])
            let account = try T.decode(AccountExtract.self, try await retailer.raw(method: "GET", path: "/v1/accounts/\(retailerR)/extract", body: nil))
            #expect(account.codes.redeemed == 5 && account.codes.active == 3)
            let resale = try await post(retailer, "/v1/orders", try T.envelope(
                T.order("R-RESELL", from: retailerR, to: wholesalerW, codes: [codes[2]]), by: pki.signer(retailerR)))
            #expect(T.refusal(resale, 422, .codesNotActive)?.message.contains("redeemed") == true)
            // The producer's pool lists redeemed codes under redeemed, not activated.
            let revenue = try r.client("revenue")
            let redeemedPool = try await revenue.pool(bin: producerA, status: .redeemed).items.map(\.code)
            let activatedPool = try await revenue.pool(bin: producerA, status: .activated).items.map(\.code)
            #expect(redeemedPool.contains(codes[2]) && !activatedPool.contains(codes[2]) && activatedPool.contains(codes[3]))
            try await revenue.shutdown()
            // The register as the registrar sees it.
            let state = try T.decode(CashRegisterState.self, try await fdo.raw(method: "GET", path: "/v1/fdo/registers/\(Self.register)", body: nil))
            #expect(state.lastApplied == 5 && state.waiting.isEmpty && state.seller == retailerR && state.operatorID == fdoBIN)
            // Metrics by outcome.
            var buffer = [UInt8]()
            r.server.registry.emit(into: &buffer)
            let metrics = String(decoding: buffer, as: UTF8.self)
            #expect(metrics.contains(#"qaz_redemption_codes_total{outcome="malformed"} 1"#))
            #expect(metrics.contains(#"qaz_receipts_total{state="waiting"} 1"#))
            for client in [fdo, retailer] { try await client.shutdown() }
        }
    }

    @Test("a register's gap waits, then is reported; a late receipt fills it; autonomous receipts; older than 72 h flagged",
          arguments: [TestBackend.sqliteMemory, .postgres])
    func gapsAndAutonomy(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-27T10:00:00+05:00")!)
        let retail = RetailSettings(gapWait: .seconds(15 * 60), clock: { clock.now })
        try await withRegistrar(backend: backend, trade: try T.settings(pki: pki, clock: clock), retail: retail) { r in
            let codes = try await Self.shopStock(r, pki: pki, count: 8, shop: 8, prefix: "GAP")
            let fdo = try r.client("fdo")
            let t = clock.now
            _ = try await Self.send(fdo, [Self.receipt(104, at: t, lines: [Self.line([codes[0]])])])
            // 106 arrives, 105 never does (yet): 106 and 107 wait.
            let held = try await Self.send(fdo, [Self.receipt(107, at: t.adding(seconds: 20), lines: [Self.line([codes[2]])]),
                                                 Self.receipt(106, at: t.adding(seconds: 10), lines: [Self.line([codes[1]])])])
            #expect(held.map(\.state) == [.waiting, .waiting] && held.map(\.waitingFor) == [105, 105])
            let gaps = try #require(r.server.receiptGapService)
            #expect(try await gaps.sweep().isEmpty)  // not yet waited 15 minutes
            clock.now = t.adding(seconds: 16 * 60)
            let reported = try await gaps.sweep()
            #expect(reported.map { [$0.from, $0.to] } == [[105, 105]])
            let after = try T.decode(ReceiptAnswer.self, try await fdo.raw(method: "GET", path: "/v1/fdo/receipts/\(Self.register)/107", body: nil))
            #expect(after.state == .applied && after.flags == [.afterGap] && Self.outcomes(after) == [.redeemed])
            // 105 arrives after all: applied at once, flagged; the gap lists it as filled.
            let late = try await Self.send(fdo, [Self.receipt(105, at: t.adding(seconds: 5), lines: [Self.line([codes[3]])])])
            #expect(late[0].state == .applied && late[0].flags == [.filledGap])
            let listed = try T.decode(ReceiptGapPage.self, try await fdo.raw(method: "GET", path: "/v1/fdo/gaps?registration=\(Self.register)", body: nil))
            #expect(listed.items.map(\.filled) == [[105]])
            // A second register, autonomous for a while: its receipts come in order with autonomous signs; one older than 72 h.
            let offline = "020202345678"
            let old = Self.receipt(1, at: clock.now.adding(seconds: -80 * 3600), register: offline, autonomous: true, lines: [Self.line([codes[4]])])
            let recent = Self.receipt(2, at: clock.now.adding(seconds: -3600), register: offline, autonomous: true, lines: [Self.line([codes[5]])])
            let resent = try await Self.send(fdo, [old, recent])
            #expect(resent.map(\.state) == [.applied, .applied])
            #expect(resent[0].flags == [.autonomous, .beyondAutonomy] && resent[1].flags == [.autonomous])
            // An autonomous receipt without its sign, an online one with an autonomous sign: refused naming the field.
            var unsigned = Self.receipt(3, at: clock.now, register: offline, autonomous: true, lines: [Self.line([codes[6]])])
            unsigned.autonomousSign = nil
            var mixed = Self.receipt(3, at: clock.now, register: offline, lines: [Self.line([codes[6]])])
            mixed.autonomousSign = "AFS-1"
            let refused = try await Self.send(fdo, [unsigned, mixed])
            #expect(refused.map { $0.error?.details?["field"] } == ["receipts[0].autonomousSign", "receipts[1].autonomousSign"])
            try await fdo.shutdown()
        }
    }

    @Test("bad receipts: each answered alone and named; bad batches refused whole; only an FDO sends receipts")
    func badReceipts() async throws {
        try await withRegistrar(retail: RetailSettings()) { r in
            let fdo = try r.client("fdo")
            let good = Self.receipt(1, at: .now, lines: [Self.line([makeCode("ZZZ", 1)])])
            var json = try JSONSerialization.jsonObject(with: try WireCoding.encoder().encode(good)) as! [String: Any]
            func variant(_ key: String, _ value: Any) throws -> Any {
                var copy = json
                copy[key] = value
                return copy
            }
            json["number"] = 2
            let batch: [Any] = [
                try variant("seller", "123456789012"), try variant("dateTime", "2026-13-01T10:00:00"), try variant("registrationNumber", "12"),
                try variant("fiscalSign", NSNull()), try variant("surprise", 1), try variant("lines", []), try variant("number", 0), "not an object",
                try variant("operation", "refund"),
            ]
            let body = String(decoding: try JSONSerialization.data(withJSONObject: ["receipts": batch]), as: UTF8.self)
            let answers = try T.decode(ReceiptBatchAnswer.self, try await post(fdo, "/v1/fdo/receipts", body)).receipts
            #expect(answers.allSatisfy { $0.state == .rejected })
            #expect(answers.map { $0.error?.details?["field"] ?? $0.error?.code.rawValue } == [
                "receipts[0].seller", "receipts[1].dateTime", "receipts[2].registrationNumber", "receipts[3].fiscalSign", "receipts[4].surprise",
                "receipts[5].lines", "receipts[6].number", "receipts[7]", "receipts[8].operation",
            ])
            for (body, status, code) in [("{", 400, ErrorCode.invalidJSON), (#"{"receipts": {}}"#, 422, .invalidField), ("{}", 422, .missingField),
                                         (#"{"receipts": []}"#, 422, .invalidField), (#"{"receipts": [], "extra": 1}"#, 422, .invalidField)] {
                _ = T.refusal(try await post(fdo, "/v1/fdo/receipts", body), status, code)
            }
            let tooMany = String(decoding: try WireCoding.encoder().encode(ReceiptBatch(receipts: Array(repeating: good, count: 501))), as: UTF8.self)
            _ = T.refusal(try await post(fdo, "/v1/fdo/receipts", tooMany), 413, .batchTooLarge)
            let producer = try r.client("producerA")
            _ = T.refusal(try await post(producer, "/v1/fdo/receipts", #"{"receipts": []}"#), 403, .forbidden)
            _ = T.refusal(try await producer.raw(method: "GET", path: "/v1/fdo/gaps", body: nil), 403, .forbidden)
            for client in [fdo, producer] { try await client.shutdown() }
        }
    }
}

extension RetailFlowTests {
    @Test("redemption through the Service (signed, idempotent) and at a counter-order under the shop's consent",
          arguments: [TestBackend.sqliteMemory, .postgres])
    func serviceAndConsent(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-27T10:00:00+05:00")!)
        try await withRegistrar(backend: backend, trade: try T.settings(pki: pki, clock: clock), retail: RetailSettings(clock: { clock.now })) { r in
            let codes = try await Self.shopStock(r, pki: pki, count: 10, shop: 4, prefix: "SRV")
            let retailer = try r.client("retailer"), wholesaler = try r.client("wholesaler")
            // cl. 22, first way: the shop scans codes in its cabinet.
            let request = RedemptionRequest(seller: retailerR, number: "CAB-1", codes: [codes[0], "https://qr.example.kz/c/\(codes[1])", codes[9], "nonsense"])
            let first = try T.decode(RedemptionAnswer.self, try await post(retailer, "/v1/redemptions", try T.envelope(request, by: pki.signer(retailerR))), 201)
            #expect(first.codes.map(\.outcome) == [.redeemed, .redeemed, .notSellers, .malformed])
            let replay = try T.decode(RedemptionAnswer.self, try await post(retailer, "/v1/redemptions", try T.envelope(request, by: pki.signer(retailerR))))
            #expect(replay == first)
            var other = request
            other.codes = [codes[2]]
            _ = T.refusal(try await post(retailer, "/v1/redemptions", try T.envelope(other, by: pki.signer(retailerR))), 409, .idempotencyConflict)
            // Signed by someone else, or for someone else: refused before anything changes.
            _ = T.refusal(try await post(retailer, "/v1/redemptions", try T.envelope(other, by: pki.signer(wholesalerW))), 403, .signerMismatch)
            var foreign = other
            foreign.seller = wholesalerW
            foreign.number = "CAB-X"
            _ = T.refusal(try await post(retailer, "/v1/redemptions", try T.envelope(foreign, by: pki.signer(retailerR))), 403, .forbidden)
            #expect(try await retailer.code(codes[2]).status == .activated)
            let stored = try T.decode(RedemptionAnswer.self, try await retailer.raw(method: "GET", path: "/v1/redemptions/\(retailerR)/CAB-1", body: nil))
            #expect(stored == first)
            // cl. 22, second way: with the shop's consent, what it receives is redeemed when it signs the counter-order.
            let consent = RedemptionConsent(participant: retailerR, redeemOnCounterOrder: true, date: CalendarDate("2026-11-27")!)
            let account = try T.decode(AccountInfo.self, try await post(retailer, "/v1/accounts/\(retailerR)/redemption-consent",
                                                                         try T.envelope(consent, by: pki.signer(retailerR))))
            #expect(account.redeemOnCounterOrder == true)
            let order = try T.decode(OrderInfo.self, try await post(wholesaler, "/v1/orders", try T.envelope(
                T.order("SRV-W2", from: wholesalerW, to: retailerR, codes: [codes[5], codes[6]]), by: pki.signer(wholesalerW))), 201)
            _ = try T.decode(OrderInfo.self, try await post(retailer, "/v1/orders/\(order.id)/counter-order",
                                                             try T.envelope(T.counter(order), by: pki.signer(retailerR))))
            let redeemed = try await retailer.code(codes[5])
            #expect(redeemed.status == .redeemed && redeemed.redeemedBy == retailerR)
            let history = try T.decode(CodeExtract.self, try await retailer.raw(method: "GET", path: "/v1/codes/\(codes[5])/extract", body: nil))
            #expect(history.operations.map(\.kind).suffix(3) == [.transferred, .received, .redeemed])
            let log = try T.decode(OperationPage.self, try await retailer.raw(method: "GET", path: "/v1/accounts/\(retailerR)/operations", body: nil))
            #expect(log.items.map(\.kind).contains(.redemptionConsent))
            #expect(log.items.filter { $0.kind == .redeemed }.map(\.count) == [2, 2])
            for client in [retailer, wholesaler] { try await client.shutdown() }
        }
    }

    @Test("scan-and-verify: what a buyer sees, the page, locations, alerts with evidence, the report and the stream; limits and privacy",
          arguments: [TestBackend.sqliteMemory, .postgres])
    func verifyAndAlerts(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-27T10:00:00+05:00")!)
        let retail = RetailSettings(verifyRate: 0.001, verifyBurst: 40, clock: { clock.now })
        try await withRegistrar(over: .socket, backend: backend, trade: try T.settings(pki: pki, clock: clock), retail: retail) { r in
            let codes = try await Self.shopStock(r, pki: pki, count: 4, shop: 4, prefix: "VER")
            let public_ = try r.client("nobody"), revenue = try r.client("revenue"), fdo = try r.client("fdo")
            do {
                func verify(_ code: String, _ location: ScanLocation? = nil) async throws -> VerifyAnswer {
                    let body = String(decoding: try WireCoding.encoder().encode(VerifyRequest(code: code, location: location)), as: UTF8.self)
                    return try T.decode(VerifyAnswer.self, try await post(public_, "/v1/verify", body))
                }
                // A genuine bottle: product and producer, never a holder, a price or an order.
                let almaty = ScanLocation(latitude: 43.2389, longitude: 76.8897, accuracy: 30)
                let genuine = try await verify("https://qr.example.kz/c/\(codes[0])", almaty)
                #expect(genuine.verdict == .genuine && genuine.status == "Белсендірілген" && genuine.producer == producerA && !genuine.redeemed)
                #expect(genuine.product?.name == "Vodka Test" || genuine.product != nil)
                let raw = try await post(public_, "/v1/verify", #"{"code":"\#(codes[0])"}"#)
                let text = String(decoding: raw.body, as: UTF8.self)
                for secret in [retailerR.rawValue, wholesalerW.rawValue, "price", "holder", "order"] { #expect(!text.contains(secret), "\(secret) in \(text)") }
                // The same code 10 minutes later in Astana, 970 km away: impossible travel, with both scans in evidence.
                clock.now = clock.now.adding(seconds: 600)
                _ = try await verify(codes[0], ScanLocation(latitude: 51.1694, longitude: 71.4491, accuracy: 20))
                // A code never issued; a sold bottle scanned a day and a half later.
                let unknown = try await verify(makeCode("FAKE", 9))
                #expect(unknown.verdict == .unknown && unknown.product == nil && unknown.producer == nil)
                _ = try await Self.send(fdo, [Self.receipt(1, at: clock.now, lines: [Self.line([codes[1]])])])
                #expect(try await verify(codes[1]).verdict == .redeemed)  // the buyer checks the bottle just bought: no alert
                clock.now = clock.now.adding(seconds: 36 * 3600)
                let stale = try await verify(codes[1], ScanLocation(latitude: 43.30, longitude: 68.25))
                #expect(stale.verdict == .redeemed && stale.redeemed && stale.redeemedOn != nil)
                // The page at the QR link's path: a scan without a location, then the location the buyer chose to share.
                let page = try await public_.raw(method: "GET", path: "/c/\(codes[2])", body: nil, headers: [("Accept-Language", "ru-RU,ru;q=0.9")])
                #expect(page.status == 200 && page.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
                let html = String(decoding: page.body, as: UTF8.self)
                let scanID = try #require(html.range(of: #"data-scan="([0-9a-f-]{36})""#, options: .regularExpression).map { String(html[$0].dropFirst(11).dropLast(1)) })
                let located = try await post(public_, "/v1/verify/scans/\(scanID)/location", #"{"latitude": 42.3417, "longitude": 69.5901, "accuracy": 15}"#)
                #expect(located.status == 204)
                _ = T.refusal(try await post(public_, "/v1/verify/scans/\(scanID)/location", #"{"latitude": 42.3, "longitude": 69.5}"#), 409, .invalidState)
                _ = T.refusal(try await post(public_, "/v1/verify/scans/\(UUID().uuidString)/location", #"{"latitude": 42.3, "longitude": 69.5}"#), 404, .notFound)
                // Bad input: a location off the earth, a malformed code, unknown fields.
                #expect(T.refusal(try await post(public_, "/v1/verify", #"{"code":"\#(codes[0])","location":{"latitude":91,"longitude":0}}"#), 422, .invalidField)?
                    .details?["field"] == "location.latitude")
                _ = T.refusal(try await post(public_, "/v1/verify", #"{"code":"<b>x</b>"}"#), 422, .invalidField)
                _ = T.refusal(try await post(public_, "/v1/verify", #"{"code":"\#(codes[0])","ip":"1.2.3.4"}"#), 422, .invalidField)
                let bad = try await public_.raw(method: "GET", path: "/c/not-a-code", body: nil)
                #expect(bad.status == 422 && String(decoding: bad.body, as: UTF8.self).contains("<html"))
                // The alerts, with their evidence, for the revenue body only.
                let alerts = try T.decode(AlertPage.self, try await revenue.raw(method: "GET", path: "/v1/analytics/alerts", body: nil))
                #expect(Set(alerts.items.map(\.kind)) == [.impossibleTravel, .unknownScanned, .redeemedScanned])
                let travel = try #require(alerts.items.first { $0.kind == .impossibleTravel })
                #expect(travel.evidence.scans.count == 2 && (travel.evidence.distanceKm ?? 0) > 900 && travel.code == codes[0] && travel.producer == producerA)
                #expect(alerts.items.first { $0.kind == .redeemedScanned }?.evidence.redeemedAt != nil)
                let shop = try r.client("retailer")
                _ = T.refusal(try await shop.raw(method: "GET", path: "/v1/analytics/alerts", body: nil), 403, .forbidden)
                try await shop.shutdown()
                let onlyTravel = try T.decode(AlertPage.self, try await revenue.raw(method: "GET", path: "/v1/analytics/alerts?kind=impossibleTravel", body: nil))
                #expect(onlyTravel.items.count == 1)
                // The report by region.
                let report = try T.decode(ScanReport.self, try await revenue.raw(
                    method: "GET", path: "/v1/analytics/report?from=2026-11-27T00:00:00%2B05:00&to=2026-12-01T00:00:00%2B05:00", body: nil))
                let regions = Dictionary(uniqueKeysWithValues: report.regions.map { ($0.region, $0) })
                #expect(regions["Almaty (city)"]?.scans == 1 && regions["Astana (city)"]?.alerts["impossibleTravel"] == 1)
                #expect(regions["Shymkent (city)"]?.scans == 1 && report.totalAlerts == 3)
                // The stream replays from an id and carries new alerts as `alert` events.
                let stream = try SSEConnection(port: r.port, path: "/v1/analytics/alerts/stream?after=0", token: r.tokens["revenue"])
                #expect(try await stream.readHead() == 200)
                let events = try await stream.events(3, timeout: .seconds(10))
                #expect(events.map(\.name) == ["alert", "alert", "alert"] && events.map(\.id) == alerts.items.map { String($0.id) }.reversed())
                stream.close()
                // Privacy: a stored scan has no address, device or person.
                let scans = try await revenue.raw(method: "GET", path: "/v1/analytics/scans?code=\(codes[0])", body: nil)
                let stored = String(decoding: scans.body, as: UTF8.self)
                #expect(scans.status == 200 && !stored.contains("127.0.0.1") && !stored.lowercased().contains("agent"))
                // A flood from one client: 429 with Retry-After, the others unaffected.
                var limited: RawResponse?
                for _ in 0..<50 {
                    let answer = try await post(public_, "/v1/verify", #"{"code":"\#(codes[3])"}"#)
                    if answer.status == 429 { limited = answer; break }
                }
                let refusal = try #require(limited)
                #expect(refusal.header("Retry-After") != nil && errorBody(refusal)?.code == .rateLimited)
            } catch {
                for client in [public_, revenue, fdo] { try? await client.shutdown() }
                throw error
            }
            for client in [public_, revenue, fdo] { try await client.shutdown() }
        }
    }
}

extension RetailFlowTests {
    @Test("a new register's receipts out of order in one batch apply in order; a code in an expired, unswept order sells; late receipts credit their own FDO",
          arguments: [TestBackend.sqliteMemory, .postgres])
    func batchOrderAndExpiredOrders(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-27T10:00:00+05:00")!)
        try await withRegistrar(backend: backend, trade: try T.settings(pki: pki, clock: clock), retail: RetailSettings(clock: { clock.now })) { r in
            let codes = try await Self.shopStock(r, pki: pki, count: 6, shop: 6, prefix: "ORD")
            let fdo = try r.client("fdo"), retailer = try r.client("retailer")
            let t = clock.now
            let batch = [3, 1, 2].map { Self.receipt($0, at: t.adding(seconds: Int64($0)), lines: [Self.line([codes[$0]])]) }
            let answers = try await Self.send(fdo, batch)
            #expect(answers.map(\.number) == [3, 1, 2] && answers.allSatisfy { $0.state == .applied && $0.flags.isEmpty }, "\(answers)")
            // The shop offers a bottle to the wholesaler and the order lapses unsigned (Friday → Wednesday); the expiry job
            // has not run yet, but the bottle is the shop's to sell.
            _ = try T.decode(OrderInfo.self, try await post(retailer, "/v1/orders", try T.envelope(
                T.order("ORD-BACK", from: retailerR, to: wholesalerW, codes: [codes[4]]), by: pki.signer(retailerR))), 201)
            let pending = try await Self.send(fdo, [Self.receipt(4, at: t.adding(seconds: 60), lines: [Self.line([codes[4]])])])
            #expect(Self.outcomes(pending[0]) == [.inPendingOrder])
            clock.now = Timestamp(text: "2026-12-03T10:00:00+05:00")!
            let lapsed = try await Self.send(fdo, [Self.receipt(5, at: clock.now, lines: [Self.line([codes[4]])])])
            #expect(Self.outcomes(lapsed[0]) == [.redeemed])
            // Receipts of different registers in one batch keep the order sent: a bottle returned at one register and sold
            // again at another (whose number sorts first) is restored, then redeemed.
            let other = "030303456789"
            _ = try await Self.send(fdo, [Self.receipt(1, at: clock.now, register: other, lines: [Self.line([codes[5]])])])
            let crossed = try await Self.send(fdo, [
                Self.receipt(2, at: clock.now.adding(seconds: 60), operation: .saleReturn, register: other, lines: [Self.line([codes[5]])]),
                Self.receipt(6, at: clock.now.adding(seconds: 120), lines: [Self.line([codes[5]])]),
            ])
            #expect(crossed.map(Self.outcomes) == [[.restored], [.redeemed]])
            try await retailer.shutdown()
            try await fdo.shutdown()
        }
    }
}

extension RetailFlowTests {
    @Test("review fixes: FDOs kept apart, implausible numbers refused, receipts identified by meaning, a sale before the first receipt, old dates, page reloads, travel judged both ways",
          arguments: [TestBackend.sqliteMemory, .postgres])
    func reviewFixes(backend: TestBackend) async throws {
        let pki = try SigningPKI.shared()
        let clock = TestClock(Timestamp(text: "2026-11-27T10:00:00+05:00")!)
        try await withRegistrar(over: .socket, backend: backend, trade: try T.settings(pki: pki, clock: clock), retail: RetailSettings(clock: { clock.now })) { r in
            let codes = try await Self.shopStock(r, pki: pki, count: 8, shop: 8, prefix: "REV")
            let fdo = try r.client("fdo"), retailer = try r.client("retailer"), public_ = try r.client("nobody"), revenue = try r.client("revenue")
            let otherToken = try await TokenService(store: r.store).issue(participant: bin("93030300005"), role: .fiscalDataOperator).token
            let other = try r.client(otherToken)
            let t = clock.now
            // The register's first receipt is 5; 4 arrives later: applied at once, flagged as before the first receipt seen.
            _ = try await Self.send(fdo, [Self.receipt(5, at: t, lines: [Self.line([codes[0]])])])
            let earlier = try await Self.send(fdo, [Self.receipt(4, at: t.adding(seconds: -60), lines: [Self.line([codes[1]])])])
            #expect(earlier[0].state == .applied && earlier[0].flags == [.beforeFirstReceipt])
            // The same receipt written differently (the time with +05:00, a code as its link, no goods name) is the same receipt.
            var same = Self.receipt(5, at: t, lines: [Self.line(["https://qr.example.kz/c/\(codes[0])"])])
            same.dateTime += "+05:00"
            same.lines[0].name = nil
            #expect(try await Self.send(fdo, [same])[0].state == .applied)
            // Another operator may neither send for the register nor read it; a number far ahead is refused.
            let foreign = try await Self.send(other, [Self.receipt(6, at: t, lines: [Self.line([codes[2]])])])
            #expect(foreign[0].state == .rejected && foreign[0].error?.code == .forbidden)
            _ = T.refusal(try await other.raw(method: "GET", path: "/v1/fdo/registers/\(Self.register)", body: nil), 404, .notFound)
            _ = T.refusal(try await other.raw(method: "GET", path: "/v1/fdo/receipts/\(Self.register)/5", body: nil), 404, .notFound)
            _ = T.refusal(try await other.raw(method: "GET", path: "/v1/fdo/gaps", body: nil), 422, .missingField)
            let far = try await Self.send(fdo, [Self.receipt(2_000_000_000, at: t, lines: [Self.line([codes[2]])])])
            #expect(far[0].state == .rejected && far[0].error?.details?["field"] == "number")
            // A sale through the Service dated more than 72 hours ago is refused.
            let stale = RedemptionRequest(seller: retailerR, number: "OLD-1", codes: [codes[3]], soldAt: t.adding(seconds: -80 * 3600))
            _ = T.refusal(try await post(retailer, "/v1/redemptions", try T.envelope(stale, by: pki.signer(retailerR))), 422, .invalidField)
            // A reload of the stamp-check page within ten minutes shows the same scan and records no other.
            func pageScan() async throws -> String {
                let html = String(decoding: try await public_.raw(method: "GET", path: "/c/\(codes[4])", body: nil).body, as: UTF8.self)
                return try #require(html.range(of: #"data-scan="([0-9a-f-]{36})""#, options: .regularExpression).map { String(html[$0]) })
            }
            #expect(try await pageScan() == (try await pageScan()))
            // Locations added out of order (the later scan's first) still make an impossible-travel alert.
            func scanID(_ code: String) async throws -> String {
                let answer = try T.decode(VerifyAnswer.self, try await post(public_, "/v1/verify", #"{"code":"\#(code)"}"#))
                return try #require(answer.scan).uuidString.lowercased()
            }
            let first = try await scanID(codes[5])
            clock.now = clock.now.adding(seconds: 600)
            let second = try await scanID(codes[5])
            #expect(try await post(public_, "/v1/verify/scans/\(second)/location", #"{"latitude": 51.1694, "longitude": 71.4491}"#).status == 204)
            #expect(try await post(public_, "/v1/verify/scans/\(first)/location", #"{"latitude": 43.2389, "longitude": 76.8897}"#).status == 204)
            let alerts = try T.decode(AlertPage.self, try await revenue.raw(method: "GET", path: "/v1/analytics/alerts?kind=impossibleTravel", body: nil))
            #expect(alerts.items.map(\.code) == [codes[5]])
            for client in [fdo, retailer, public_, revenue, other] { try await client.shutdown() }
        }
    }
}

extension Timestamp {
    func adding(seconds: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds + seconds * 1000) }
}

extension TradeFlowTests {
    typealias SigningPKIType = SigningPKI
}
