import ConfigKit
import CounterfeitAnalytics
import Foundation
import HTTPTypes
import Hummingbird
import LineCore
import Logging
import NIOCore
import QazAPI
import Synchronization

/// What the retail half needs beside storage: how long a register's gap waits, the public endpoint's limits, the
/// analytics' rules.
public struct RetailSettings: Sendable {
    /// How long receipts after a missing one wait before the gap is reported and they are applied. The FDO sends the
    /// tax body each receipt within 15 minutes of receiving it (order No 626 cl. 73(3)); the default waits that long.
    public var gapWait: Duration
    /// How often the gap job looks at least (it also wakes when the oldest waiting receipt comes due).
    public var gapSweep: Duration
    /// Consumer scans per second per client address on average, and the burst (`POST /v1/verify`, `/c/{code}`).
    public var verifyRate: Double
    public var verifyBurst: Int
    /// The counterfeit analytics' rules.
    public var analytics: AnalyticsRules
    /// The retail half's clock (tests move it).
    public var clock: @Sendable () -> Timestamp

    public init(gapWait: Duration = .seconds(15 * 60), gapSweep: Duration = .seconds(30), verifyRate: Double = 0.5, verifyBurst: Int = 20,
                analytics: AnalyticsRules = AnalyticsRules(), clock: @escaping @Sendable () -> Timestamp = { .now }) {
        self.gapWait = gapWait
        self.gapSweep = gapSweep
        self.verifyRate = verifyRate
        self.verifyBurst = verifyBurst
        self.analytics = analytics
        self.clock = clock
    }
}

extension RegistrarServer {
    func addRetailRoutes(to v1: RouterGroup<RegistrarContext>, root: Router<RegistrarContext>) {
        v1.post("fdo/receipts", use: authenticated(submitReceipts))
        v1.get("fdo/receipts/:registration/:number", use: authenticated(getReceipt))
        v1.get("fdo/registers/:registration", use: authenticated(getRegister))
        v1.get("fdo/gaps", use: authenticated(listGaps))
        v1.post("redemptions", use: authenticated(redeem))
        v1.get("redemptions/:seller/:number", use: authenticated(getRedemption))
        v1.post("accounts/:participant/redemption-consent", use: authenticated(redemptionConsent))
        v1.get("analytics/alerts", use: authenticated(listAlerts))
        v1.get("analytics/alerts/stream", use: authenticated(alertStream))
        v1.get("analytics/report", use: authenticated(scanReport))
        v1.get("analytics/scans", use: authenticated(listScans))
        // Public: no token, limited per client address.
        v1.post("verify", use: publicLimited(verify))
        v1.post("verify/scans/:scan/location", use: publicLimited(scanLocation))
        root.get(RouterPath(stringLiteral: String(VerifyHTML.scriptPath.dropFirst())), use: limited { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=3600"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: VerifyHTML.script)))
        })
        root.get("c/:code", use: limited(verifyPage))
    }

    var retailStore: any RetailStore {
        get throws(RegistrarError) {
            guard let store = store as? any RetailStore else {
                throw RegistrarError(.notImplemented, .unavailable, "this storage backend does not keep the retail half")
            }
            return store
        }
    }

    // MARK: Receipts from fiscal data operators

    func submitReceipts(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.fiscalDataOperator, .registrar], "send cash-register receipts")
        let body = try await BodyReader.raw(request, limit: Int(limits.maxBodySize.bytes))
        let items = try Self.receiptItems(body)
        let now = retail.clock()
        var answers = [ReceiptAnswer?](repeating: nil, count: items.count)
        var commands = [(index: Int, command: ReceiptCommand)]()
        for (index, item) in items.enumerated() {
            let prefix = "receipts[\(index)]"
            do throws(RegistrarError) {
                let receipt = try BodyReader.decode(FiscalReceipt.self, from: item, prefix: prefix)
                let issuedAt = try RetailValidation.receipt(receipt, prefix: prefix + ".")
                var command = command(receipt, issuedAt: issuedAt, operatorID: identity.participant, now: now)
                command.registrarActs = identity.role == .registrar
                commands.append((index, command))
            } catch {
                let object = (try? JSONSerialization.jsonObject(with: item)) as? [String: Any]
                answers[index] = ReceiptAnswer(registrationNumber: (object?["registrationNumber"] as? String).map { String($0.prefix(40)) } ?? "",
                                               number: (object?["number"] as? Int) ?? 0, state: .rejected, error: error.body)
            }
        }
        let store = try retailStore
        let stored = try await call(context.logger) { () async throws(StoreError) in try await store.recordReceipts(commands.map(\.command)) }
        for (slot, answer) in zip(commands.map(\.index), stored) { answers[slot] = answer }
        let result = answers.map { $0! }
        // Counted once: a receipt sent again (answered from storage) was counted when it first came.
        metrics.receipts(result.filter { $0.state == .rejected || $0.receivedAt == now })
        context.logger.info("receipts received", metadata: [
            "receipts.count": "\(result.count)", "receipts.applied": "\(result.filter { $0.state == .applied }.count)",
            "receipts.waiting": "\(result.filter { $0.state == .waiting }.count)", "receipts.rejected": "\(result.filter { $0.state == .rejected }.count)",
        ])
        return try Self.json(ReceiptBatchAnswer(receipts: result))
    }

    /// The batch's receipts as separate JSON texts, so that one bad receipt is answered alone.
    static func receiptItems(_ body: Data) throws(RegistrarError) -> [Data] {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: body) } catch { throw .invalidJSON("\(error.localizedDescription.prefix(200))") }
        guard let dictionary = object as? [String: Any] else { throw .invalidField("(body)", "expected an object {\"receipts\": [...]}") }
        if let unknown = dictionary.keys.first(where: { $0 != "receipts" }) {
            throw .invalidField(unknown, "unknown field; expected one of receipts")
        }
        guard let receipts = dictionary["receipts"] else { throw .missingField("receipts") }
        guard let array = receipts as? [Any] else { throw .invalidField("receipts", "expected an array of receipts") }
        guard !array.isEmpty else { throw .invalidField("receipts", "expected 1-\(RetailLimits.maxReceiptsPerBatch) receipts") }
        guard array.count <= RetailLimits.maxReceiptsPerBatch else {
            throw .batchTooLarge(count: array.count, limit: RetailLimits.maxReceiptsPerBatch, what: "receipts")
        }
        var items = [Data]()
        for element in array {
            guard JSONSerialization.isValidJSONObject(element), let data = try? JSONSerialization.data(withJSONObject: element) else {
                items.append(Data("null".utf8))
                continue
            }
            items.append(data)
        }
        return items
    }

    func command(_ receipt: FiscalReceipt, issuedAt: Timestamp, operatorID: TaxpayerID, now: Timestamp) -> ReceiptCommand {
        var flags = [ReceiptFlag]()
        if receipt.autonomous { flags.append(.autonomous) }
        if now.milliseconds - issuedAt.milliseconds > RetailLimits.autonomyLimit { flags.append(.beyondAutonomy) }
        if issuedAt.milliseconds - now.milliseconds > RetailValidation.futureSkew { flags.append(.futureDated) }
        let lines = receipt.lines.map { line in
            PreparedLine(error: RetailValidation.lineProblem(line), codes: line.markingCodes.map(prepared))
        }
        return ReceiptCommand(receipt: receipt, issuedAt: issuedAt, bodyHash: RetailValidation.digest(receipt, issuedAt: issuedAt, lines: lines),
                              lines: lines, operatorID: operatorID,
                              receivedAt: now, flags: flags)
    }

    /// A marking code parsed by the payload rules (the code, or nil when it is not one).
    func prepared(_ marking: String) -> PreparedCode {
        guard marking.utf8.count <= rules.maxPayloadBytes, case .success(let code) = rules.parse(marking) else {
            return PreparedCode(marking: String(marking.prefix(rules.maxPayloadBytes)), code: nil)
        }
        return PreparedCode(marking: marking, code: code.rawValue)
    }

    func getReceipt(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.fiscalDataOperator, .registrar, .revenueBody], "read receipts")
        let registration = try registrationParameter(context)
        guard let number = context.parameters.get("number").flatMap(Int.init), number > 0 else {
            throw RegistrarError.invalidField("number", "expected a receipt number, 1-2147483647")
        }
        let store = try retailStore
        _ = try await visibleRegister(registration, identity, store, context)
        guard let answer = try await call(context.logger, { () async throws(StoreError) in try await store.receipt(registration: registration, number: number) })
        else { throw RegistrarError.notFound("receipt \(number) of register \(registration)") }
        return try Self.json(answer)
    }

    func getRegister(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.fiscalDataOperator, .registrar, .revenueBody], "read cash registers")
        let registration = try registrationParameter(context)
        return try Self.json(try await visibleRegister(registration, identity, try retailStore, context))
    }

    /// A register the caller may see: a fiscal data operator only those it sends for (another's is `not_found`, as if
    /// it did not exist); the registrar and the revenue body every one.
    func visibleRegister(_ registration: String, _ identity: Identity, _ store: any RetailStore, _ context: RegistrarContext) async throws -> CashRegisterState {
        guard let state = try await call(context.logger, { () async throws(StoreError) in try await store.cashRegister(registration) }),
              identity.role != .fiscalDataOperator || state.operatorID == identity.participant
        else { throw RegistrarError.notFound("register \(registration)") }
        return state
    }

    func listGaps(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.fiscalDataOperator, .registrar, .revenueBody], "read receipt gaps")
        let query = request.uri.queryParameters
        var registration: String?
        if let text = query["registration"] {
            guard RetailValidation.isRegistrationNumber(String(text)) else {
                throw RegistrarError.invalidField("registration", "expected a registration number, 12-20 of A-Z 0-9")
            }
            registration = String(text)
        }
        let limit = try pageLimit(query["limit"], default: TradeLimits.defaultPage, max: TradeLimits.maxPage)
        let before = try cursor(query["before"], "before")
        let store = try retailStore
        if identity.role == .fiscalDataOperator {
            // An operator lists the gaps of one of its registers at a time.
            guard let registration else { throw RegistrarError.missingField("registration") }
            _ = try await visibleRegister(registration, identity, store, context)
        }
        let page = try await call(context.logger) { () async throws(StoreError) in
            try await store.receiptGaps(registration: registration, before: before, limit: limit)
        }
        return try Self.json(ReceiptGapPage(items: page.items, next: page.last))
    }

    func registrationParameter(_ context: RegistrarContext) throws(RegistrarError) -> String {
        let text = context.parameters.get("registration") ?? ""
        guard RetailValidation.isRegistrationNumber(text) else {
            throw .invalidField("registration", "expected a registration number, 12-20 of A-Z 0-9")
        }
        return text
    }

    // MARK: Redemption through the Service

    func redeem(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .wholesaler, .retailer, .registrar], "redeem codes")
        let now = retail.clock()
        let (redemption, record) = try await signed(RedemptionRequest.self, request, context, kind: "redemption", now: now) { $0.seller }
        try TradeValidation.number(redemption.number, "document.number")
        guard (1...RetailLimits.maxRedemptionCodes).contains(redemption.codes.count) else {
            throw RegistrarError.invalidField("document.codes", "expected 1-\(RetailLimits.maxRedemptionCodes) codes")
        }
        if let soldAt = redemption.soldAt, soldAt.milliseconds > now.milliseconds + RetailValidation.futureSkew {
            throw RegistrarError.invalidField("document.soldAt", "the sale is in the future (\(soldAt.astana))")
        }
        if let soldAt = redemption.soldAt, soldAt.milliseconds < now.milliseconds - RetailLimits.autonomyLimit {
            throw RegistrarError.invalidField("document.soldAt", "the sale is more than 72 hours ago (\(soldAt.astana)); redeem codes when they are sold")
        }
        let store = try retailStore
        let stored = try await call(context.logger) { () async throws(StoreError) in
            var command = ServiceRedemptionCommand(request: redemption, codes: redemption.codes.map(prepared), document: record,
                                                   actor: identity.participant, receivedAt: now)
            command.registrarActs = identity.role == .registrar
            return try await store.redeem(command)
        }
        if !stored.replayed {
            let applied = stored.value.codes.filter(\.outcome.applied).count
            if applied > 0 { metrics.trade(.redeemed, by: applied) }
            metrics.redemptionOutcomes(stored.value.codes)
        }
        return try Self.json(stored.value, status: stored.replayed ? .ok : .created)
    }

    func getRedemption(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let seller = try participantParameter(context, "seller")
        _ = try requireSelfOrOversight(context, seller, "read another participant's redemptions")
        let number = try documentNumber(context.parameters.get("number") ?? "", "number")
        let store = try retailStore
        guard let answer = try await call(context.logger, { () async throws(StoreError) in try await store.serviceRedemption(seller: seller, number: number) })
        else { throw RegistrarError.notFound("redemption \(number) of \(seller)") }
        return try Self.json(answer)
    }

    func redemptionConsent(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .wholesaler, .retailer, .registrar], "give the redemption consent")
        let participant = try participantParameter(context, "participant")
        let now = retail.clock()
        let (consent, record) = try await signed(RedemptionConsent.self, request, context, kind: "redemptionConsent", now: now) { $0.participant }
        guard consent.participant == participant else {
            throw RegistrarError.invalidField("document.participant", "the consent is \(consent.participant)'s, the path names \(participant)")
        }
        let store = try retailStore
        let account = try await call(context.logger) { () async throws(StoreError) in
            try await store.setRedemptionConsent(RedemptionConsentCommand(consent: consent, document: record, actor: identity.participant, at: now))
        }
        return try Self.json(account)
    }

    // MARK: Consumer scan-and-verify (public)

    /// A public handler: charged to the client's address (kept in memory only, never stored with a scan), under the
    /// request time limit.
    func publicLimited(_ handler: @escaping @Sendable (Request, RegistrarContext) async throws -> Response)
        -> @Sendable (Request, RegistrarContext) async throws -> Response
    {
        limited { request, context in
            try await self.chargeClient(context)
            return try await handler(request, context)
        }
    }

    func chargeClient(_ context: RegistrarContext) async throws(RegistrarError) {
        let client = Self.clientKey(context.channel.remoteAddress)
        if let wait = await verifyLimiter.acquire(client) {
            let seconds = max(1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
            metrics.verifyLimited()
            throw RegistrarError(.tooManyRequests, .rateLimited, "too many scans from this address; retry after \(seconds) s",
                                 details: ["retryAfter": String(seconds)], headers: [.retryAfter: String(seconds)])
        }
    }

    /// The rate-limit key of a client: its IPv4 address, or its IPv6 /64 (what one household or phone usually has),
    /// from the address's bytes (an IPv4-mapped IPv6 address counts as the IPv4 one).
    static func clientKey(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown" }
        switch address {
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            let bytes = withUnsafeBytes(of: &raw) { Array($0) }
            if bytes.prefix(10).allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
                return bytes.suffix(4).map(String.init).joined(separator: ".")
            }
            return stride(from: 0, to: 8, by: 2).map { String(format: "%02x%02x", bytes[$0], bytes[$0 + 1]) }.joined(separator: ":") + "::/64"
        default:
            return address.ipAddress ?? "unknown"
        }
    }

    func verify(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let body = try await BodyReader.decode(VerifyRequest.self, from: request, limit: 4096)
        let answer = try await scan(text: body.code, field: "code", location: body.location, context: context)
        return try Self.json(answer)
    }

    func verifyPage(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let language = VerifyHTML.Language.from(acceptLanguage: request.headers[.acceptLanguage],
                                                query: request.uri.queryParameters["lang"].map(String.init))
        let outcome: Result<VerifyAnswer, RegistrarError> = await pageScan(context)
        switch outcome {
        case .success(let answer):
            var shown = answer
            if language != .en { shown.message = "" }  // the answer's sentence is English; the page says it in the buyer's language
            return Self.verifyHTML(VerifyHTML.page(shown, language: language), status: .ok)
        case .failure(let error):
            let page = VerifyHTML.refusalPage(status: Int(error.status.code), retryAfter: error.headers[.retryAfter], title: error.body.code.rawValue,
                                              message: error.body.message, language: language)
            var response = Self.verifyHTML(page, status: error.status)
            response.headers[.retryAfter] = error.headers[.retryAfter]
            return response
        }
    }

    /// The page records one scan per client and code in ``RetailLimits/locationWindow``: a reload, the back button or a
    /// change of language within it shows the same scan (and its location button) without counting another.
    private func pageScan(_ context: RegistrarContext) async -> Result<VerifyAnswer, RegistrarError> {
        do throws(RegistrarError) {
            try await chargeClient(context)
            let code = try parse(code: context.parameters.get("code") ?? "", field: "code")
            let client = Self.clientKey(context.channel.remoteAddress)
            let now = retail.clock()
            if let recent = recentPageScans.recent(client: client, code: code.rawValue, now: now) {
                let store = try retailStore
                let facts = try await call(context.logger) { () async throws(StoreError) in try await store.verifyFacts(code.rawValue) }
                let scan = ScanRecord(id: recent, code: code.rawValue, at: now, verdict: RetailRules.verdict(facts))
                return .success(Self.answer(ScanOutcome(scan: scan, facts: facts, alerts: [])))
            }
            let answer = try await scan(text: code.rawValue, field: "code", location: nil, context: context)
            if let id = answer.scan { recentPageScans.remember(client: client, code: code.rawValue, scan: id, now: now) }
            return .success(answer)
        } catch {
            return .failure(error)
        }
    }

    static func verifyHTML(_ page: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .contentSecurityPolicy: VerifyHTML.contentSecurityPolicy,
            HTTPField.Name("Referrer-Policy")!: "no-referrer", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ], body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    /// Records a scan of `text` and answers what a buyer may see.
    func scan(text: String, field: String, location: ScanLocation?, context: RegistrarContext) async throws(RegistrarError) -> VerifyAnswer {
        let code = try parse(code: text, field: field)
        if let location, let problem = LocationCheck.problem(location) { throw .invalidField(problem.field, problem.message) }
        let store = try retailStore
        let now = retail.clock()
        let command = ScanCommand(id: UUID(), code: code.rawValue, at: now, location: location, region: location.map(KazakhstanRegions.region(of:)))
        let outcome = try await call(context.logger) { () async throws(StoreError) in try await store.recordScan(command, evaluate: evaluator) }
        metrics.scanned(outcome)
        return Self.answer(outcome)
    }

    func scanLocation(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        guard let id = context.parameters.get("scan").flatMap(UUID.init(uuidString:)) else {
            throw RegistrarError.invalidField("scan", "expected the scan id a verification answered (a UUID)")
        }
        let location = try await BodyReader.decode(ScanLocation.self, from: request, limit: 1024)
        if let problem = LocationCheck.problem(location) {
            throw RegistrarError.invalidField(problem.field.replacingOccurrences(of: "location.", with: ""), problem.message)
        }
        let store = try retailStore
        let command = ScanLocationCommand(id: id, location: location, region: KazakhstanRegions.region(of: location), now: retail.clock())
        let outcome = try await call(context.logger) { () async throws(StoreError) in try await store.addScanLocation(command, evaluate: evaluator) }
        metrics.alerts(outcome.alerts)
        return Response(status: .noContent)
    }

    /// The analytics' rules as a store's evaluator.
    var evaluator: ScanEvaluator {
        let rules = retail.analytics
        return { scan, facts, earlier, earlierAlerts in
            let codeFacts = CodeFacts(known: facts != nil, activated: facts.map { $0.status == .activated || $0.status == .redeemed } ?? false,
                                      writtenOff: facts?.status == .writtenOff, redeemedAt: facts?.redeemedAt, producer: facts?.owner)
            return AlertEngine.evaluate(scan: scan, facts: codeFacts, earlier: earlier, earlierAlerts: earlierAlerts, rules: rules)
        }
    }

    /// What a buyer may see: the product and its stamp, never a holder, a buyer, an order or a price.
    static func answer(_ outcome: ScanOutcome) -> VerifyAnswer {
        let verdict = outcome.scan.verdict
        guard let facts = outcome.facts else {
            return VerifyAnswer(code: outcome.scan.code, verdict: verdict, status: "—", redeemed: false,
                                message: "This stamp was not issued by the registrar: the product may be counterfeit. Do not buy it; report it to the revenue body (1414).",
                                scan: outcome.scan.id)
        }
        let status = switch facts.status {
        case .issued: "Берілген"
        case .activated: "Белсендірілген"
        case .writtenOff: "Есептен шығарылған"
        case .redeemed: "Өтелген"
        }
        let message = switch verdict {
        case .genuine: "A genuine excise stamp on a product declared produced; not yet sold at retail."
        case .redeemed: "Sold at retail. Expected on a bottle you have just bought; on a shop shelf it means the stamp was used before."
        case .notActivated: "The stamp was issued but the product was never declared produced: do not buy it; report it to the revenue body (1414)."
        case .writtenOff: "The stamp was written off and must not be on a product: do not buy it; report it to the revenue body (1414)."
        case .unknown: "This stamp was not issued by the registrar: the product may be counterfeit."
        }
        return VerifyAnswer(code: facts.code, verdict: verdict, status: status,
                            product: VerifiedProduct(name: facts.productName, productCode: facts.productCode), producer: facts.owner,
                            producerName: facts.ownerName, activatedOn: facts.activatedAt.flatMap(Self.astanaDay),
                            redeemed: facts.status == .redeemed, redeemedOn: facts.redeemedAt.flatMap(Self.astanaDay), message: message,
                            scan: outcome.scan.id)
    }

    /// The Astana calendar day of an instant; nil outside the days a `CalendarDate` holds (1970–9999).
    static func astanaDay(_ at: Timestamp) -> CalendarDate? {
        let civil = AstanaTime.components(of: at.date)
        return CalendarDate(String(format: "%04d-%02d-%02d", civil.year, civil.month, civil.day))
    }

    // MARK: Counterfeit analytics (revenue body, registrar)

    func listAlerts(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        _ = try require(context, [.revenueBody, .registrar], "read counterfeit alerts")
        let query = request.uri.queryParameters
        var alertQuery = AlertQuery()
        alertQuery.kind = try enumParameter(query["kind"], "kind")
        if let code = query["code"] { alertQuery.code = try parse(code: String(code), field: "code").rawValue }
        if let region = query["region"] {
            guard KazakhstanRegions.names.contains(String(region)) || region == "abroad" else {
                throw RegistrarError.invalidField("region", "expected one of \(KazakhstanRegions.names.joined(separator: ", ")), abroad")
            }
            alertQuery.region = String(region)
        }
        if let producer = query["producer"] {
            guard let bin = TaxpayerID(String(producer)) else { throw RegistrarError.invalidField("producer", "expected an IIN/BIN of 12 digits with a valid check digit") }
            alertQuery.producer = bin
        }
        alertQuery.from = try instant(query["from"], "from")
        alertQuery.to = try instant(query["to"], "to")
        alertQuery.before = try cursor(query["before"], "before")
        alertQuery.limit = try pageLimit(query["limit"], default: TradeLimits.defaultPage, max: TradeLimits.maxPage)
        let store = try retailStore
        let page = try await call(context.logger) { () async throws(StoreError) in try await store.alerts(alertQuery) }
        return try Self.json(AlertPage(items: page.items, next: page.last))
    }

    func listScans(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        _ = try require(context, [.revenueBody, .registrar], "read consumers' scans")
        guard let text = request.uri.queryParameters["code"] else { throw RegistrarError.missingField("code") }
        let code = try parse(code: String(text), field: "code")
        let limit = try pageLimit(request.uri.queryParameters["limit"], default: TradeLimits.defaultPage, max: TradeLimits.maxPage)
        let store = try retailStore
        let scans = try await call(context.logger) { () async throws(StoreError) in try await store.scans(code: code.rawValue, limit: limit) }
        return try Self.json(ScanPage(code: code.rawValue, items: scans))
    }

    func scanReport(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        _ = try require(context, [.revenueBody, .registrar], "read the scan report")
        let query = request.uri.queryParameters
        guard let from = try instant(query["from"], "from") else { throw RegistrarError.missingField("from") }
        guard let to = try instant(query["to"], "to") else { throw RegistrarError.missingField("to") }
        guard from < to else { throw RegistrarError.invalidField("to", "the period ends before it begins") }
        let store = try retailStore
        let report = try await call(context.logger) { () async throws(StoreError) in try await store.scanReport(from: from, to: to) }
        return try Self.json(report)
    }

    /// `GET /v1/analytics/alerts/stream`: Server-Sent Events, one `alert` event per alert (id = the alert's id), from
    /// `Last-Event-ID` or `?after=` (default: only new alerts); a comment line every heartbeat keeps proxies open.
    func alertStream(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        _ = try require(context, [.revenueBody, .registrar], "read the alert stream")
        let store = try retailStore
        let start: Int64
        if let text = request.headers[Self.lastEventID] {
            start = try Self.eventID(text, field: "Last-Event-ID")
        } else if let text = request.uri.queryParameters["after"] {
            start = try Self.eventID(String(text), field: "after")
        } else {
            start = try await call(context.logger) { () async throws(StoreError) in try await store.alerts(AlertQuery(limit: 1)).items.first?.id ?? 0 }
        }
        let heartbeat = streamConfiguration.heartbeat.duration
        let channel = context.channel, readiness = readiness
        let headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no"]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var last = start
            var quiet = Duration.zero
            let encoder = WireCoding.encoder()
            // Ends when the client goes away or the server shuts down gracefully (within a second of either).
            while !Task.isCancelled, channel.isActive, readiness.isReady {
                let alerts = try await store.alerts(after: last, limit: 200)
                if alerts.isEmpty {
                    if quiet >= heartbeat {
                        try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                        quiet = .zero
                    }
                    try await Task.sleep(for: .seconds(1))
                    quiet += .seconds(1)
                    continue
                }
                var buffer = ByteBuffer()
                for alert in alerts {
                    buffer.writeString("id: \(alert.id)\nevent: alert\ndata: ")
                    buffer.writeBytes(try encoder.encode(alert))
                    buffer.writeString("\n\n")
                    last = alert.id
                }
                try await writer.write(buffer)
                quiet = .zero
            }
            try await writer.finish(nil)
        })
    }
}

/// The scans the stamp-check page recorded lately, by client and code (in memory, never stored; bounded).
final class RecentPageScans: Sendable {
    private let table = Mutex<[String: (scan: UUID, at: Int64)]>([:])

    func recent(client: String, code: String, now: Timestamp) -> UUID? {
        table.withLock { table in
            guard let entry = table[client + " " + code], now.milliseconds - entry.at < RetailLimits.locationWindow else { return nil }
            return entry.scan
        }
    }

    func remember(client: String, code: String, scan: UUID, now: Timestamp) {
        table.withLock { table in
            if table.count >= 100_000 { table = table.filter { now.milliseconds - $0.value.at < RetailLimits.locationWindow } }
            if table.count < 100_000 { table[client + " " + code] = (scan, now.milliseconds) }
        }
    }
}

/// `GET /v1/fdo/gaps`.
public struct ReceiptGapPage: Codable, Sendable, Equatable {
    public var items: [ReceiptGap]
    public var next: Int64?
}

/// `GET /v1/analytics/scans?code=`.
public struct ScanPage: Codable, Sendable, Equatable {
    public var code: String
    public var items: [ScanRecord]
}

extension FiscalReceipt: StrictRequestBody {
    static let keyShape = KeyShape.object([
        "registrationNumber": .value, "factoryNumber": .value, "seller": .value, "number": .value, "fiscalSign": .value, "autonomousSign": .value,
        "autonomous": .value, "dateTime": .value, "operation": .value,
        "lines": .array(.object(["catalogueCode": .value, "name": .value, "quantity": .value, "markingCodes": .value])),
    ])
}

extension RedemptionRequest: StrictRequestBody {
    static let keyShape = KeyShape.object(["seller": .value, "number": .value, "codes": .value, "soldAt": .value])
}

extension RedemptionConsent: StrictRequestBody {
    static let keyShape = KeyShape.object(["participant": .value, "redeemOnCounterOrder": .value, "date": .value])
}

extension VerifyRequest: StrictRequestBody {
    static let keyShape = KeyShape.object(["code": .value, "location": .object(["latitude": .value, "longitude": .value, "accuracy": .value])])
}

extension ScanLocation: StrictRequestBody {
    static let keyShape = KeyShape.object(["latitude": .value, "longitude": .value, "accuracy": .value])
}
