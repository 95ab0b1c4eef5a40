import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LineAgentTesting
import NIOCore
import LineCore
import Logging
import Prometheus
import QazAPI
import QazClient
@testable import QazServer
import ServiceLifecycle
import Testing

/// Builds valid IIN/BINs from 11 digits.
func bin(_ first11: String) -> TaxpayerID { TaxpayerID.completing(first11) }

let producerA = bin("97010112345")
let producerB = bin("98020254321")
let factoryBIN = bin("99030300001")
let registrarBIN = bin("99040400002")
let importerC = bin("97050567890")
/// A fiscal data operator.
let fdoBIN = bin("99060600003")

/// A code made of a prefix and a number: `QZA000000000000000001`.
func makeCode(_ prefix: String, _ number: Int) -> String {
    let digits = String(number)
    return prefix + String(repeating: "0", count: max(0, 18 - digits.count)) + digits
}

/// A waybill issuing `count` codes `prefix…start+i` on stamps `series` `start+i`.
func makeWaybill(number: String, to recipient: TaxpayerID, prefix: String, series: String = "AB", start: Int = 1, count: Int,
                 issuedOn: String = "2026-11-02") -> WaybillRequest {
    let codes = (0..<count).map { i in
        IssuedCode(code: makeCode(prefix, start + i), series: StampSeries(series)!, number: StampNumber(start + i)!)
    }
    return WaybillRequest(
        number: number, date: CalendarDate(issuedOn)!, issuedOn: CalendarDate(issuedOn)!,
        application: ApplicationReference(number: "APP-\(number)", date: CalendarDate("2026-10-28")!),
        recipient: Recipient(bin: recipient, name: "Test Distillery LLP"),
        product: WaybillProduct(name: "Vodka Test", type: "vodka", capacityMl: 500),
        ranges: [WaybillRange(series: StampSeries(series)!, first: StampNumber(start)!, last: StampNumber(start + count - 1)!)],
        quantity: count, codes: codes)
}

func items(_ codes: [String], at time: String = "2026-11-21T22:10:05+05:00", product: String = "DSN-0001") -> [ActivationItem] {
    codes.map { ActivationItem(code: $0, activatedAt: Timestamp(text: time)!, productCode: product) }
}

/// How a test reaches the registrar.
enum Wire: Sendable {
    /// In process, through the router (HummingbirdTesting's `.router`): no sockets; most tests.
    case router
    /// Over a loopback socket on an ephemeral port: for what needs sockets (TLS, streams, shutdown, the client's
    /// own connection handling).
    case socket
}

/// A registrar with tokens for the usual participants, and clients; in process or on 127.0.0.1 (see ``Wire``).
struct Registrar: Sendable {
    /// The loopback port (socket tests only).
    var port: Int {
        guard let socketPort else { preconditionFailure("this test needs a socket: withRegistrar(over: .socket)") }
        return socketPort
    }
    let socketPort: Int?
    /// The in-process router (router tests only).
    let routerClient: (any TestClientProtocol)?
    let store: any RegistrarStore
    let server: RegistrarServer
    let tokens: [String: String]
    var scheme = "http"
    /// The service group running the server (socket tests: to trigger a graceful shutdown from a test).
    var group: ServiceGroup {
        guard let socketGroup else { preconditionFailure("this test needs a socket: withRegistrar(over: .socket)") }
        return socketGroup
    }
    let socketGroup: ServiceGroup?
    /// The test's temporary directory (the `sqlite-file` backend's database is `registrar.sqlite` in it).
    var directory: URL? = nil
    var baseURL: String { socketPort == nil ? "http://router" : "\(scheme)://127.0.0.1:\(port)" }

    /// Opens `GET /v1/stream/activations…` as `who` (a name of ``tokens``, or a raw token, or nil for none) and reads
    /// the response head.
    func stream(_ who: String?, query: String = "", headers: [(String, String)] = [], receiveBuffer: Int32? = nil) async throws -> SSEConnection {
        let connection = try SSEConnection(port: port, path: "/v1/stream/activations" + query, token: who.map { tokens[$0] ?? $0 },
                                           headers: headers, receiveBuffer: receiveBuffer)
        try await connection.readHead()
        return connection
    }

    /// A client speaking as one of `producerA`, `producerB`, `factory`, `registrar`, `revenue`, `expired`.
    func client(_ who: String, maxAttempts: Int = 1, maxBatchItems: Int = 10_000, rps: Double = 10_000, burst: Int = 10_000,
                requestTimeout: Duration = .seconds(60), tls: ClientTLS? = nil) throws -> QazAPIClient {
        let configuration = QazClientConfiguration(
            baseURL: baseURL, token: tokens[who] ?? who, requestTimeout: requestTimeout, tls: tls, maxBatchItems: maxBatchItems,
            requestsPerSecond: rps, burst: burst, maxAttempts: maxAttempts, initialBackoff: .milliseconds(20))
        if let routerClient {
            return QazAPIClient(configuration: configuration, transport: RouterTransport(client: routerClient), logger: quietLogger)
        }
        return try QazAPIClient(configuration: configuration, logger: quietLogger)
    }

    /// Runs `body` with a client and shuts the client down afterwards.
    func with<T: Sendable>(_ who: String, maxAttempts: Int = 1, maxBatchItems: Int = 10_000,
                           _ body: (QazAPIClient) async throws -> T) async throws -> T {
        let client = try client(who, maxAttempts: maxAttempts, maxBatchItems: maxBatchItems)
        do {
            let value = try await body(client)
            try await client.shutdown()
            return value
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Issues `count` codes to `recipient` through the store directly (set-up, not under test).
    func issue(_ count: Int, to recipient: TaxpayerID, prefix: String, series: String = "AB", start: Int = 1, number: String? = nil,
               issuedOn: String = "2026-11-02", name: String = "Test Distillery LLP") async throws -> [String] {
        var waybill = makeWaybill(number: number ?? "WB-\(prefix)-\(start)", to: recipient, prefix: prefix, series: series, start: start,
                                  count: count, issuedOn: issuedOn)
        waybill.recipient.name = name
        let command = try server.validator.waybill(waybill, now: .now)
        _ = try await store.recordWaybill(command)
        return waybill.codes.map(\.code)
    }
}

/// The storage backends every HTTP test can run against (`arguments: TestBackend.allCases`).
enum TestBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqliteMemory = "sqlite-memory"
    case sqliteFile = "sqlite-file"
    /// A fresh database on a PostgreSQL server the tests start themselves (``PostgresTestServer``).
    case postgres
    var description: String { rawValue }

    func makeStore(in directory: URL) async throws -> any RegistrarStore {
        switch self {
        case .sqliteMemory: return try SQLiteRegistrarStore()
        case .sqliteFile: return try SQLiteRegistrarStore(path: directory.appendingPathComponent("registrar.sqlite").path)
        case .postgres:
            return try PostgresRegistrarStore(url: try await PostgresTestServer.shared.makeDatabase(), poolSize: 6,
                                              logger: Logger(label: "postgres-test", factory: { _ in SwiftLogNoOpLogHandler() }))
        }
    }
}

func withRegistrar<T: Sendable>(over wire: Wire = .router, limits: LimitsConfiguration = LimitsConfiguration(),
                                backend: TestBackend = .sqliteMemory, tls: ServerTLSFiles? = nil,
                                stream: StreamConfiguration = StreamConfiguration(), store given: (any RegistrarStore)? = nil,
                                trade: TradeSettings = TradeSettings(), retail: RetailSettings = RetailSettings(),
                                _ body: (Registrar) async throws -> T) async throws -> T {
    var limits = limits
    if limits.requestsPerSecond == LimitsConfiguration().requestsPerSecond {
        limits.requestsPerSecond = 100_000
        limits.burst = 100_000
    }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qaz-\(UUID().uuidString)")
    let store: any RegistrarStore
    if let given { store = given } else { store = try await backend.makeStore(in: directory) }
    defer { try? FileManager.default.removeItem(at: directory) }
    // Starts a registrar (in process or on a socket), runs `body`, stops it gracefully.
    // The store runs (PostgreSQL's pool) for the whole test, around the server's group.
    return try await withRunningStore(store) {
        try await store.migrate()
        let server = RegistrarServer(store: store, limits: limits, stream: stream, trade: trade, retail: retail)
        let service = TokenService(store: store)
        var tokens = [String: String]()
        for (name, who, role) in [("producerA", producerA, Role.producer), ("producerB", producerB, .producer),
                                  ("factory", factoryBIN, .banknoteFactory), ("registrar", registrarBIN, .registrar),
                                  ("revenue", registrarBIN, .revenueBody),
                                  ("importerC", importerC, .importer), ("wholesaler", wholesalerW, .wholesaler),
                                  ("retailer", retailerR, .retailer), ("fdo", fdoBIN, .fiscalDataOperator)] {
            tokens[name] = try await service.issue(participant: who, role: role).token
        }
        tokens["expired"] = try await service.issue(participant: producerA, role: .producer,
                                                    expiresAt: Timestamp(milliseconds: Timestamp.now.milliseconds - 1000)).token
        var logger = Logger(label: "qazserver-test")
        logger.logLevel = .warning
        if tls != nil || wire == .socket {
            return try await server.withLoopbackServer(logger: logger, tls: tls) { port, group in
                try await body(Registrar(socketPort: port, routerClient: nil, store: store, server: server, tokens: tokens,
                                         scheme: tls == nil ? "http" : "https", socketGroup: group, directory: directory))
            }
        }
        // In process: the router's test closure runs in a child task until the body is done.
        let app = try server.application(host: "127.0.0.1", port: 0, logger: logger)
        let (done, finish) = AsyncStream<Void>.makeStream()
        let (clients, yield) = AsyncStream<any TestClientProtocol>.makeStream()
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { yield.finish() }  // a router that fails to start ends the wait for its client
                try await app.test(.router) { client in
                    yield.yield(client)
                    for await _ in done {}
                }
            }
            var iterator = clients.makeAsyncIterator()
            guard let client = await iterator.next() else {
                try await tasks.next()
                throw CancellationError()
            }
            let registrar = Registrar(socketPort: nil, routerClient: client, store: store, server: server, tokens: tokens, socketGroup: nil,
                                      directory: directory)
            do {
                let value = try await body(registrar)
                finish.finish()
                try await tasks.waitForAll()
                return value
            } catch {
                finish.finish()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}

/// The client's transport for in-process tests: each request goes straight to the router (no sockets).
struct RouterTransport: HTTPTransport {
    let client: any TestClientProtocol

    func execute(method: String, path: String, headers: [(String, String)], body: [UInt8]?, timeout: Duration)
        async throws(QazClientError) -> RawResponse
    {
        var fields = HTTPFields()
        for (name, value) in headers {
            guard let name = HTTPField.Name(name) else { throw .invalidRequest("header name \(name)") }
            fields.append(HTTPField(name: name, value: value))
        }
        guard let method = HTTPRequest.Method(method) else { throw .invalidRequest("method \(method)") }
        let (client, headerFields) = (client, fields)
        do {
            // The time limit as a socket client has it: a hung handler fails the test instead of hanging the suite.
            return try await withThrowingTaskGroup(of: RawResponse?.self) { group in
                group.addTask {
                    let response = try await client.executeRequest(uri: path, method: method, headers: headerFields,
                                                                   body: body.map { ByteBuffer(bytes: $0) })
                    return RawResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name.rawName, $0.value) },
                                       body: Array(buffer: response.body))
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else {
                    throw QazClientError.connection("router: no answer within \(timeout)")
                }
                return response
            }
        } catch let error as QazClientError {
            throw error
        } catch {
            throw .connection("router: \(error)")
        }
    }

    func shutdown() async throws {}
}

/// Quiet logs for test clients.
let quietLogger = Logger(label: "qazserver-test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Decodes an error answer; records an issue when the body is not the one error shape.
func errorBody(_ response: RawResponse) -> ErrorBody? {
    let decoded = try? WireCoding.decoder().decode(ErrorResponse.self, from: Data(response.body))
    #expect(decoded != nil, "not the error shape: \(String(decoding: response.body.prefix(300), as: UTF8.self))")
    return decoded?.error
}

/// Sends raw bytes to a path with a client's token.
func post(_ client: QazAPIClient, _ path: String, _ body: String) async throws -> RawResponse {
    try await client.raw(method: "POST", path: path, body: Array(body.utf8))
}

extension Error {
    /// The contract error code when this is a ``QazClientError`` answered by the registrar.
    var errorCode: ErrorCode? { (self as? QazClientError)?.errorCode }
    /// Whether this is a retryable ``QazClientError``.
    var isRetryable: Bool { (self as? QazClientError)?.isRetryable ?? false }
    /// The `Retry-After` of a ``QazClientError``.
    var retryAfter: Duration? { (self as? QazClientError)?.retryAfter }
}
