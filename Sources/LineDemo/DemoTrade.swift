import AgentRuntime
import Foundation
import LineCore
import Logging
import QazAPI
import QazClient
import QazServer
import Signatures
import SignaturesTesting

/// The trade half in the simulated plant (order No 288 chapters 3–4), end to end over loopback HTTP with real CMS
/// signatures: a throwaway PKI made with the `openssl` command line (the national certifying centre's role), signed stamp
/// applications approved by the revenue body before the Banknote Factory's waybills cite them (cl. 11–17), and, after
/// the line has run, the producer's signed order of activated bottles to a wholesaler, the wholesaler's signed
/// counter-order, the extracts showing the history (cl. 21, 25) and the producer's signed App. 10 (cl. 28).
final class DemoTradeParties: Sendable {
    static let wholesalerBIN = "960606111115"
    static let wholesalerName = "Demo Wholesale LLP"

    let pki: TestPKI
    let verifier: SignatureVerifier
    let authority: TaxpayerID

    /// Makes the PKI (about a second of `openssl`); throws naming the problem when `openssl` is missing.
    init(authority: TaxpayerID) throws {
        do { pki = try TestPKI() } catch {
            throw AgentSetupError("the trade demo needs the openssl command line (Debian package openssl) for its test PKI: \(error)")
        }
        verifier = try SignatureVerifier(anchorsPEM: [pki.root.certificatePEM], intermediatesPEM: [pki.intermediate.certificatePEM])
        self.authority = authority
    }

    var settings: TradeSettings { TradeSettings(verifier: verifier, requireApplications: true) }

    /// The signed envelope of a document, by a participant's certificate (`OU=BIN…`).
    func envelope(_ document: some Encodable, by participant: TaxpayerID) throws -> [UInt8] {
        let signer = try pki.signer(bin: participant.rawValue)
        let json = try JSONEncoder().encode(document)
        return Array(try SignedEnvelope.make(documentJSON: json, keyPEM: signer.keyPEM, certificatePEM: signer.certificatePEM,
                                             chainPEM: signer.chainPEM))
    }

    /// The App. 3 a demo producer files for a waybill's stamps.
    static func application(number: String, date: CalendarDate, applicant: TaxpayerID, name: String, quantity: Int) -> StampApplication {
        let payment = PaymentReference(amount: String(format: "%.2f", Double(quantity) * 12.5), bankAccount: "KZ86125KZT5004100100",
                                       document: "PP-\(number)", date: date)
        let month = ReportingMonth.containing(Date())
        return StampApplication(
            number: number, date: date, kind: .domestic, applicant: applicant, name: name, address: "Astana, Turan Ave 1",
            licence: Licence(authority: "State Revenue Committee", number: "LIC-0001", date: date), quantity: quantity,
            product: ApplicationProduct(name: "Demo Vodka", type: "vodka", capacityMl: 500, strength: "40.0"),
            periodFrom: month, periodTo: month,
            certificate: ConformityCertificate(number: "KZ.7500.DEMO", body: "Demo Certification Body", validUntil: CalendarDate("2030-12-31")!),
            hsCode: "2208601100", stampPayment: payment, excisePayment: payment, receiptMethod: .pickup, contract: nil,
            obligation: TargetedUseObligation(securityAmount: String(format: "%.2f", Double(quantity) * 50), method: .bankGuarantee,
                                              instrumentNumber: "BG-\(number)", instrumentDate: date, legalAddress: "Astana, Turan Ave 1",
                                              bankDetails: "Halyk Bank, KZ86125KZT5004100100"),
            undertakings: ApplicationUndertakings())
    }
}

/// What the trade step did, for the summary.
public struct DemoTradeSummary: Codable, Sendable {
    /// Stamp applications filed and approved before the waybills.
    public var applicationsApproved: Int
    public var orderId: String
    public var buyer: String
    public var codes: Int
    /// The order's stamp codes (the wholesaler holds them afterwards).
    public var orderCodes: [String]
    /// The order's status after the counter-order («Қол қойылған»).
    public var orderStatus: String
    /// One of the order's codes and its history as the extract shows it.
    public var sampleCode: String
    public var history: [String]
    public var holdings: [String]
    /// The producer's signed App. 10 for the month: the registrar's verdict.
    public var app10Verdict: String
    public var checks: [String: Bool]
}

extension DemoRegistrar {
    /// The trade step after the line: sells up to 24 activated bottles to the demo wholesaler under a signed order and
    /// counter-order, reads the extracts, submits the producer's signed App. 10; every step checked.
    func tradeScenario(_ trade: DemoTradeParties, bottles: Int = 24, usage: (ReportingMonth) async throws -> QRUsageReport) async throws -> DemoTradeSummary {
        let producer = TaxpayerID(LineDemo.producerBIN)!, wholesaler = TaxpayerID(DemoTradeParties.wholesalerBIN)!
        var codes = [String]()
        while codes.count < bottles {
            let page = try await revenueClient.pool(bin: producer, status: .activated, after: codes.last, limit: min(1000, bottles - codes.count))
            codes += page.items.map(\.code)
            if page.items.isEmpty || page.next == nil { break }
        }
        guard !codes.isEmpty else { throw AgentSetupError("the trade step found no activated codes to sell") }
        let order = SaleOrder(number: "DEMO-ORDER-1", seller: producer, buyer: wholesaler, codes: codes,
                              volumeLitres: String(format: "%.3f", Double(codes.count) * 0.5),
                              price: String(format: "%.2f", Double(codes.count) * 4_500), note: "demo: the first activated bottles")
        let saved = try WireCoding.decoder().decode(OrderInfo.self, from: Data(
            try await Self.send(producerClient, "/v1/orders", try trade.envelope(order, by: producer)).body))
        let counter = CounterOrder(order: saved.id, seller: producer, buyer: wholesaler, orderDigest: saved.sellerSignature.documentDigest)
        let signed = try WireCoding.decoder().decode(OrderInfo.self, from: Data(
            try await Self.send(wholesalerClient, "/v1/orders/\(saved.id)/counter-order", try trade.envelope(counter, by: wholesaler)).body))
        let extract = try await Self.get(wholesalerClient, CodeExtract.self, "/v1/codes/\(codes[0])/extract")
        let seller = try await Self.get(producerClient, AccountExtract.self, "/v1/accounts/\(producer)/extract")
        let buyer = try await Self.get(wholesalerClient, AccountExtract.self, "/v1/accounts/\(wholesaler)/extract")
        let month = ReportingMonth.containing(Date())
        let report = try await usage(month)
        let submission = ReportSubmission(participant: producer, form: .app10, month: month, received: report.received,
                                          openingBalance: report.openingBalance, used: report.used, closingBalance: report.closingBalance)
        let verdict = try WireCoding.decoder().decode(ReportSubmissionResult.self, from: Data(
            try await Self.send(producerClient, "/v1/reports/submissions", try trade.envelope(submission, by: producer)).body))
        let kinds = extract.operations.map(\.kind)
        let checks: [String: Bool] = [
            "trade: waybills cite approved applications": applicationsApproved == 2,
            "trade: order «Қол қоюда» then «Қол қойылған» after the counter-order": saved.status == .pending && signed.status == .signed,
            "trade: the buyer holds the bottles": extract.holder == wholesaler && buyer.codes.active == codes.count,
            "trade: the seller's extract shows them transferred": seller.codes.transferred == codes.count,
            "trade: code history issued → activated → ordered → transferred/received":
                kinds.first == .codesIssued && kinds.contains(.activated) && kinds.contains(.orderSaved)
                && kinds.contains(.transferred) && kinds.contains(.received),
            "trade: the producer's signed App. 10 is accepted": verdict.result == .accepted,
        ]
        return DemoTradeSummary(
            applicationsApproved: applicationsApproved, orderId: saved.id, buyer: wholesaler.rawValue, codes: codes.count, orderCodes: codes,
            orderStatus: "\(signed.status.rawValue) «\(signed.statusText)»", sampleCode: codes[0],
            history: extract.operations.map { "\(AstanaTime.display($0.at.date)) \($0.kind.rawValue) \($0.participant)\($0.reference.map { " \($0)" } ?? "")" },
            holdings: extract.holdings.map { "\($0.participant) \($0.status.rawValue) «\($0.status.kazakh)»" },
            app10Verdict: verdict.result.rawValue, checks: checks)
    }
}
