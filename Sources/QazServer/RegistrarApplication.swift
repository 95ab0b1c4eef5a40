import ConfigKit
import Foundation
import HTTPTypes
import Hummingbird
import LineCore
import Logging
import Metrics
import NIOCore
import Prometheus
import QazAPI
import ServiceLifecycle
import Synchronization

/// The request context of the registrar: Hummingbird's core context plus the caller's identity.
public struct RegistrarContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set on `/v1` routes once the bearer token is authenticated (``RegistrarServer/authenticated(_:)``).
    public var identity: Identity?
    /// The connection (the activation stream closes it to end a write a stalled client holds at shutdown).
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        channel = source.channel
    }
}

/// Flips to "not ready" when graceful shutdown starts, so `/ready` answers 503 while in-flight requests finish.
public final class Readiness: Service, Sendable {
    private let ready = Atomic<Bool>(true)
    public init() {}
    /// Whether the server accepts new work.
    public var isReady: Bool { ready.load(ordering: .relaxed) }
    public func run() async throws {
        try? await gracefulShutdown()
        ready.store(false, ordering: .relaxed)
    }
}

/// The metrics the registrar keeps (created once; dimensions bounded: route, status class, outcome).
struct RegistrarMetrics: Sendable {
    let factory: any MetricsFactory
    let activationItems: [ActivationOutcome: Metrics.Counter]
    let batches: Metrics.Counter
    let replays: Metrics.Counter
    let batchDuration: Metrics.Timer
    /// Aggregation events by outcome.
    let aggregationEvents: [AggregationOutcome: Metrics.Counter]

    init(factory: any MetricsFactory) {
        self.factory = factory
        var items = [ActivationOutcome: Metrics.Counter]()
        for outcome in ActivationOutcome.allCases {
            items[outcome] = Metrics.Counter(label: "qaz_activation_items_total", dimensions: [("result", outcome.rawValue)], factory: factory)
        }
        activationItems = items
        var events = [AggregationOutcome: Metrics.Counter]()
        for outcome in AggregationOutcome.allCases {
            events[outcome] = Metrics.Counter(label: "qaz_aggregation_events_total", dimensions: [("result", outcome.rawValue)], factory: factory)
        }
        aggregationEvents = events
        batches = Metrics.Counter(label: "qaz_activation_batches_total", factory: factory)
        replays = Metrics.Counter(label: "qaz_activation_replays_total", factory: factory)
        batchDuration = Metrics.Timer(label: "qaz_activation_batch_duration_seconds", factory: factory)
    }

    /// The request counter and timer of each (route, method, status) seen, created on first use and kept.
    private let requestHandles = RequestHandles()
    /// Trade operations by kind (`qaz_trade_operations_total{operation}`) and refused signatures by reason
    /// (`qaz_signature_refusals_total{reason}`); both label sets are bounded (operation kinds, signature error codes).
    private let tradeCounters = LabeledCounters(label: "qaz_trade_operations_total", dimension: "operation")
    private let signatureCounters = LabeledCounters(label: "qaz_signature_refusals_total", dimension: "reason")

    func trade(_ operation: OperationKind, by count: Int = 1) {
        tradeCounters.counter(operation.rawValue, factory: factory).increment(by: count)
    }

    func signatureRefused(_ reason: String) {
        signatureCounters.counter(reason, factory: factory).increment()
    }

    /// Retail: receipts by state (`qaz_receipts_total{state}`), marking codes by outcome
    /// (`qaz_redemption_codes_total{outcome}`), consumers' scans by verdict (`qaz_scans_total{verdict}`), alerts by kind
    /// (`qaz_counterfeit_alerts_total{kind}`), scans refused over the per-client limit. All label sets are enums.
    private let receiptCounters = LabeledCounters(label: "qaz_receipts_total", dimension: "state")
    private let redemptionCounters = LabeledCounters(label: "qaz_redemption_codes_total", dimension: "outcome")
    private let scanCounters = LabeledCounters(label: "qaz_scans_total", dimension: "verdict")
    private let alertCounters = LabeledCounters(label: "qaz_counterfeit_alerts_total", dimension: "kind")
    private let verifyLimitedCounter = LabeledCounters(label: "qaz_verify_rate_limited_total", dimension: "endpoint")

    func receipts(_ answers: [ReceiptAnswer]) {
        for answer in answers {
            receiptCounters.counter(answer.state.rawValue, factory: factory).increment()
            for line in answer.lines ?? [] { redemptionOutcomes(line.codes) }
        }
    }

    func redemptionOutcomes(_ codes: [CodeOutcome]) {
        for code in codes { redemptionCounters.counter(code.outcome.rawValue, factory: factory).increment() }
    }

    func scanned(_ outcome: ScanOutcome) {
        scanCounters.counter(outcome.scan.verdict.rawValue, factory: factory).increment()
        alerts(outcome.alerts)
    }

    func alerts(_ alerts: [CounterfeitAlert]) {
        for alert in alerts { alertCounters.counter(alert.kind.rawValue, factory: factory).increment() }
    }

    func verifyLimited() { verifyLimitedCounter.counter("verify", factory: factory).increment() }

    func request(route: String, method: String, status: Int, nanoseconds: Int64) {
        let handles = requestHandles.handles(route: route, method: method, status: status, factory: factory)
        handles.count.increment()
        handles.duration.recordNanoseconds(nanoseconds)
    }
}

/// Counters of one label and one dimension, created on first use of a value and kept (the values must be bounded).
final class LabeledCounters: Sendable {
    let label: String
    let dimension: String
    private let table = Mutex<[String: Metrics.Counter]>([:])
    init(label: String, dimension: String) {
        self.label = label
        self.dimension = dimension
    }
    func counter(_ value: String, factory: any MetricsFactory) -> Metrics.Counter {
        table.withLock { table in
            if let counter = table[value] { return counter }
            let counter = Metrics.Counter(label: label, dimensions: [(dimension, value)], factory: factory)
            table[value] = counter
            return counter
        }
    }
}

/// Request metric handles by dimension values; the dimensions are bounded (the router's routes and "unmatched",
/// the methods it answers, the statuses the registrar sends), so the table stays small.
final class RequestHandles: Sendable {
    struct Key: Hashable { let route: String, method: String, status: Int }
    struct Handles { let count: Metrics.Counter, duration: Metrics.Timer }
    private let table = Mutex<[Key: Handles]>([:])

    func handles(route: String, method: String, status: Int, factory: any MetricsFactory) -> Handles {
        table.withLock { table in
            let key = Key(route: route, method: method, status: status)
            if let handles = table[key] { return handles }
            let handles = Handles(
                count: Metrics.Counter(label: "qaz_http_requests_total",
                                       dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory),
                duration: Metrics.Timer(label: "qaz_http_request_duration_seconds", dimensions: [("route", route)], factory: factory))
            table[key] = handles
            return handles
        }
    }
}

/// Catches every error of a request and answers in the one error shape: contract errors as they are, Hummingbird's
/// errors by status, anything else as `internal` (the error itself goes to the log, never to the client). Also
/// records request metrics and one structured log line per request.
struct ErrorAndMetricsMiddleware: RouterMiddleware {
    typealias Context = RegistrarContext
    let metrics: RegistrarMetrics
    /// The router's routes, for 405.
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // A known path with a method it does not answer is 405 with `Allow`, not 404.
            let mapped = routes.methodNotAllowed(request.method, path: request.uri.path) ?? Self.map(error, logger: context.logger)
            response = try mapped.response(from: request, context: context)
        } catch {
            let mapped = Self.map(error, logger: context.logger)
            response = try mapped.response(from: request, context: context)
        }
        let elapsed = start.duration(to: .now)
        let nanos = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        let route = context.endpointPath ?? "unmatched"
        metrics.request(route: route, method: request.method.rawValue, status: response.status.code, nanoseconds: nanos)
        context.logger.info("request", metadata: [
            "http.method": "\(request.method)", "http.route": "\(route)", "http.status": "\(response.status.code)",
            "http.duration_ms": "\(nanos / 1_000_000)",
        ])
        return response
    }

    static func map(_ error: any Error, logger: Logger) -> RegistrarError {
        switch error {
        case let error as RegistrarError: return error
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound("route")
            case .methodNotAllowed: return RegistrarError(.methodNotAllowed, .methodNotAllowed, "method not allowed on this path")
            case .contentTooLarge: return RegistrarError(.contentTooLarge, .bodyTooLarge, "the body is larger than the server accepts")
            case .badRequest: return .invalidJSON(error.body ?? "bad request")
            default:
                logger.error("unexpected HTTP error", metadata: ["error.message": "\(error)"])
                return .internalError
            }
        case let error as StoreError:
            logger.error("storage failure", metadata: ["error.message": "\(error)"])
            return .from(error)
        default:
            logger.error("unexpected error", metadata: ["error.message": "\(String(reflecting: error))"])
            return .internalError
        }
    }
}

/// Builds the registrar's Hummingbird application.
public struct RegistrarServer: Sendable {
    public let store: any RegistrarStore
    public let limits: LimitsConfiguration
    public let rules: PayloadRules
    public let readiness: Readiness
    /// Wakes the live activation streams after ingest commits.
    public let activationFeed: ActivationFeed
    let streamConfiguration: StreamConfiguration
    let metrics: RegistrarMetrics
    let registry: PrometheusCollectorRegistry
    let validator: Validator
    let tokens: TokenService
    /// The participants' token buckets: this process's, or the database's with `cluster.rateLimits: shared`.
    let limiter: any RequestRateLimiter
    /// Routes outside the `/v1` API served by the same server (the registrar console), and their services.
    public let extensions: [any RegistrarHTTPExtension]
    /// Signature verification and the working-day calendar of the trade half.
    public let trade: TradeSettings
    /// Wakes the order expiry job when an order is saved or signed.
    let orderExpiryWake = WakeSignal()
    /// The retail half's settings: the receipt gap wait, the public endpoint's limits, the analytics' rules.
    public let retail: RetailSettings
    /// The consumers' token buckets, by client address (in memory, or with `cluster.rateLimits: shared` in the
    /// database's unlogged `rate_bucket` table; never stored with a scan).
    let verifyLimiter: any RequestRateLimiter
    /// This instance's name and job leases, and where the rate limits live.
    public let cluster: ClusterSettings
    /// The stamp-check page's recent scans by client and code (a reload counts no new scan).
    let recentPageScans = RecentPageScans()

    /// - Parameters:
    ///   - store: the storage backend (migrated before the server takes requests).
    ///   - limits: body size, batch size, rate limit and timeout.
    ///   - rules: what a stamp code looks like (anything else is `malformed`).
    ///   - registry: the Prometheus registry `/metrics` renders; the registrar's metrics are created in it.
    ///   - stream: the live activation stream's heartbeat and page size.
    ///   - extensions: routes outside the API (the registrar console), added after the API's routes.
    public init(store: any RegistrarStore, limits: LimitsConfiguration = LimitsConfiguration(), rules: PayloadRules = .default,
                registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), stream: StreamConfiguration = StreamConfiguration(),
                extensions: [any RegistrarHTTPExtension] = [], trade: TradeSettings = TradeSettings(), retail: RetailSettings = RetailSettings(),
                cluster: ClusterSettings = ClusterSettings()) {
        self.store = store
        self.cluster = cluster
        self.trade = trade
        self.retail = retail
        self.extensions = extensions
        self.activationFeed = ActivationFeed()
        self.streamConfiguration = stream
        self.limits = limits
        self.rules = rules
        self.registry = registry
        self.readiness = Readiness()
        self.metrics = RegistrarMetrics(factory: PrometheusMetricsFactory(registry: registry))
        self.validator = Validator(rules: rules, maxBatchItems: limits.maxBatchItems, maxCodeBytes: rules.maxPayloadBytes)
        self.tokens = TokenService(store: store)
        if cluster.sharedRateLimits, let shared = store as? any ClusterStore {
            let factory = metrics.factory
            self.limiter = SharedRateLimiter(store: shared, scope: "participant", rate: limits.requestsPerSecond, burst: limits.burst, factory: factory)
            self.verifyLimiter = SharedRateLimiter(store: shared, scope: "client", rate: retail.verifyRate, burst: retail.verifyBurst, factory: factory)
        } else {
            self.limiter = RateLimiter(rate: limits.requestsPerSecond, burst: limits.burst, clock: ContinuousClock())
            self.verifyLimiter = RateLimiter(rate: retail.verifyRate, burst: retail.verifyBurst, clock: ContinuousClock())
        }
    }

    /// The router with every route of the contract.
    public func router() -> Router<RegistrarContext> {
        // The 405 table is read from the same routes, added once to a router without middleware.
        let probe = Router(context: RegistrarContext.self)
        addRoutes(to: probe)
        let router = Router(context: RegistrarContext.self)
        router.add(middleware: ErrorAndMetricsMiddleware(metrics: metrics, routes: RouteTable(probe)))
        addRoutes(to: router)
        return router
    }

    private func addRoutes(to router: Router<RegistrarContext>) {
        router.get("health", use: limited { _, _ in try Self.json(HealthStatus(status: "ok")) })
        router.get("ready", use: limited { _, _ in
            guard readiness.isReady else {
                throw RegistrarError(.serviceUnavailable, .unavailable, "shutting down", headers: [.retryAfter: "1"])
            }
            do { try await store.ping() } catch { throw RegistrarError.unavailable }
            return try Self.json(HealthStatus(status: "ok"))
        })
        router.get("metrics", use: limited { _, _ in
            var buffer = [UInt8]()
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        })
        router.get("openapi.yaml", use: limited { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        })

        let v1 = router.group("v1")
        v1.post("waybills", use: authenticated(submitWaybill))
        v1.post("activations", use: authenticated(activate))
        v1.get("activations/:batchId", use: authenticated(storedActivation))
        v1.get("codes/:code", use: authenticated(lookUp))
        v1.get("pools/:bin/codes", use: authenticated(pool))
        v1.post("write-offs", use: authenticated(writeOff))
        v1.post("import-reports", use: authenticated(importReport))
        v1.get("reports/qr-usage", use: authenticated(usageReport))
        v1.get("reports/qr-activation", use: authenticated(activationReport))
        v1.get("stream/activations", use: authenticated(activationStream))
        v1.post("aggregations", use: authenticated(aggregate))
        v1.get("units/:unit", use: authenticated(unitLookUp))
        addTradeRoutes(to: v1)
        addRetailRoutes(to: v1, root: router)
        for routes in extensions { routes.register(on: router, server: self) }
    }

    /// A `/v1` handler: the caller authenticated by bearer token and charged to the participant's token bucket, then
    /// the handler; both under the request time limit (a token look-up on a stalled store is a `503 timeout` too).
    func authenticated(_ handler: @escaping @Sendable (Request, RegistrarContext) async throws -> Response)
        -> @Sendable (Request, RegistrarContext) async throws -> Response
    {
        limited { request, context in
            var context = context
            let identity = try await tokens.authenticate(request.headers[.authorization])
            if let wait = await limiter.acquire(identity.participant.rawValue) {
                let seconds = max(1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
                throw RegistrarError.rateLimited(retryAfter: seconds)
            }
            context.identity = identity
            context.logger[metadataKey: "participant.bin"] = "\(identity.participant)"
            context.logger[metadataKey: "token.id"] = "\(identity.tokenID)"
            try await refuseIfBlocked(request, identity, context.logger)
            return try await handler(request, context)
        }
    }

    /// Runs a handler under the request time limit: past it the handler is cancelled and the answer is `503 timeout`
    /// (the client retries; an activation that committed meanwhile is answered from storage on the retry, so nothing
    /// is lost or doubled). A stream's time limit covers its head; its events then flow for as long as it is open.
    func limited(_ handler: @escaping @Sendable (Request, RegistrarContext) async throws -> Response)
        -> @Sendable (Request, RegistrarContext) async throws -> Response
    {
        let timeout = limits.requestTimeout.duration
        return { request, context in
            try await withThrowingTaskGroup(of: Response.self) { group in
                group.addTask { try await handler(request, context) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw RegistrarError.timeout
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        }
    }

    // MARK: Handlers

    func submitWaybill(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.banknoteFactory, .registrar], "submit waybills")
        let waybill = try await BodyReader.decode(WaybillRequest.self, from: request, limit: Int(limits.maxBodySize.bytes))
        var command = try validator.waybill(waybill, now: .now)
        command.requireApplication = trade.requireApplications
        command.actor = identity.participant
        let stored = try await call(context.logger) { () async throws(StoreError) in try await store.recordWaybill(command) }
        context.logger.info("waybill recorded", metadata: [
            "waybill.number": "\(waybill.number)", "waybill.recipient": "\(waybill.recipient.bin)",
            "waybill.codes": "\(waybill.codes.count)", "waybill.replayed": "\(stored.replayed)", "participant.bin": "\(identity.participant)",
        ])
        return try Self.json(stored.value, status: stored.replayed ? .ok : .created)
    }

    func activate(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        // Producers activate on their filling lines (cl. 19); an importer's codes come into operation through its App. 8
        // report (cl. 20, `POST /v1/import-reports`); the registrar may do it for a producer (cl. 24(2)).
        let identity = try require(context, [.producer, .importer, .registrar], "activate codes")
        if identity.role == .importer { throw RegistrarError.useImportReport }
        let start = ContinuousClock.now
        let batch = try await BodyReader.decode(ActivationBatch.self, from: request, limit: Int(limits.maxBodySize.bytes))
        let participant = try onBehalf(identity, batch.participant)
        if identity.role == .registrar, let trade = store as? any TradeStore,
           try await call(context.logger, { () async throws(StoreError) in try await trade.account(participant) })?.kind == .importer {
            // The registrar acting for an importer files its App. 8 too (its account record says it imports).
            throw RegistrarError.useImportReport
        }
        let command = try validator.activation(batch, participant: participant, actor: identity.participant, now: .now)
        let stored = try await call(context.logger) { () async throws(StoreError) in try await store.activate(command) }
        metrics.batches.increment()
        if !stored.replayed, stored.value.summary.activated > 0 { activationFeed.activationsCommitted() }
        if stored.replayed {
            metrics.replays.increment()
        } else {
            let summary = stored.value.summary
            for (outcome, count) in [(ActivationOutcome.activated, summary.activated), (.alreadyActivated, summary.alreadyActivated),
                                     (.foreign, summary.foreign), (.unknown, summary.unknown), (.writtenOff, summary.writtenOff),
                                     (.malformed, summary.malformed)] where count > 0 {
                metrics.activationItems[outcome]?.increment(by: count)
            }
        }
        let spent = start.duration(to: .now)
        metrics.batchDuration.recordNanoseconds(spent.components.seconds * 1_000_000_000 + spent.components.attoseconds / 1_000_000_000)
        context.logger.info("activation batch", metadata: [
            "batch.id": "\(batch.batchId)", "batch.items": "\(batch.items.count)", "batch.replayed": "\(stored.replayed)",
            "batch.activated": "\(stored.value.summary.activated)",
        ])
        var response = try Self.json(stored.value)
        response.headers[HTTPField.Name("Idempotent-Replayed")!] = stored.replayed ? "true" : "false"
        return response
    }

    func storedActivation(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .revenueBody, .registrar], "read activations")
        guard let text = context.parameters.get("batchId"), let id = UUID(uuidString: text) else {
            throw RegistrarError.invalidField("batchId", "expected a UUID")
        }
        let receipt = try await call(context.logger) { () async throws(StoreError) in try await store.activation(batchId: id) }
        guard let receipt, !identity.role.ownsCodes || receipt.participant == identity.participant else {
            throw RegistrarError.notFound("batch \(id.uuidString.lowercased())")
        }
        return try Self.json(receipt)
    }

    func lookUp(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, Role.allCases, "look up codes")
        let text = context.parameters.get("code") ?? ""
        let code = try parse(code: text, field: "code")
        let info = try await call(context.logger) { () async throws(StoreError) in try await store.code(code) }
        guard let info else { throw RegistrarError.notFound("code \(code)") }
        // A participant sees the codes it owns, holds or held (a buyer under a counter-order); nobody else's.
        if identity.role.trades, info.owner != identity.participant {
            guard let trade = store as? any TradeStore,
                  let holdings = try await call(context.logger, { () async throws(StoreError) in try await trade.holdings(code) }),
                  holdings.holder == identity.participant || holdings.holdings.contains(where: { $0.participant == identity.participant })
            else { throw RegistrarError.notOwner([code.rawValue]) }
        }
        return try Self.json(info)
    }

    func pool(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .revenueBody, .registrar], "list pools")
        let binText = context.parameters.get("bin") ?? ""
        guard let bin = TaxpayerID(binText) else { throw RegistrarError.invalidField("bin", "expected an IIN/BIN of 12 digits with a valid check digit") }
        if identity.role.ownsCodes, bin != identity.participant { throw RegistrarError.notOwner(["pool \(bin)"]) }
        let query = request.uri.queryParameters
        let status: CodeStatus
        if let text = query["status"] {
            guard let value = CodeStatus(rawValue: String(text)) else { throw RegistrarError.invalidField("status", "expected issued, activated or writtenOff") }
            status = value
        } else {
            status = .issued
        }
        var limit = 1000
        if let text = query["limit"] {
            guard let value = Int(String(text)), (1...10_000).contains(value) else { throw RegistrarError.invalidField("limit", "expected an integer 1-10000") }
            limit = value
        }
        var after = query["after"].map(String.init)
        if let text = after, text.utf8.count > rules.maxPayloadBytes { throw RegistrarError.invalidField("after", "too long") }
        // No code holds a NUL, so everything after "x\0…" is everything after "x" (and PostgreSQL's text has no NUL).
        if let text = after, let nul = text.firstIndex(of: "\u{0}") { after = String(text[..<nul]) }
        let items = try await call(context.logger) { () async throws(StoreError) in try await store.pool(owner: bin, status: status, after: after, limit: limit) }
        return try Self.json(CodePage(items: items, next: items.count == limit ? items.last?.code : nil))
    }

    func writeOff(_ request: Request, _ context: RegistrarContext) async throws -> Response {
        let identity = try require(context, [.producer, .importer, .registrar], "write off codes")
        let body = try await BodyReader.decode(WriteOffRequest.self, from: request, limit: Int(limits.maxBodySize.bytes))
        if body.codes.count > limits.maxBatchItems { throw RegistrarError.batchTooLarge(count: body.codes.count, limit: limits.maxBatchItems) }
        if body.codes.isEmpty { throw RegistrarError.invalidField("codes", "expected at least one code") }
        guard (1...200).contains(body.reason.unicodeScalars.count) else { throw RegistrarError.invalidField("reason", "expected 1-200 characters") }
        let items = try validator.classify(body.codes, field: { "codes[\($0)]" })
        // A producer or importer writes off its own codes; the registrar anyone's, or only the participant's it names.
        var owner = body.participant
        if identity.role != .registrar { owner = try onBehalf(identity, body.participant) }
        let command = WriteOffCommand(participant: owner, requester: identity.participant,
                                      writtenOffAt: body.writtenOffAt, reason: body.reason, items: items)
        let receipt = try await call(context.logger) { () async throws(StoreError) in try await store.writeOff(command) }
        return try Self.json(receipt)
    }

    // MARK: Helpers

    /// The participant an operation is for: the token's own, or, for the registrar's token, the `participant` the
    /// request names (cl. 24(2): the registrar may perform any participant's operation; it is recorded as the actor).
    /// The registrar must name one; any other token naming a participant but its own is refused (403 forbidden).
    func onBehalf(_ identity: Identity, _ named: TaxpayerID?) throws(RegistrarError) -> TaxpayerID {
        if identity.role == .registrar {
            guard let named else { throw .participantRequired }
            return named
        }
        if let named, named != identity.participant { throw .notOnBehalf(named.rawValue) }
        return identity.participant
    }

    func require(_ context: RegistrarContext, _ roles: [Role], _ what: String) throws(RegistrarError) -> Identity {
        guard let identity = context.identity else { throw .unauthenticated }
        guard roles.contains(identity.role) else { throw .forbidden(what) }
        return identity
    }

    func parse(code text: String, field: String) throws(RegistrarError) -> StampCode {
        if text.utf8.count > rules.maxPayloadBytes {
            throw RegistrarError(.unprocessableContent, .codeTooLong, "\(field): no stamp code is longer than \(rules.maxPayloadBytes) bytes",
                                 details: ["field": field, "limit": String(rules.maxPayloadBytes)])
        }
        switch rules.parse(text) {
        case .success(let code): return code
        case .failure(let why): throw .invalidField(field, "not a stamp code (\(why.code): \(why))")
        }
    }

    /// Runs a store operation; unexpected storage failures are logged here and answered without their text.
    func call<T>(_ logger: Logger, _ body: () async throws(StoreError) -> T) async throws(RegistrarError) -> T {
        do { return try await body() } catch {
            switch error {
            case .unavailable, .failure: logger.error("storage failure", metadata: ["error.message": "\(error)"])
            default: break
            }
            throw RegistrarError.from(error)
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try WireCoding.encoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension RegistrarServer {
    /// Validates a waybill as `POST /v1/waybills` does and returns what the store records (for tools that load
    /// waybills without HTTP, such as the benchmark's seeding).
    public func command(for waybill: WaybillRequest, now: Timestamp = .now) throws(RegistrarError) -> WaybillCommand {
        try validator.waybill(waybill, now: now)
    }
}
