import Delivery
import Foundation
import QazAPI

/// Why a request to the registrar did not produce an answer. Every case is either retryable (send the same
/// request again later: idempotency keys make that safe) or permanent (sending it again cannot succeed).
public enum QazClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No answer: refused or dropped connection, TLS failure, timeout. Retryable.
    case connection(String)
    /// The registrar answered with an error (`status` and the contract's error body). 5xx, 408 and 429 are
    /// retryable (429 and 503 carry `retryAfter`); every other 4xx is permanent.
    case server(status: Int, error: ErrorBody, retryAfter: Duration?)
    /// The answer could not be understood. Retryable: the request is idempotent, the stored answer is fetched again.
    case invalidResponse(status: Int, String)
    /// The request could not be built (bad base URL, unencodable body). Permanent.
    case invalidRequest(String)

    /// Whether sending the same request again may succeed.
    public var isRetryable: Bool {
        switch self {
        case .connection, .invalidResponse: true
        case .server(let status, _, _): status >= 500 || status == 429 || status == 408
        case .invalidRequest: false
        }
    }

    /// How long the registrar asked us to wait (`Retry-After`), if it did.
    public var retryAfter: Duration? {
        if case .server(_, _, let after) = self { return after }
        return nil
    }

    /// The contract's error code, when the registrar answered with one.
    public var errorCode: ErrorCode? {
        if case .server(_, let body, _) = self { return body.code }
        return nil
    }

    public var description: String {
        switch self {
        case .connection(let why): "connection failed: \(why)"
        case .server(let status, let error, _): "registrar answered \(status) \(error.code): \(error.message)"
        case .invalidResponse(let status, let why): "unreadable answer (HTTP \(status)): \(why)"
        case .invalidRequest(let why): "invalid request: \(why)"
        }
    }
}

extension RecordOutcome {
    /// Classifies a whole-batch failure: retry what may succeed later, dead-letter what cannot.
    public init(_ error: QazClientError) {
        self = error.isRetryable ? .retry(after: error.retryAfter, reason: error.description)
                                 : .failed(code: error.errorCode, reason: error.description)
    }
}
