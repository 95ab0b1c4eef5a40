import AsyncHTTPClient
import ConsoleKit
import Foundation
import LineCore
import Logging
import NIOCore
import NIOHTTP1
import QazAPI
import QazServer
import RegistrarConsole
import Synchronization
import Testing

/// Builds a valid IIN/BIN from 11 digits (the last walked until a check digit exists) and its check digit.
func bin(_ first11: String) -> TaxpayerID {
    for last in 0...9 {
        let stem = String(first11.dropLast()) + String((Int(String(first11.last!))! + last) % 10)
        for check in 0...9 { if let id = TaxpayerID(stem + String(check)) { return id } }
    }
    preconditionFailure("no IIN/BIN starts with \(first11)")
}

let producerA = bin("97010112345")
let producerB = bin("98020254321")
let authorityBIN = bin("99040400002")

/// A clock the tests move (sessions, the throttle, the chart's hours).
final class TestClock: Sendable {
    private let time = Mutex(Date())
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// One HTTP answer, its body read whole.
struct Answer {
    var status: Int
    var headers: HTTPHeaders
    var body: String
    var location: String? { headers.first(name: "Location") }
}

/// A browser without JavaScript: keeps cookies, does not follow redirects.
final class Browser: @unchecked Sendable {
    let base: String
    let client: HTTPClient
    private(set) var cookies: [String: String] = [:]

    init(port: Int, client: HTTPClient) {
        base = "http://127.0.0.1:\(port)"
        self.client = client
    }

    func get(_ path: String) async throws -> Answer { try await send(.GET, path, form: nil) }

    func post(_ path: String, form: [(String, String)]) async throws -> Answer { try await send(.POST, path, form: form) }

    func request(_ method: HTTPMethod, _ path: String, form: [(String, String)]?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: Self.encode(form)))
        }
        return request
    }

    private func send(_ method: HTTPMethod, _ path: String, form: [(String, String)]?) async throws -> Answer {
        let response = try await client.execute(request(method, path, form: form), timeout: .seconds(30))
        keep(response.headers)
        let body = try await response.body.collect(upTo: 8 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    func keep(_ headers: HTTPHeaders) {
        for line in headers["Set-Cookie"] {
            let pair = line.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let name = pair[0].trimmingCharacters(in: .whitespaces), value = String(pair[1])
            if value.isEmpty || line.lowercased().contains("max-age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
    }

    func forget(_ name: String) { cookies[name] = nil }

    static func encode(_ form: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }

    /// The value of the first hidden `csrf` field of a page.
    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// Opens the sign-in page and posts `fields` with the form's token (and its cookie).
    func signIn(_ fields: [(String, String)]) async throws -> Answer {
        let page = try await get("/login")
        let token = try #require(Self.csrf(in: page.body), "the sign-in page has no form token")
        return try await post("/login", form: [("csrf", token), ("next", "/")] + fields)
    }
}

/// A registrar on 127.0.0.1 with the console, tokens for the usual roles, and a browser.
struct Console {
    let port: Int
    let store: any RegistrarStore
    let server: RegistrarServer
    let console: RegistrarConsole
    let clock: TestClock
    let client: HTTPClient
    let tokens: [String: String]

    func browser() -> Browser { Browser(port: port, client: client) }

    /// A browser signed in with the registrar's token.
    func signedIn(_ who: String = "registrar") async throws -> Browser {
        let browser = browser()
        let answer = try await browser.signIn([("token", tokens[who]!)])
        try #require(answer.status == 303, "sign-in answered \(answer.status): \(answer.body.prefix(300))")
        return browser
    }

    /// Issues `count` codes to `participant` by a waybill (through the store, as the API would record it).
    func issue(_ count: Int, to participant: TaxpayerID, prefix: String, series: String, name: String) async throws -> [String] {
        let codes = (1...count).map { prefix + String(format: "%018d", $0) }
        let waybill = try #require(WaybillRequest.consecutive(
            number: "WB-\(prefix)", date: CalendarDate("2026-11-02")!, recipient: Recipient(bin: participant, name: name),
            product: WaybillProduct(name: "Vodka Test", type: "vodka", capacityMl: 500), series: StampSeries(series)!, codes: codes))
        _ = try await store.recordWaybill(try server.command(for: waybill))
        return codes
    }

    /// Activates codes through `POST /v1/activations` with a producer's token, at `time` (the console's clock by default).
    func activate(_ codes: [String], as who: String = "producerA", at time: Date? = nil) async throws {
        let time = time ?? clock.now
        let batch = ActivationBatch(batchId: UUID(), lineId: "line-1", equipmentId: "cam-1",
                                    items: codes.map { ActivationItem(code: $0, activatedAt: Timestamp(time), productCode: "DSN-0001") })
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/activations")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(tokens[who]!)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try WireCoding.encoder().encode(batch)))
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        try #require(response.status == .ok, "activation answered \(response.status)")
    }
}

func withConsole<T: Sendable>(_ body: (Console) async throws -> T) async throws -> T {
    let store = try SQLiteRegistrarStore()
    try await store.migrate()
    let clock = TestClock()
    var logger = Logger(label: "registrar-console-test")
    logger.logLevel = .warning
    let console = try RegistrarConsole(logger: logger, liveInterval: .milliseconds(200), chartRefresh: .zero, now: { clock.now })
    var limits = LimitsConfiguration()
    limits.requestsPerSecond = 10_000
    limits.burst = 10_000
    let server = RegistrarServer(store: store, limits: limits, extensions: [console])
    let service = TokenService(store: store)
    var tokens: [String: String] = [:]
    for (name, who, role) in [("registrar", authorityBIN, Role.registrar), ("revenue", authorityBIN, .revenueBody),
                              ("producerA", producerA, .producer), ("producerB", producerB, .producer)] {
        tokens[name] = try await service.issue(participant: who, role: role).token
    }
    tokens["revoked"] = try await service.issue(participant: authorityBIN, role: .registrar).token
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    do {
        let value = try await server.withLoopbackServer(logger: logger) { port, _ in
            try await body(Console(port: port, store: store, server: server, console: console, clock: clock, client: client, tokens: tokens))
        }
        try await client.shutdown()
        return value
    } catch {
        try? await client.shutdown()
        throw error
    }
}
