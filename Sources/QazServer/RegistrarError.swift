import Foundation
import Hummingbird
import QazAPI

/// Every error the registrar answers with: an HTTP status, a stable ``ErrorCode``, a message and details,
/// rendered in the one error shape `{"error": {"code", "message", "details"}}`. Never carries a stack trace.
public struct RegistrarError: HTTPResponseError, Equatable, Sendable, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The body.
    public var body: ErrorBody
    /// Extra headers (e.g. `Retry-After`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: ErrorCode, _ message: String, details: [String: String]? = nil,
                headers: HTTPFields = [:]) {
        self.status = status
        self.body = ErrorBody(code: code, message: message, details: details)
        self.headers = headers
    }

    public var description: String { "\(status.code) \(body.code): \(body.message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let data = (try? WireCoding.encoder().encode(ErrorResponse(error: body))) ?? Data(#"{"error":{"code":"internal","message":"error"}}"#.utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: The errors of the contract

    static func invalidJSON(_ why: String) -> Self { .init(.badRequest, .invalidJSON, "the body is not valid JSON: \(why)") }
    static func invalidField(_ field: String, _ why: String) -> Self {
        .init(.unprocessableContent, .invalidField, "\(field): \(why)", details: ["field": field])
    }
    static func missingField(_ field: String) -> Self {
        .init(.unprocessableContent, .missingField, "\(field) is required", details: ["field": field])
    }
    static func bodyTooLarge(limit: Int) -> Self {
        .init(.contentTooLarge, .bodyTooLarge, "the body is larger than \(limit) bytes", details: ["limit": String(limit)])
    }
    static func batchTooLarge(count: Int, limit: Int, what: String = "items") -> Self {
        .init(.contentTooLarge, .batchTooLarge, "\(count) \(what), at most \(limit) per batch are accepted",
              details: ["limit": String(limit), "count": String(count)])
    }
    static let unauthenticated = Self(.unauthorized, .unauthenticated, "a valid bearer token is required",
                                      headers: [.wwwAuthenticate: "Bearer"])
    static let tokenExpired = Self(.unauthorized, .tokenExpired, "the token has expired", headers: [.wwwAuthenticate: "Bearer"])
    static func forbidden(_ what: String) -> Self { .init(.forbidden, .forbidden, "this token's role may not \(what)") }
    static func notOwner(_ codes: [String]) -> Self {
        .init(.forbidden, .notOwner, "these codes belong to another participant; nothing was changed",
              details: ["codes": codes.prefix(20).joined(separator: ","), "count": String(codes.count)])
    }
    static func notFound(_ what: String) -> Self { .init(.notFound, .notFound, "\(what) not found") }
    /// An importer's token on `POST /v1/activations` (cl. 19 is the producers' filling-line activation).
    static let useImportReport = Self(
        .forbidden, .useImportReport,
        "an importer's codes come into operation through its report on affixing stamps (App. 8, cl. 20 of the Rules): "
            + "file it with POST /v1/import-reports; POST /v1/activations is a producer's filling-line activation (cl. 19)",
        details: ["endpoint": "/v1/import-reports"])
    /// A participant other than the token's own named by a token that is not the registrar's.
    static func notOnBehalf(_ named: String) -> Self {
        .init(.forbidden, .forbidden, "participant \(named): only the registrar acts on another participant's behalf (cl. 24(2))",
              details: ["field": "participant"])
    }
    /// The registrar's token without the participant it acts for.
    static let participantRequired = Self(
        .unprocessableContent, .missingField,
        "participant is required of the registrar's token: the producer or importer it acts for (cl. 24(2))",
        details: ["field": "participant"])
    static func conflict(_ key: String) -> Self {
        .init(.conflict, .idempotencyConflict, "\(key) was used before with a different body; nothing was changed", details: ["key": key])
    }
    static func alreadyIssued(_ codes: [String]) -> Self {
        .init(.conflict, .alreadyIssued, "codes were issued before; the waybill was not recorded",
              details: ["codes": codes.prefix(20).joined(separator: ","), "count": String(codes.count)])
    }
    static func waybillMismatch(_ reason: String) -> Self {
        .init(.unprocessableContent, .waybillMismatch, "quantity, ranges and codes disagree: \(reason); the waybill was not recorded",
              details: ["reason": reason])
    }
    static func rateLimited(retryAfter seconds: Int) -> Self {
        .init(.tooManyRequests, .rateLimited, "over the participant's rate limit; retry after \(seconds) s",
              details: ["retryAfter": String(seconds)], headers: [.retryAfter: String(seconds)])
    }
    static let unavailable = Self(.serviceUnavailable, .unavailable, "storage is unavailable; retry later", headers: [.retryAfter: "1"])
    static let timeout = Self(.serviceUnavailable, .timeout, "the request took too long; retry", headers: [.retryAfter: "1"])
    static let internalError = Self(.internalServerError, .internal, "internal error; see the server log")

    /// Maps a store failure to the answer (store messages of unexpected failures stay in the log).
    static func from(_ error: StoreError) -> Self {
        switch error {
        case .idempotencyConflict(let key): .conflict(key)
        case .alreadyIssued(let codes): .alreadyIssued(codes)
        case .notOwner(let codes): .notOwner(codes)
        case .unavailable: .unavailable
        case .failure, .newerSchema: .internalError
        case .refused(let refusal):
            .init(HTTPResponse.Status(code: refusal.status), refusal.code, refusal.message, details: refusal.details.isEmpty ? nil : refusal.details)
        }
    }
}
