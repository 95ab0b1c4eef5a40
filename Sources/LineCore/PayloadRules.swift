/// The rules that turn the text of a stamp's QR into a ``StampCode``.
///
/// The seeds do not publish the payload syntax (digest D.1): the QR carries "an internet link and a unique code".
/// Our default is a URL whose last path segment is the code (`https://qr.example.kz/c/7KQ2M9X4TZ8WB3N5JH6R`),
/// or the bare code itself; the accepted hosts and the code pattern come from configuration.
public struct PayloadRules: Sendable {
    /// The default code pattern: 16–40 characters of `0-9A-Z`, captured as `code`.
    public static let defaultCodePattern = "^(?<code>[0-9A-Z]{16,40})$"
    /// The host of the example payloads; real deployments set the registrar's host.
    public static let defaultHosts = ["qr.example.kz"]
    /// A stamp's QR holds a short link; anything longer than this is never a stamp.
    public static let defaultMaxPayloadBytes = 512

    /// Hosts accepted in the URL form, lower-case. `*.example.kz` accepts every subdomain of `example.kz`.
    public let hosts: [String]
    /// URL schemes accepted (lower-case).
    public let schemes: [String]
    /// Whether a payload that is only the code (no URL) is accepted.
    public let allowBareCode: Bool
    /// The longest payload, in bytes, that is examined at all.
    public let maxPayloadBytes: Int
    /// The code pattern's source text (shown in errors).
    public let codePattern: String
    private let regex: CodeRegex

    /// Why a set of rules cannot be built.
    public enum RuleError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The pattern is not a valid regular expression; the associated text is the regex engine's message.
        case invalidPattern(String)
        /// The pattern has no named group `code`.
        case missingCodeGroup
        /// A host entry is empty or has characters a host cannot have.
        case invalidHost(String)
        public var description: String {
            switch self {
            case .invalidPattern(let why): "not a valid regular expression: \(why)"
            case .missingCodeGroup: "the pattern has no named group (?<code>…)"
            case .invalidHost(let host): "\"\(host)\" is not a host name"
            }
        }
    }

    /// Builds the rules; throws if the pattern does not compile or has no `code` group.
    public init(
        hosts: [String] = PayloadRules.defaultHosts,
        schemes: [String] = ["https"],
        allowBareCode: Bool = true,
        codePattern: String = PayloadRules.defaultCodePattern,
        maxPayloadBytes: Int = PayloadRules.defaultMaxPayloadBytes
    ) throws(RuleError) {
        for host in hosts where !Self.isValidHostPattern(host) { throw .invalidHost(host) }
        self.hosts = hosts.map { $0.lowercased() }
        self.schemes = schemes.map { $0.lowercased() }
        self.allowBareCode = allowBareCode
        self.maxPayloadBytes = maxPayloadBytes
        self.codePattern = codePattern
        self.regex = try CodeRegex(codePattern)
    }

    /// The default rules (cannot fail: the default pattern is a constant).
    public static let `default`: PayloadRules = {
        do { return try PayloadRules() } catch { preconditionFailure("default payload rules: \(error)") }
    }()

    /// Parses the raw bytes a decoder read from a QR symbol.
    public func parse(_ bytes: some Collection<UInt8>) -> Result<StampCode, MalformedPayload> {
        if bytes.isEmpty { return .failure(.empty) }
        if bytes.count > maxPayloadBytes { return .failure(.tooLong(bytes: bytes.count, limit: maxPayloadBytes)) }
        // Validate UTF-8 and refuse control characters, remembering byte offsets for the message.
        var offset = 0
        var scalars = String.UnicodeScalarView()
        var iterator = bytes.makeIterator()
        var utf8 = UTF8()
        decoding: while true {
            switch utf8.decode(&iterator) {
            case .scalarValue(let scalar):
                if Self.isControl(scalar) {
                    return .failure(.controlCharacter(offset: offset, scalar: scalar.value))
                }
                scalars.append(scalar)
                offset += UTF8.width(scalar)
            case .emptyInput: break decoding
            case .error: return .failure(.invalidUTF8(offset: offset))
            }
        }
        return parse(text: String(scalars))
    }

    /// Parses a payload that is already text.
    public func parse(_ text: String) -> Result<StampCode, MalformedPayload> {
        parse(Array(text.utf8))
    }

    private func parse(text: String) -> Result<StampCode, MalformedPayload> {
        let candidate: Substring
        if let schemeEnd = text.firstRange(of: "://") {
            let scheme = text[..<schemeEnd.lowerBound].lowercased()
            guard schemes.contains(scheme) else { return .failure(.schemeNotAllowed(String(scheme.prefix(32)))) }
            let rest = text[schemeEnd.upperBound...]
            if rest.contains("?") || rest.contains("#") { return .failure(.badURL("a query or fragment is not expected")) }
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if authority.contains("@") { return .failure(.badURL("user info is not expected")) }
            var host = authority
            if let colon = authority.lastIndex(of: ":") {
                let port = authority[authority.index(after: colon)...]
                guard !port.isEmpty, port.allSatisfy(\.isASCIIDigit) else { return .failure(.badURL("invalid port")) }
                host = authority[..<colon]
            }
            if host.isEmpty { return .failure(.badURL("no host")) }
            let lowerHost = host.lowercased()
            guard hostAccepted(lowerHost) else { return .failure(.hostNotAllowed(String(lowerHost.prefix(253)))) }
            let path = rest[authorityEnd...]
            guard let lastSlash = path.lastIndex(of: "/") else { return .failure(.badURL("no path with a code")) }
            candidate = path[path.index(after: lastSlash)...]
            if candidate.isEmpty { return .failure(.badURL("the last path segment is empty")) }
        } else {
            guard allowBareCode else { return .failure(.bareCodeNotAllowed) }
            candidate = text[...]
        }
        if let code = regex.code(in: candidate) { return .success(StampCode(trusted: code)) }
        return .failure(.codeMismatch(candidate: String(candidate.prefix(64)), length: candidate.count, pattern: codePattern))
    }

    private func hostAccepted(_ host: String) -> Bool {
        hosts.contains { pattern in
            if pattern.hasPrefix("*.") { return host.hasSuffix(pattern.dropFirst(1)) && host.count > pattern.count - 1 }
            return host == pattern
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func isValidHostPattern(_ host: String) -> Bool {
        let body = host.hasPrefix("*.") ? host.dropFirst(2) : host[...]
        return !body.isEmpty && body.count <= 253 && body.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
            && !body.hasPrefix(".") && !body.hasSuffix(".")
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// A compiled code pattern. `Regex<AnyRegexOutput>` is not `Sendable`; it is immutable after init and only used
/// for matching, so sharing it between tasks is safe.
private final class CodeRegex: @unchecked Sendable {
    private let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws(PayloadRules.RuleError) {
        do { regex = try Regex(pattern) } catch { throw .invalidPattern("\(error)") }
        // Probe the capture list for the named group.
        guard pattern.contains("(?<code>") || pattern.contains("(?P<code>") || pattern.contains("(?'code'") else {
            throw .missingCodeGroup
        }
    }

    func code(in candidate: Substring) -> String? {
        guard let match = try? regex.wholeMatch(in: candidate) else { return nil }
        guard let value = match.output["code"]?.substring else { return nil }
        return String(value)
    }
}
