import AsyncHTTPClient
import Delivery
import Foundation
import LineCore
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import QazAPI
import Synchronization

/// Settings of a ``QazAPIClient``.
public struct QazClientConfiguration: Sendable {
    /// The registrar's base URLs, the preferred first: `http://127.0.0.1:8080` or `https://registrar.example.kz` (no
    /// trailing slash). With several (`qazserver` instances over one database), requests move to the next on a
    /// connection failure and back to the first after `failback` (``FailoverTransport``).
    public var baseURLs: [String]
    /// The preferred (first) base URL; setting it replaces the list with that one address.
    public var baseURL: String {
        get { baseURLs.first ?? "" }
        set { baseURLs = [newValue] }
    }
    /// With several base URLs: after moving off the first, requests go back to it after this long.
    public var failback: Duration
    /// The bearer token (`qzt_…`).
    public var token: String
    /// Time allowed to establish a connection.
    public var connectTimeout: Duration
    /// Time allowed for one request, from sending to the whole answer.
    public var requestTimeout: Duration
    /// TLS: a custom CA and an optional client certificate.
    public var tls: ClientTLS?
    /// Batches with more items are split into several requests (the contract's limit is 10,000).
    public var maxBatchItems: Int
    /// Client-side rate limit: requests per second and burst (keep below the registrar's limit).
    public var requestsPerSecond: Double
    public var burst: Int
    /// Retries of retryable failures inside one call (1 = no retry: the caller retries, e.g. the outbox drainer).
    public var maxAttempts: Int
    /// First back-off delay (doubles per attempt, capped by `maxBackoff`); `Retry-After` wins when longer.
    public var initialBackoff: Duration
    public var maxBackoff: Duration

    /// One registrar address.
    public init(baseURL: String, token: String, connectTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(30),
                tls: ClientTLS? = nil, maxBatchItems: Int = 10_000, requestsPerSecond: Double = 20, burst: Int = 20,
                maxAttempts: Int = 3, initialBackoff: Duration = .milliseconds(200), maxBackoff: Duration = .seconds(10)) {
        self.init(baseURLs: [baseURL], token: token, connectTimeout: connectTimeout, requestTimeout: requestTimeout, tls: tls,
                  maxBatchItems: maxBatchItems, requestsPerSecond: requestsPerSecond, burst: burst, maxAttempts: maxAttempts,
                  initialBackoff: initialBackoff, maxBackoff: maxBackoff)
    }

    /// Several registrar addresses over one database, the preferred first (at least one).
    public init(baseURLs: [String], failback: Duration = .seconds(300), token: String, connectTimeout: Duration = .seconds(5),
                requestTimeout: Duration = .seconds(30), tls: ClientTLS? = nil, maxBatchItems: Int = 10_000,
                requestsPerSecond: Double = 20, burst: Int = 20, maxAttempts: Int = 3, initialBackoff: Duration = .milliseconds(200),
                maxBackoff: Duration = .seconds(10)) {
        self.baseURLs = baseURLs
        self.failback = failback
        self.token = token
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.tls = tls
        self.maxBatchItems = maxBatchItems
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }
}

/// PEM files for HTTPS to the registrar.
public struct ClientTLS: Sendable {
    /// A CA bundle to trust instead of the system's (a private registrar CA).
    public var caFile: String?
    /// A client certificate chain and its key, when the registrar requires mutual TLS.
    public var certificateFile: String?
    public var privateKeyFile: String?
    public init(caFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }
}

/// A raw HTTP answer (for tools and tests that look at status and headers themselves).
public struct RawResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
    /// The first value of a header (case-insensitive).
    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

/// A typed async client of the registrar's `/v1` contract (hand-written against `openapi.yaml`: see README).
///
/// Every failure is a ``QazClientError`` that says whether it is retryable. Retryable failures are retried up to
/// `maxAttempts` with exponential back-off (honouring `Retry-After`); permanent ones never are. Call ``shutdown()``
/// when done.
public final class QazAPIClient: ActivationSink, AggregationSink {
    public let configuration: QazClientConfiguration
    private let transport: any HTTPTransport
    private let limiter: ClientRateLimiter
    private let logger: Logger

    /// A client over HTTP(S) sockets (AsyncHTTPClient); with several base URLs, a ``FailoverTransport`` over one
    /// socket transport per address.
    /// - Parameters:
    ///   - configuration: where and how to connect.
    ///   - logger: the caller's logger.
    ///   - clock: the clock `failback` is measured on.
    ///   - onSwitch: called once each time the client moves to another registrar address (metrics).
    /// - Throws: ``QazClientError/invalidRequest(_:)`` when there is no base URL or the TLS files cannot be read.
    public convenience init(configuration: QazClientConfiguration, logger: Logger, clock: any Clock<Duration> = ContinuousClock(),
                            onSwitch: @escaping @Sendable (RegistrarSwitch) -> Void = { _ in }) throws(QazClientError) {
        guard !configuration.baseURLs.isEmpty else { throw .invalidRequest("no registrar base URL was given") }
        if configuration.baseURLs.count == 1 {
            self.init(configuration: configuration, transport: try SocketTransport(configuration: configuration), logger: logger)
            return
        }
        let tls = try SocketTransport.tlsSettings(configuration.tls)
        let transports: [any HTTPTransport] = configuration.baseURLs.map {
            SocketTransport(baseURL: $0, configuration: configuration, tls: tls)
        }
        let addresses = RegistrarAddresses(urls: configuration.baseURLs, failback: configuration.failback, clock: clock)
        self.init(configuration: configuration,
                  transport: FailoverTransport(addresses: addresses, transports: transports, logger: logger, onSwitch: onSwitch),
                  logger: logger)
    }

    /// A client over the given transport (tests hand it an in-process router, or a ``FailoverTransport``).
    public init(configuration: QazClientConfiguration, transport: any HTTPTransport, logger: Logger) {
        self.configuration = configuration
        self.transport = transport
        self.logger = logger
        self.limiter = ClientRateLimiter(rate: configuration.requestsPerSecond, burst: configuration.burst)
    }

    /// The registrar address requests go to now, and the moves so far (one address: always the first, no moves).
    public var registrarStatus: RegistrarAddressStatus {
        (transport as? FailoverTransport)?.addresses.status()
            ?? RegistrarAddressStatus(urls: configuration.baseURLs, activeIndex: 0, failovers: 0, failbacks: 0)
    }

    /// Closes connections. Call once, before the client goes away.
    public func shutdown() async throws { try await transport.shutdown() }

    /// Runs `body` with this client and shuts the client down afterwards, whether `body` returns or throws.
    public func closing<T>(_ body: (QazAPIClient) async throws -> T) async throws -> T {
        do {
            let value = try await body(self)
            try await shutdown()
            return value
        } catch {
            try? await shutdown()
            throw error
        }
    }

    // MARK: Operations

    /// `POST /v1/activations` with one batch as given (at most 10,000 items; use ``deliver(_:)`` to split).
    /// - Returns: the answer, and whether it was the registrar's stored answer to an earlier identical request.
    public func activate(_ batch: ActivationBatch) async throws(QazClientError) -> (receipt: ActivationReceipt, replayed: Bool) {
        let response = try await send("POST", "/v1/activations", body: batch)
        let receipt = try decode(ActivationReceipt.self, response)
        return (receipt, response.header("Idempotent-Replayed") == "true")
    }

    /// `GET /v1/activations/{batchId}`: the stored answer.
    public func activation(batchId: UUID) async throws(QazClientError) -> ActivationReceipt {
        try decode(ActivationReceipt.self, try await send("GET", "/v1/activations/\(batchId.uuidString.lowercased())"))
    }

    /// `GET /v1/codes/{code}`.
    public func code(_ code: String) async throws(QazClientError) -> CodeInfo {
        try decode(CodeInfo.self, try await send("GET", "/v1/codes/\(Self.escape(code))"))
    }

    /// `GET /v1/pools/{bin}/codes`: one page.
    public func pool(bin: TaxpayerID, status: CodeStatus = .issued, after: String? = nil, limit: Int = 1000)
        async throws(QazClientError) -> CodePage
    {
        var path = "/v1/pools/\(bin.rawValue)/codes?status=\(status.rawValue)&limit=\(limit)"
        if let after { path += "&after=\(Self.escape(after))" }
        return try decode(CodePage.self, try await send("GET", path))
    }

    /// `POST /v1/waybills`.
    public func submitWaybill(_ waybill: WaybillRequest) async throws(QazClientError) -> WaybillReceipt {
        try decode(WaybillReceipt.self, try await send("POST", "/v1/waybills", body: waybill))
    }

    /// `POST /v1/write-offs`.
    public func writeOff(_ request: WriteOffRequest) async throws(QazClientError) -> WriteOffReceipt {
        try decode(WriteOffReceipt.self, try await send("POST", "/v1/write-offs", body: request))
    }

    /// `POST /v1/aggregations`.
    public func aggregate(_ batch: AggregationBatch) async throws(QazClientError) -> AggregationReceipt {
        try decode(AggregationReceipt.self, try await send("POST", "/v1/aggregations", body: batch))
    }

    /// `GET /v1/units/{unit}`: a case or pallet with one page of its contents.
    public func unit(_ code: String, after: String? = nil, limit: Int = 1000) async throws(QazClientError) -> UnitInfo {
        var path = "/v1/units/\(Self.escape(code))?limit=\(limit)"
        if let after { path += "&after=\(Self.escape(after))" }
        return try decode(UnitInfo.self, try await send("GET", path))
    }

    // MARK: Monthly reports (cl. 28)

    /// `GET /v1/reports/qr-usage?bin=&month=` as JSON: the registrar's App. 10 for a participant and month.
    public func usageReport(bin: TaxpayerID, month: ReportingMonth) async throws(QazClientError) -> QRUsageReport {
        try decode(QRUsageReport.self, try await send("GET", "/v1/reports/qr-usage?bin=\(bin.rawValue)&month=\(month)"))
    }

    /// `GET /v1/reports/qr-activation?bin=&month=` as JSON: the registrar's App. 9 for a participant and month.
    public func activationReport(bin: TaxpayerID, month: ReportingMonth) async throws(QazClientError) -> QRActivationReport {
        try decode(QRActivationReport.self, try await send("GET", "/v1/reports/qr-activation?bin=\(bin.rawValue)&month=\(month)"))
    }

    /// `POST /v1/reports/submissions` with a signed envelope `{"document": ReportSubmission, "signature": …}`, sent as
    /// the given bytes (the signature is over the document's canonical form, so the client never re-encodes it).
    /// Not retried inside the call: each submission is recorded by the registrar under a new id.
    public func submitReport(envelope: Data) async throws(QazClientError) -> ReportSubmissionResult {
        let response = try await raw(method: "POST", path: "/v1/reports/submissions", body: Array(envelope))
        guard (200..<300).contains(response.status) else { throw Self.failure(response) }
        return try decode(ReportSubmissionResult.self, response)
    }

    // MARK: ActivationSink

    /// Delivers records, splitting batches over `maxBatchItems` into parts with ids derived from the batch id
    /// (``derivedBatchId(_:part:)``: the same records always go out under the same ids). One outcome per record.
    public func deliver(_ submission: ActivationSubmission) async -> ActivationDelivery {
        let size = max(1, configuration.maxBatchItems)
        let parts = stride(from: 0, to: submission.records.count, by: size).map { start in
            start..<min(start + size, submission.records.count)
        }
        var outcomes = [RecordOutcome]()
        outcomes.reserveCapacity(submission.records.count)
        var ids = [UUID]()
        for (index, range) in parts.enumerated() {
            let id = parts.count == 1 ? submission.batchId : Self.derivedBatchId(submission.batchId, part: index)
            ids.append(id)
            let items = submission.records[range].map {
                ActivationItem(code: $0.code.rawValue, activatedAt: Timestamp($0.activatedAt), productCode: $0.productCode)
            }
            let batch = ActivationBatch(batchId: id, lineId: submission.lineId, equipmentId: submission.equipmentId, items: items)
            do {
                let (receipt, _) = try await activate(batch)
                guard receipt.results.count == items.count else {
                    let error = QazClientError.invalidResponse(status: 200, "\(receipt.results.count) results for \(items.count) items")
                    outcomes.append(contentsOf: items.map { _ in RecordOutcome(error) })
                    continue
                }
                outcomes.append(contentsOf: receipt.results.map(RecordOutcome.init))
            } catch {
                outcomes.append(contentsOf: items.map { _ in RecordOutcome(error) })
            }
        }
        return ActivationDelivery(outcomes: outcomes, sentBatchIds: ids)
    }

    /// The id of part `part` of a split batch: the parent's bytes with the part number mixed into the last two
    /// bytes and the version nibble set to 8 (custom), so it is stable across retries and distinct per part.
    public static func derivedBatchId(_ parent: UUID, part: Int) -> UUID {
        var bytes = parent.uuid
        bytes.6 = (bytes.6 & 0x0F) | 0x80
        bytes.14 ^= UInt8(truncatingIfNeeded: part >> 8)
        bytes.15 ^= UInt8(truncatingIfNeeded: part)
        bytes.13 ^= 0x5A // never equal to the parent, even for part 0
        return UUID(uuid: bytes)
    }

    // MARK: Transport

    /// Sends a request with retries of retryable failures; answers 2xx, throws everything else.
    func send(_ method: String, _ path: String, body: (some Encodable & Sendable)? = Optional<String>.none)
        async throws(QazClientError) -> RawResponse
    {
        var bytes: [UInt8]?
        if let body {
            do { bytes = Array(try WireCoding.encoder().encode(body)) } catch { throw .invalidRequest("cannot encode the body: \(error)") }
        }
        var attempt = 1
        var backoff = configuration.initialBackoff
        while true {
            do throws(QazClientError) {
                let response = try await raw(method: method, path: path, body: bytes, resendElsewhere: true)
                if (200..<300).contains(response.status) { return response }
                throw Self.failure(response)
            } catch {
                guard error.isRetryable, attempt < configuration.maxAttempts else { throw error }
                let wait = max(backoff, error.retryAfter ?? .zero)
                logger.info("retrying registrar request", metadata: [
                    "http.path": "\(path)", "http.attempt": "\(attempt)", "error.message": "\(error)", "retry.after_ms": "\(wait / .milliseconds(1))",
                ])
                do { try await Task.sleep(for: wait) } catch { throw .connection("cancelled") }
                attempt += 1
                backoff = min(backoff * 2, configuration.maxBackoff)
            }
        }
    }

    /// One HTTP exchange, after the client-side rate limit; no retry, no status check.
    /// - Parameters:
    ///   - method: `GET`, `POST`, …
    ///   - path: the path and query, e.g. `/v1/codes/QZ…`.
    ///   - body: JSON bytes, sent with `Content-Type: application/json`.
    ///   - headers: extra headers (replacing defaults of the same name).
    ///   - authorized: whether to send the bearer token.
    ///   - resendElsewhere: with several registrar addresses, whether the request may be sent to the next address when
    ///     the one in use fails (it carries an idempotency key, or changes nothing); nil: only `GET`, `HEAD`, `PUT`,
    ///     `DELETE`, `OPTIONS`. A request not re-sent moves the client on for the next request.
    public func raw(method: String, path: String, body: [UInt8]?, headers: [(String, String)] = [],
                    authorized: Bool = true, resendElsewhere: Bool? = nil) async throws(QazClientError) -> RawResponse
    {
        if let wait = limiter.acquire() {
            do { try await Task.sleep(for: wait) } catch { throw .connection("cancelled") }
        }
        var fields = [(String, String)]()
        if authorized { fields.append(("Authorization", "Bearer \(configuration.token)")) }
        fields.append(("Accept", "application/json"))
        if body != nil { fields.append(("Content-Type", "application/json")) }
        for (name, value) in headers {
            fields.removeAll { $0.0.lowercased() == name.lowercased() }
            fields.append((name, value))
        }
        if let failover = transport as? FailoverTransport, let resendElsewhere {
            return try await failover.execute(method: method, path: path, headers: fields, body: body, timeout: configuration.requestTimeout,
                                              resendElsewhere: resendElsewhere)
        }
        return try await transport.execute(method: method, path: path, headers: fields, body: body, timeout: configuration.requestTimeout)
    }

    static func failure(_ response: RawResponse) -> QazClientError {
        let retryAfter = response.header("Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
        if let body = try? WireCoding.decoder().decode(ErrorResponse.self, from: Data(response.body)) {
            return .server(status: response.status, error: body.error, retryAfter: retryAfter)
        }
        let text = String(decoding: response.body.prefix(200), as: UTF8.self)
        let error = ErrorBody(code: ErrorCode(rawValue: "http_\(response.status)"), message: text)
        return .server(status: response.status, error: error, retryAfter: retryAfter)
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: RawResponse) throws(QazClientError) -> T {
        do { return try WireCoding.decoder().decode(T.self, from: Data(response.body)) } catch {
            throw .invalidResponse(status: response.status, "\(error)")
        }
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}

/// The client-side token bucket: one per client, shared by its tasks.
final class ClientRateLimiter: Sendable {
    private let rate: Double
    private let burst: Double
    private let state: Mutex<(tokens: Double, updated: ContinuousClock.Instant)>

    init(rate: Double, burst: Int) {
        self.rate = max(rate, 0.001)
        self.burst = Double(max(burst, 1))
        self.state = Mutex((Double(max(burst, 1)), ContinuousClock.now))
    }

    /// Takes a token; returns how long to wait first (the token is reserved, so waiters queue fairly).
    func acquire() -> Duration? {
        let now = ContinuousClock.now
        return state.withLock { state in
            let elapsed = state.updated.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            state.tokens = min(burst, state.tokens + max(0, seconds) * rate)
            state.updated = now
            state.tokens -= 1
            return state.tokens >= 0 ? nil : .seconds(-state.tokens / rate)
        }
    }
}

extension QazAPIClient {
    // MARK: AggregationSink

    /// Sends events and classifies the answer: per-event results, or retry / failed for the whole request.
    public func deliver(_ batch: AggregationBatch) async -> AggregationDelivery {
        do {
            let receipt = try await aggregate(batch)
            guard receipt.results.count == batch.events.count else {
                return .retry(after: nil, reason: "the registrar answered \(receipt.results.count) results for \(batch.events.count) events")
            }
            return .answered(receipt.results)
        } catch {
            return error.isRetryable ? .retry(after: error.retryAfter, reason: error.description) : .failed(reason: error.description)
        }
    }
}
