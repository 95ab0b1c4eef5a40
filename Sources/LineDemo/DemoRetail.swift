import AgentRuntime
import Foundation
import LineCore
import Logging
import QazAPI
import QazClient
import QazServer
import RetailSimulator

/// The retail half in the simulated plant (order No 288 cl. 22, 27), after the trade step: the wholesaler sells bottles
/// on to a demo shop under a signed order and counter-order; the shop's cash registers (one of them offline for hours
/// of simulated time, resending in order when it reconnects) sell them through a fiscal data operator relay to the
/// registrar, which redeems each sold code «Өтелген»; consumers scan a sold and an unsold bottle. Every step checked.
enum DemoRetailParties {
    static let shopBIN = "950707333334"
    static let shopName = "Demo Liquor Store LLP"
    /// The fiscal data operator the shop's registers send through.
    static let operatorBIN = "930303000051"
}

/// The retail step's size.
public struct DemoRetailOptions: Sendable {
    /// Bottles the shop buys from the wholesaler (at most what the line activated).
    public var shopBottles = 16
    /// The shop's cash registers; the second goes offline for three of the hours.
    public var registers = 3
    /// Simulated hours of the tills' day (sales spread over them).
    public var hours = 8
    public init() {}
}

/// What the retail step did, for the summary.
public struct DemoRetailSummary: Codable, Sendable {
    public var orderId: String
    /// Bottles the shop bought from the wholesaler.
    public var stock: Int
    public var registers: Int
    public var receipts: Int
    public var autonomousReceipts: Int
    /// The longest a register worked offline, hours of simulated time.
    public var maxOfflineHours: Double
    public var sold: Int
    public var returned: Int
    /// Codes the registrar shows redeemed; codes the till simulation expected redeemed.
    public var redeemedAtRegistrar: Int
    public var expectedRedeemed: Int
    /// The registrar's answers to the tills' marking codes, by outcome; the receipts' flags.
    public var outcomes: [String: Int]
    public var flags: [String: Int]
    /// One sold code and its history as the extract shows it.
    public var sampleCode: String?
    public var history: [String]
    /// What a consumer's scan of a sold and of an unsold bottle says.
    public var soldScan: String?
    public var unsoldScan: String?
    public var checks: [String: Bool]
}

extension DemoRegistrar {
    /// The retail step: the wholesaler's order of up to `options.shopBottles` of `codes` to the demo shop, the till simulation through the
    /// FDO relay, then the registrar's codes compared with what the tills sold.
    func retailScenario(_ trade: DemoTradeParties, codes held: [String], options: DemoRetailOptions = DemoRetailOptions(),
                        logger: Logger) async throws -> DemoRetailSummary {
        let wholesaler = TaxpayerID(DemoTradeParties.wholesalerBIN)!, shop = TaxpayerID(DemoRetailParties.shopBIN)!
        let codes = Array(held.prefix(options.shopBottles))
        guard !codes.isEmpty else { throw AgentSetupError("the retail step has no bottles to sell on") }
        let order = SaleOrder(number: "DEMO-SHOP-1", seller: wholesaler, buyer: shop, codes: codes,
                              volumeLitres: String(format: "%.3f", Double(codes.count) * 0.5),
                              price: String(format: "%.2f", Double(codes.count) * 5_200), note: "demo: bottles for the shop's shelves")
        let saved = try WireCoding.decoder().decode(OrderInfo.self, from: Data(
            try await Self.send(wholesalerClient, "/v1/orders", try trade.envelope(order, by: wholesaler)).body))
        let counter = CounterOrder(order: saved.id, seller: wholesaler, buyer: shop, orderDigest: saved.sellerSignature.documentDigest)
        _ = try await Self.send(shopClient, "/v1/orders/\(saved.id)/counter-order", try trade.envelope(counter, by: shop))

        // The shop's three registers; the second offline from the 2nd to the 5th hour of an 8-hour day.
        let product = CatalogueProduct.sample(1, name: "Demo Vodka 0.5 l")
        let stock = try Shop(seller: shop, stock: codes.map { StockItem(code: $0, product: product) })
        let registers = (1...max(2, options.registers)).map { CashRegister.sample($0, seller: shop) }
        let hours = max(4, options.hours)
        // Enough visits to sell most of the shelf in the day (1-2 bottles each).
        let visitsPerHour = max(2, Double(codes.count) / Double(hours) / 1.6)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        var simulation = try TillSimulation(
            shop: stock, registers: registers,
            // The tills' day is simulated in no time; its receipts are dated in the hours before now (never in the future).
            schedule: TillSchedule(start: Date().addingTimeInterval(-Double(hours) * 3600 - 60), length: .seconds(hours * 3600),
                                   visitsPerHour: visitsPerHour, bottlesPerSale: 1...2, returnShare: 0.1,
                                   outages: [Outage(register: 2, start: .seconds(hours * 3600 / 4), length: .seconds(hours * 3600 * 3 / 8))], seed: 2026),
            logger: quiet)
        let sink = RegistrarReceiptSink(baseURL: "http://127.0.0.1:\(port)", token: fdoToken)
        let relay = FDORelay(sink: sink, configuration: RelayConfiguration(maxBatch: 50, recheckInterval: .milliseconds(100)), logger: quiet)
        let till: TillSummary
        do {
            till = try await relay.withRunning { relayPort in
                let link = HTTPFDOLink(baseURL: "http://127.0.0.1:\(relayPort)")
                let summary = await simulation.run(via: link, relay: relay, settleTimeout: .seconds(60))
                try? await link.shutdown()
                return summary
            }
            try await sink.shutdown()
        } catch {
            try? await sink.shutdown()
            throw error
        }

        // The registrar's view of every bottle the shop had.
        var redeemed = Set<String>()
        for code in codes where try await shopClient.code(code).status == .redeemed { redeemed.insert(code) }
        let expected = till.expectedRedeemed
        let sample = expected.sorted().first
        var history = [String]()
        if let sample {
            let extract = try await Self.get(shopClient, CodeExtract.self, "/v1/codes/\(sample)/extract")
            history = extract.operations.map { "\(AstanaTime.display($0.at.date)) \($0.kind.rawValue) \($0.participant)\($0.reference.map { " \($0)" } ?? "")" }
        }
        let account = try await Self.get(shopClient, AccountExtract.self, "/v1/accounts/\(shop)/extract")
        // Consumers: a bottle just bought, and one not sold at the till (on the shop's shelf, or still the wholesaler's).
        func scan(_ code: String?) async throws -> VerifyAnswer? {
            guard let code else { return nil }
            let response = try await Self.send(shopClient, "/v1/verify", Array(try WireCoding.encoder().encode(VerifyRequest(code: code))))
            return try WireCoding.decoder().decode(VerifyAnswer.self, from: Data(response.body))
        }
        let soldScan = try await scan(sample)
        let unsold = held.first { !expected.contains($0) }
        let unsoldScan = try await scan(unsold)
        let relayCounts = till.relay
        let checks: [String: Bool] = [
            "retail: the shop's order «Қол қойылған» and its stock received": account.codes.active + account.codes.redeemed == codes.count,
            "retail: every receipt applied through the FDO relay": till.settled && relayCounts?.states[.applied] == till.receipts
                && relayCounts?.rejections.isEmpty == true,
            "retail: registers worked offline and resent in order": till.autonomousReceipts > 0,
            "retail: the registrar's redeemed codes are exactly the tills' sales less returns": redeemed == expected && !expected.isEmpty,
            "retail: the shop's extract counts them «Өтелген»": account.codes.redeemed == expected.count,
            "retail: a sold bottle's code history ends redeemed": history.last { $0.contains(" redeemed ") || $0.contains(" returned ") }?
                .contains(" redeemed ") == true,
            "retail: consumers see a sold bottle redeemed, an unsold one genuine": soldScan?.verdict == .redeemed
                && (unsold == nil ? expected.count == held.count : unsoldScan?.verdict == .genuine),
        ]
        return DemoRetailSummary(
            orderId: saved.id, stock: codes.count, registers: registers.count, receipts: till.receipts, autonomousReceipts: till.autonomousReceipts,
            maxOfflineHours: Double(till.maxOffline.components.seconds) / 3600, sold: till.codesSold, returned: till.codesReturned,
            redeemedAtRegistrar: redeemed.count, expectedRedeemed: expected.count,
            outcomes: Dictionary(uniqueKeysWithValues: (relayCounts?.outcomes ?? [:]).map { ($0.key.rawValue, $0.value) }),
            flags: Dictionary(uniqueKeysWithValues: (relayCounts?.flags ?? [:]).map { ($0.key.rawValue, $0.value) }),
            sampleCode: sample, history: history,
            soldScan: soldScan.map { "\($0.verdict.rawValue) «\($0.status)»" }, unsoldScan: unsoldScan.map { "\($0.verdict.rawValue) «\($0.status)»" }
                ?? "none left to scan (every bottle the wholesaler held was sold)",
            checks: checks)
    }

    /// POSTs a body; anything but 2xx is an error naming the path and the answer (the trade and retail steps).
    static func send(_ client: QazAPIClient, _ path: String, _ body: [UInt8]) async throws -> RawResponse {
        let response = try await client.raw(method: "POST", path: path, body: body)
        guard (200..<300).contains(response.status) else {
            throw AgentSetupError("POST \(path) answered \(response.status): \(String(decoding: response.body.prefix(400), as: UTF8.self))")
        }
        return response
    }

    /// GETs and decodes; anything but 200 is an error naming the path and the answer.
    static func get<T: Decodable>(_ client: QazAPIClient, _ type: T.Type, _ path: String) async throws -> T {
        let response = try await client.raw(method: "GET", path: path, body: nil)
        guard response.status == 200 else {
            throw AgentSetupError("GET \(path) answered \(response.status): \(String(decoding: response.body.prefix(400), as: UTF8.self))")
        }
        return try WireCoding.decoder().decode(T.self, from: Data(response.body))
    }
}
