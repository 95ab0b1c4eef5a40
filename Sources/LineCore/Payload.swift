/// Why a QR payload is not a stamp code. Every case names what was wrong; ``code`` is a stable machine name
/// (used as a metric label, in the outbox and in the registrar's `malformed` answer).
public enum MalformedPayload: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The payload has no bytes.
    case empty
    /// The payload is longer than the rules allow (a stamp's QR is small; a long payload is never a stamp).
    case tooLong(bytes: Int, limit: Int)
    /// The bytes are not valid UTF-8; `offset` is the first bad byte.
    case invalidUTF8(offset: Int)
    /// A control character (C0, DEL or C1) at byte `offset`.
    case controlCharacter(offset: Int, scalar: UInt32)
    /// A URL whose scheme is not accepted (only `https` by default).
    case schemeNotAllowed(String)
    /// A URL whose host is not one of the accepted hosts.
    case hostNotAllowed(String)
    /// A URL we cannot take apart (no host, user info, query or fragment, empty last segment).
    case badURL(String)
    /// A bare code where the rules require the URL form.
    case bareCodeNotAllowed
    /// The code part does not match the code pattern.
    case codeMismatch(candidate: String, length: Int, pattern: String)

    /// A stable machine-readable name of the reason.
    public var code: String {
        switch self {
        case .empty: "empty"
        case .tooLong: "too_long"
        case .invalidUTF8: "invalid_utf8"
        case .controlCharacter: "control_character"
        case .schemeNotAllowed: "scheme_not_allowed"
        case .hostNotAllowed: "host_not_allowed"
        case .badURL: "bad_url"
        case .bareCodeNotAllowed: "bare_code_not_allowed"
        case .codeMismatch: "code_mismatch"
        }
    }

    public var description: String {
        switch self {
        case .empty: "empty payload"
        case .tooLong(let bytes, let limit): "payload of \(bytes) bytes is longer than the limit of \(limit)"
        case .invalidUTF8(let offset): "payload is not valid UTF-8 (bad byte at offset \(offset))"
        case .controlCharacter(let offset, let scalar):
            "payload contains control character U+\(String(scalar, radix: 16, uppercase: true).leftPadded(to: 4)) at byte \(offset)"
        case .schemeNotAllowed(let scheme): "URL scheme \"\(scheme)\" is not accepted"
        case .hostNotAllowed(let host): "URL host \"\(host)\" is not an accepted host"
        case .badURL(let why): "URL cannot be used: \(why)"
        case .bareCodeNotAllowed: "a bare code is not accepted, the URL form is required"
        case .codeMismatch(let candidate, let length, let pattern):
            "code \"\(candidate)\" (\(length) characters) does not match the code pattern \(pattern)"
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
