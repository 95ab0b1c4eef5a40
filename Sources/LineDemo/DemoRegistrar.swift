import AgentRuntime
import Foundation
import LineConfig
import LineCore
import Logging
import Outbox
import QazAPI
import QazClient
import QazServer
import RegistrarConsole
import ServiceLifecycle
import SignaturesTesting
import Synchronization

/// The registrar of the demo: QazServer on a SQLite file, on 127.0.0.1 with a free port, with tokens for the
/// Banknote Factory (waybills), the producer (the agent) and the revenue body (reports), and the registrar console on
/// `/` (sign in with ``consoleToken``).
public final class DemoRegistrar: Sendable {
    /// The port it listens on (127.0.0.1).
    public let port: Int
    /// A producer token of the demo producer (the agent's).
    public let producerToken: String
    /// A registrar token to sign in to the registrar console with (paste it into the sign-in form).
    public let consoleToken: String
    /// The registrar console's address: `http://127.0.0.1:PORT/`.
    public var consoleURL: String { "http://127.0.0.1:\(port)/" }
    private let factory: QazAPIClient
    private let revenue: QazAPIClient
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let issued = IssuedCounter()
    /// The trade half's parties (its PKI), when the demo runs it.
    let trade: DemoTradeParties?
    /// Clients of the producer, the wholesaler and the registrar (the trade step).
    let producerClient: QazAPIClient
    let wholesalerClient: QazAPIClient
    let registrarClient: QazAPIClient
    /// The demo shop's client and the fiscal data operator's token (the retail step).
    let shopClient: QazAPIClient
    let fdoToken: String
    /// Every credential this registrar issued or holds (token name → token; the trade PKI's producer key, one line of
    /// it): what must never reach a log.
    let secrets: [String: String]
    private let approvals = IssuedCounter()

    /// The revenue body's client.
    var revenueClient: QazAPIClient { revenue }
    /// Stamp applications approved before their waybills.
    var applicationsApproved: Int { approvals.counts.values.reduce(0, +) }

    private init(port: Int, producerToken: String, consoleToken: String, factory: QazAPIClient, revenue: QazAPIClient, group: ServiceGroup,
                 task: Task<Void, any Error>, trade: DemoTradeParties?, producerClient: QazAPIClient, wholesalerClient: QazAPIClient,
                 registrarClient: QazAPIClient, shopClient: QazAPIClient, fdoToken: String, secrets: [String: String]) {
        self.secrets = secrets
        self.shopClient = shopClient
        self.fdoToken = fdoToken
        self.trade = trade
        self.producerClient = producerClient
        self.wholesalerClient = wholesalerClient
        self.registrarClient = registrarClient
        self.port = port
        self.producerToken = producerToken
        self.consoleToken = consoleToken
        self.factory = factory
        self.revenue = revenue
        self.group = group
        self.task = task
    }

    /// - Parameter trade: run the trade half: a throwaway PKI, waybills that need approved applications, and the
    ///   wholesaler the trade step sells to (``tradeScenario(_:usage:)``).
    ///   - logLevel: the registrar's log level (nil: `logger`'s, but at least `warning`).
    public static func start(path: String, logger: Logger, trade withTrade: Bool = false, logLevel: Logger.Level? = nil) async throws -> DemoRegistrar {
        let store = try SQLiteRegistrarStore(path: path)
        try await store.migrate()
        var limits = LimitsConfiguration()
        limits.requestsPerSecond = 10_000
        limits.burst = 10_000
        var serverLogger = logger
        serverLogger.logLevel = logLevel ?? max(logger.logLevel, .warning)
        let console = try RegistrarConsole(logger: serverLogger)
        // The state bodies' BIN (the Banknote Factory, the revenue body and the registrar share it in the demo).
        let authority = TaxpayerID("990340000014")!
        let trade = withTrade ? try DemoTradeParties(authority: authority) : nil
        let server = RegistrarServer(store: store, limits: limits, extensions: [console], trade: trade?.settings ?? TradeSettings())
        let tokens = TokenService(store: store)
        let factoryToken = try await tokens.issue(participant: authority, role: .banknoteFactory).token
        let revenueToken = try await tokens.issue(participant: authority, role: .revenueBody).token
        let producerToken = try await tokens.issue(participant: TaxpayerID(LineDemo.producerBIN)!, role: .producer,
                                                   accountName: LineDemo.producerName).token
        // The other producer whose codes appear as foreign caps: an account record (the registrar files its applications).
        _ = try await store.putAccount(TaxpayerID(LineDemo.otherBIN)!, request: AccountRequest(name: "Other Producer LLP", kind: .producer),
                                       actor: authority, at: .now)
        let wholesalerToken = try await tokens.issue(participant: TaxpayerID(DemoTradeParties.wholesalerBIN)!, role: .wholesaler,
                                                     accountName: DemoTradeParties.wholesalerName).token
        let consoleToken = try await tokens.issue(participant: authority, role: .registrar).token
        let shopToken = try await tokens.issue(participant: TaxpayerID(DemoRetailParties.shopBIN)!, role: .retailer,
                                               accountName: DemoRetailParties.shopName).token
        let fdoToken = try await tokens.issue(participant: TaxpayerID(DemoRetailParties.operatorBIN)!, role: .fiscalDataOperator).token
        var secrets = ["factory token": factoryToken, "revenue-body token": revenueToken, "producer (agent) token": producerToken,
                       "wholesaler token": wholesalerToken, "registrar console token": consoleToken, "shop token": shopToken,
                       "FDO token": fdoToken]
        if let trade {
            // A line from the middle of the producer's signing key (PEM): long enough to be unique, one line to grep for.
            let lines = try trade.pki.signer(bin: LineDemo.producerBIN).keyPEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }
            if !lines.isEmpty { secrets["producer signing key (PEM line)"] = String(lines[lines.count / 2]) }
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = try server.application(host: "127.0.0.1", port: 0, logger: serverLogger,
                                         onServerRunning: { continuation.yield($0) })
        // The console's live feed after the server: on shutdown it stops first and ends open live pages.
        let group = ServiceGroup(configuration: .init(services: [app] + server.extensionServices, logger: serverLogger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw AgentSetupError("the demo registrar did not start") }
        func client(_ token: String) throws -> QazAPIClient {
            try QazAPIClient(configuration: QazClientConfiguration(
                baseURL: "http://127.0.0.1:\(port)", token: token, requestsPerSecond: 1_000, burst: 1_000), logger: serverLogger)
        }
        return DemoRegistrar(port: port, producerToken: producerToken, consoleToken: consoleToken, factory: try client(factoryToken),
                             revenue: try client(revenueToken), group: group, task: task, trade: trade, producerClient: try client(producerToken),
                             wholesalerClient: try client(wholesalerToken), registrarClient: try client(consoleToken),
                             shopClient: try client(shopToken), fdoToken: fdoToken, secrets: secrets)
    }

    /// Issues `count` new codes to a participant by a waybill dated today (Astana), through `POST /v1/waybills`. With the
    /// trade half, the participant first files a signed App. 3 for them (the demo producer itself; another participant
    /// through the registrar, cl. 24(2)) and the revenue body approves it; the waybill cites it (cl. 16–17).
    public func issue(count: Int, to bin: TaxpayerID, name: String, waybill number: String) async throws -> [String] {
        var application: ApplicationReference?
        if let trade {
            let today = AstanaTime.components(of: Date())
            let date = CalendarDate(String(format: "%04d-%02d-%02d", today.year, today.month, today.day))!
            let reference = ApplicationReference(number: "APP-\(number)", date: date)
            let own = bin.rawValue == LineDemo.producerBIN
            let document = DemoTradeParties.application(number: reference.number, date: date, applicant: bin, name: name, quantity: count)
            let envelope = try trade.envelope(document, by: own ? bin : trade.authority)
            for (client, path, body) in [(own ? producerClient : registrarClient, "/v1/applications", envelope),
                                         (revenue, "/v1/applications/\(bin)/\(reference.number)/decision", Array(#"{"decision":"approve"}"#.utf8))] {
                let response = try await client.raw(method: "POST", path: path, body: body)
                guard (200..<300).contains(response.status) else {
                    throw AgentSetupError("POST \(path) answered \(response.status): \(String(decoding: response.body.prefix(400), as: UTF8.self))")
                }
            }
            approvals.add(1, to: bin.rawValue)
            application = reference
        }
        let codes = try await Self.issue(count: count, to: bin, name: name, waybill: number, application: application, using: factory)
        issued.add(count, to: bin.rawValue)
        return codes
    }

    /// Issues `count` new random codes to a participant by a waybill dated today (Astana) through `factory` (a Banknote
    /// Factory client of any registrar).
    public static func issue(count: Int, to bin: TaxpayerID, name: String, waybill number: String,
                             application: ApplicationReference? = nil, using factory: QazAPIClient) async throws -> [String] {
        let today = AstanaTime.components(of: Date())
        let date = CalendarDate(String(format: "%04d-%02d-%02d", today.year, today.month, today.day))!
        let series = StampSeries(number.hasSuffix("1") ? "QA" : "QB")!
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let codes = (0..<count).map { _ in String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }) }
        guard let request = WaybillRequest.consecutive(
            number: number, date: date, application: application, recipient: Recipient(bin: bin, name: name),
            product: WaybillProduct(name: "Demo Vodka", type: "vodka", capacityMl: 500), series: series, codes: codes)
        else { throw AgentSetupError("cannot issue \(count) codes on one waybill (stamp numbers 1-\(count))") }
        _ = try await factory.submitWaybill(request)
        return codes
    }

    /// Codes issued per participant by this demo.
    public var issuedTo: [String: Int] { issued.counts }

    /// The App. 10 report as the revenue body reads it (`GET /v1/reports/qr-usage`, JSON).
    public func usageReport(bin: String, month: ReportingMonth) async throws -> QRUsageReport {
        let response = try await revenue.raw(method: "GET", path: "/v1/reports/qr-usage?bin=\(bin)&month=\(month)", body: nil,
                                             headers: [("Accept", "application/json")])
        guard response.status == 200 else {
            throw AgentSetupError("the registrar answered \(response.status) to the App. 10 report: \(String(decoding: response.body, as: UTF8.self))")
        }
        let decoder = JSONDecoder()
        return try decoder.decode(QRUsageReport.self, from: Data(response.body))
    }

    /// A case or pallet as the revenue body reads it (`GET /v1/units/{unit}`; nil when the registrar does not know it).
    public func unit(_ code: String) async throws -> UnitInfo? {
        do {
            return try await revenue.unit(code)
        } catch let error as QazClientError {
            if case .server(404, _, _) = error { return nil }
            throw error
        }
    }

    /// A code as the revenue body reads it (`GET /v1/codes/{code}`).
    public func code(_ code: String) async throws -> CodeInfo { try await revenue.code(code) }

    /// Codes the registrar holds as activated for a participant, counted through the pool endpoint.
    public func activatedCount(bin: TaxpayerID) async throws -> Int {
        // Activated codes still in circulation and those since redeemed at retail (the demo's shop sells some).
        var count = 0
        for status in [CodeStatus.activated, .redeemed] {
            var after: String?
            repeat {
                let page = try await revenue.pool(bin: bin, status: status, after: after, limit: 1000)
                count += page.items.count
                after = page.next
            } while after != nil
        }
        return count
    }

    /// Adds every code issued to the producer to the agent's local pool (what `lineagent pool sync` does).
    public static func syncPool(plan: AgentPlan, store: OutboxStore, logger: Logger) async throws -> Int {
        try await plan.makeClient(logger: logger).closing { client in
            var added = 0
            var after: String?
            repeat {
                let page = try await client.pool(bin: plan.configuration.producer.bin, status: .issued, after: after, limit: 1000)
                added += try await store.addToPool(page.items.map { StampCode(trusted: $0.code) }, source: "demo pool sync")
                after = page.next
            } while after != nil
            return added
        }
    }

    public func stop() async {
        for client in [factory, revenue, producerClient, wholesalerClient, registrarClient, shopClient] { try? await client.shutdown() }
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}

private final class IssuedCounter: Sendable {
    private let values = Mutex<[String: Int]>([:])
    func add(_ count: Int, to bin: String) { values.withLock { $0[bin, default: 0] += count } }
    var counts: [String: Int] { values.withLock { $0 } }
}
