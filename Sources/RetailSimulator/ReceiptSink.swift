import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import QazAPI

/// Why a ``ReceiptSink`` call got no answer about its receipts.
public enum ReceiptSinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No answer: refused connection, reset, timeout. Retried.
    case connection(String)
    /// The registrar is busy or failing (429, 503, 5xx, 408); `retryAfter` from its header. Retried, never sooner.
    case unavailable(status: Int, retryAfter: Duration?)
    /// The registrar refused the request itself (another 4xx: an invalid receipt, `idempotency_conflict`, a bad token…).
    case refused(status: Int, ErrorBody)
    /// A 2xx whose body is not the expected answer. Retried.
    case invalidAnswer(String)

    /// Whether sending the same request again later may succeed.
    public var isRetryable: Bool {
        if case .refused(let status, _) = self { return status == 401 || status == 403 }  // a token being renewed
        return true
    }

    /// The registrar's Retry-After, if any.
    public var retryAfter: Duration? {
        if case .unavailable(_, let retryAfter) = self { return retryAfter }
        return nil
    }

    public var description: String {
        switch self {
        case .connection(let reason): "no answer: \(reason)"
        case .unavailable(let status, let retryAfter): "HTTP \(status)" + (retryAfter.map { ", retry after \($0)" } ?? "")
        case .refused(let status, let body): "refused \(status) \(body.code): \(body.message)"
        case .invalidAnswer(let reason): "invalid answer: \(reason)"
        }
    }
}

/// Where the FDO relay forwards receipts: the registrar over HTTP (``RegistrarReceiptSink``), or
/// ``InMemoryReceiptSink`` in unit tests.
public protocol ReceiptSink: Sendable {
    /// Submits receipts (`POST /v1/fdo/receipts`); answers one ``ReceiptAnswer`` per receipt, in the order sent.
    /// - Parameter batch: up to ``RetailLimits/maxReceiptsPerBatch`` receipts.
    func submit(_ batch: ReceiptBatch) async throws(ReceiptSinkError) -> ReceiptBatchAnswer
    /// The registrar's current answer for one receipt (`GET /v1/fdo/receipts/{registrationNumber}/{number}`): how a
    /// `waiting` receipt is followed until it is applied.
    /// - Parameters:
    ///   - registrationNumber: the register.
    ///   - number: the receipt's number on it.
    func answer(registrationNumber: String, number: Int) async throws(ReceiptSinkError) -> ReceiptAnswer
}

/// The registrar's receipts endpoint over HTTP(S) with the FDO's bearer token (role `fdo`). Call ``shutdown()`` when done.
public final class RegistrarReceiptSink: ReceiptSink {
    private let http: HTTPClient
    private let baseURL: String
    private let token: String
    private let timeout: Duration

    /// - Parameters:
    ///   - baseURL: the registrar, e.g. `https://registrar.example.kz` (no `/v1`).
    ///   - token: a bearer token of role `fdo`.
    ///   - timeout: time allowed for one request's whole answer.
    public init(baseURL: String, token: String, timeout: Duration = .seconds(30)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.timeout = timeout
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false  // the relay retries, with backoff
        configuration.timeout = .init(connect: .seconds(5))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func submit(_ batch: ReceiptBatch) async throws(ReceiptSinkError) -> ReceiptBatchAnswer {
        let body: Data
        do { body = try WireCoding.encoder().encode(batch) } catch { throw .invalidAnswer("cannot encode the batch: \(error)") }
        return try await exchange(.POST, APIVersion.prefix + "/fdo/receipts", body: body)
    }

    public func answer(registrationNumber: String, number: Int) async throws(ReceiptSinkError) -> ReceiptAnswer {
        let register = registrationNumber.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? registrationNumber
        return try await exchange(.GET, APIVersion.prefix + "/fdo/receipts/\(register)/\(number)", body: nil)
    }

    /// Releases the connections.
    public func shutdown() async throws { try await http.shutdown() }

    private func exchange<Answer: Decodable>(_ method: HTTPMethod, _ path: String, body: Data?) async throws(ReceiptSinkError) -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let status: Int, headers: HTTPHeaders, bytes: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            status = Int(response.status.code)
            headers = response.headers
            bytes = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw .connection(String(describing: error))
        }
        let data = Data(bytes.readableBytesView)
        switch status {
        case 200..<300:
            do { return try WireCoding.decoder().decode(Answer.self, from: data) } catch { throw .invalidAnswer("\(error)") }
        case 408, 429, 500...:
            throw .unavailable(status: status, retryAfter: headers.first(name: "Retry-After").flatMap(Int.init).map { .seconds($0) })
        default:
            let body = (try? WireCoding.decoder().decode(ErrorResponse.self, from: data))?.error
                ?? ErrorBody(code: ErrorCode(rawValue: "http_\(status)"), message: String(decoding: data.prefix(300), as: UTF8.self))
            throw .refused(status: status, body)
        }
    }
}
