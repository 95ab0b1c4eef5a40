import ConfigKit
import Foundation
import LineCore

/// The line agent's configuration (`Config/agent.example.yaml`): who the producer is, its products, its lines with
/// their cameras and PLC, where decisions are kept, and where activations go. Decoded once and validated at start-up.
public struct AgentConfiguration: Codable, Sendable, ValidatableConfig {
    /// The producer (or importer) whose codes this agent activates.
    public var producer: Producer
    /// How QR payloads are turned into codes.
    public var payload: PayloadConfiguration
    /// Products by PLC recipe number.
    public var products: [ProductConfiguration]
    /// Filling lines followed by this agent.
    public var lines: [LineConfiguration]
    /// The durable outbox of decisions and activations.
    public var outbox: OutboxConfiguration
    /// The registrar's activation API.
    public var server: ServerLinkConfiguration
    /// How activations are grouped into batches and retried.
    public var batching: BatchingConfiguration
    /// The local HTTP endpoint for `/health`, `/ready` and `/metrics`.
    public var http: HTTPEndpointConfiguration
    /// The local pool of codes issued to this producer.
    public var pool: PoolConfiguration
    /// The browser console served on the HTTP endpoint.
    public var console: ConsoleConfiguration

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        producer = try c.decode(Producer.self, forKey: .producer)
        payload = try c.decodeIfPresent(PayloadConfiguration.self, forKey: .payload) ?? PayloadConfiguration()
        products = try c.decode([ProductConfiguration].self, forKey: .products)
        lines = try c.decode([LineConfiguration].self, forKey: .lines)
        outbox = try c.decode(OutboxConfiguration.self, forKey: .outbox)
        server = try c.decode(ServerLinkConfiguration.self, forKey: .server)
        batching = try c.decodeIfPresent(BatchingConfiguration.self, forKey: .batching) ?? BatchingConfiguration()
        http = try c.decodeIfPresent(HTTPEndpointConfiguration.self, forKey: .http) ?? HTTPEndpointConfiguration()
        pool = try c.decodeIfPresent(PoolConfiguration.self, forKey: .pool) ?? PoolConfiguration()
        console = try c.decodeIfPresent(ConsoleConfiguration.self, forKey: .console) ?? ConsoleConfiguration()
    }

    public func validate(_ v: inout ConfigValidator) {
        v.validate("payload", payload)
        v.check(!products.isEmpty, at: "products", "at least one product is needed (the PLC's recipe numbers map to products)")
        v.each("products", products) { v, product in product.validate(&v) }
        for (recipe, count) in Dictionary(grouping: products, by: \.recipe).mapValues(\.count) where count > 1 {
            v.error(at: "products", "recipe \(recipe) is mapped \(count) times; each recipe number names one product")
        }
        v.check(!lines.isEmpty, at: "lines", "at least one line is needed")
        v.each("lines", lines) { v, line in line.validate(&v) }
        for (id, count) in Dictionary(grouping: lines, by: \.id).mapValues(\.count) where count > 1 {
            v.error(at: "lines", "line id \"\(id)\" is used \(count) times; line ids must be unique")
        }
        let cameraIDs = lines.flatMap { $0.cameras.map(\.id) }
        for (id, count) in Dictionary(grouping: cameraIDs, by: { $0 }).mapValues(\.count) where count > 1 {
            v.error(at: "lines", "camera id \"\(id)\" is used \(count) times; camera ids must be unique across lines")
        }
        v.validate("outbox", outbox)
        v.validate("server", server)
        v.validate("batching", batching)
        v.validate("http", http)
        v.validate("console", console)
    }

    /// The product for a PLC recipe number.
    public func product(forRecipe recipe: Int) -> Product? {
        products.first { $0.recipe == recipe }?.product
    }
}

/// The participant whose codes are activated.
public struct Producer: Codable, Sendable {
    /// IIN/BIN (12 digits with check digit).
    public var bin: TaxpayerID
    /// The registered name.
    public var name: String
}

/// Rules for QR payloads; see ``PayloadRules``.
public struct PayloadConfiguration: Codable, Sendable, ValidatableConfig {
    public var hosts: [String]
    public var schemes: [String]
    public var allowBareCode: Bool
    public var codePattern: String
    public var maxPayloadBytes: Int

    public init() {
        hosts = PayloadRules.defaultHosts
        schemes = ["https"]
        allowBareCode = true
        codePattern = PayloadRules.defaultCodePattern
        maxPayloadBytes = PayloadRules.defaultMaxPayloadBytes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = PayloadConfiguration()
        hosts = try c.decodeIfPresent([String].self, forKey: .hosts) ?? defaults.hosts
        schemes = try c.decodeIfPresent([String].self, forKey: .schemes) ?? defaults.schemes
        allowBareCode = try c.decodeIfPresent(Bool.self, forKey: .allowBareCode) ?? defaults.allowBareCode
        codePattern = try c.decodeIfPresent(String.self, forKey: .codePattern) ?? defaults.codePattern
        maxPayloadBytes = try c.decodeIfPresent(Int.self, forKey: .maxPayloadBytes) ?? defaults.maxPayloadBytes
    }

    /// The compiled rules.
    public func rules() throws(PayloadRules.RuleError) -> PayloadRules {
        try PayloadRules(hosts: hosts, schemes: schemes, allowBareCode: allowBareCode, codePattern: codePattern,
                         maxPayloadBytes: maxPayloadBytes)
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(!hosts.isEmpty || allowBareCode, at: "hosts", "no hosts and no bare codes: no payload could ever be accepted")
        v.check(schemes.allSatisfy { ["https", "http"].contains($0.lowercased()) }, at: "schemes", "schemes may be https and http")
        v.checkRange(maxPayloadBytes, 16...4096, at: "maxPayloadBytes", what: "a byte count")
        do {
            _ = try rules()
        } catch .invalidHost(let host) {
            v.error(at: "hosts", "\"\(host)\" is not a host name (letters, digits, '-', '.', optionally starting with '*.')")
        } catch let error {
            v.error(at: "codePattern", "\(error); the default is \(PayloadRules.defaultCodePattern)")
        }
    }
}

/// A product the PLC can select by recipe number.
public struct ProductConfiguration: Codable, Sendable, ValidatableConfig {
    /// The PLC's recipe number.
    public var recipe: Int
    public var dsnCode: String
    public var name: String
    public var type: String
    public var capacityMl: Int
    public var strength: Double

    /// The domain value.
    public var product: Product {
        Product(dsnCode: dsnCode, name: name, type: type, capacityMl: capacityMl, strength: strength)
    }

    public func validate(_ v: inout ConfigValidator) {
        v.checkRange(recipe, 0...65_535, at: "recipe", what: "a recipe number")
        v.check(Product.isValidDSNCode(dsnCode), at: "dsnCode", "expected 1-32 letters, digits or '-', got \"\(dsnCode.prefix(40))\"")
        v.check(!name.trimmingCharacters(in: .whitespaces).isEmpty, at: "name", "the product name is empty")
        v.check(!type.isEmpty, at: "type", "the product type is empty (e.g. vodka, cognac, wine)")
        v.checkRange(capacityMl, 1...30_000, at: "capacityMl", what: "millilitres")
        v.checkRange(strength, 0...100, at: "strength", what: "percent by volume")
    }
}

/// Where decisions and unsent activations are kept.
public struct OutboxConfiguration: Codable, Sendable, ValidatableConfig {
    /// The SQLite file (relative to the configuration file's directory unless absolute).
    public var path: String
    /// Below this much free disk space the agent stops acknowledging bottles and requests a line stop.
    public var minFreeSpace: ConfigByteSize

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        minFreeSpace = try c.decodeIfPresent(ConfigByteSize.self, forKey: .minFreeSpace) ?? ConfigByteSize(bytes: 64 << 20)
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(!path.isEmpty, at: "path", "the outbox path is empty")
    }
}

/// The registrar's API as the agent reaches it.
///
/// One address (`url`) or several (`urls`: `qazserver` instances over one database serve the same API). With several,
/// requests go to the first; on a connection failure (or a 502/503/504) they move to the next, and after `failback`
/// the first is tried again (see `docs/agent.md`, "Several registrar addresses").
public struct ServerLinkConfiguration: Codable, Sendable, ValidatableConfig {
    /// The registrar's base URLs, the preferred first, e.g. `https://registrar.example.kz` (the API lives under `/v1`).
    /// Written as `url:` (one) or `urls:` (a list) in the file.
    public var urls: [String]
    /// The preferred (first) base URL; setting it replaces the list with that one address.
    public var url: String {
        get { urls.first ?? "" }
        set { urls = [newValue] }
    }
    /// After moving off the first URL, requests go back to it after this long.
    public var failback: ConfigDuration
    /// A file holding the bearer token (one line). Must give no permission to group or others (`chmod 600`).
    public var credentialFile: String
    /// PEM file of the CA that signs the server's certificate (default: the system's trust store).
    public var caFile: String?
    /// PEM client certificate and key, for servers that require mutual TLS. The key file must be `chmod 600`.
    public var clientCertificate: String?
    public var clientKey: String?
    /// Timeout of one request.
    public var timeout: ConfigDuration
    /// At most this many requests per second (a courtesy limit; the server enforces its own).
    public var requestsPerSecond: Double
    /// Which keys the file used for the addresses (for validation messages).
    private var addressKeys: Set<CodingKeys>

    /// The default of `failback`.
    public static let defaultFailback = ConfigDuration(.seconds(300))

    enum CodingKeys: String, CodingKey {
        case url, urls, failback, credentialFile, caFile, clientCertificate, clientKey, timeout, requestsPerSecond
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let one = try c.decodeIfPresent(String.self, forKey: .url)
        let many = try c.decodeIfPresent([String].self, forKey: .urls)
        urls = (many ?? []) + (one.map { [$0] } ?? [])
        addressKeys = Set([one.map { _ in CodingKeys.url }, many.map { _ in CodingKeys.urls }].compactMap { $0 })
        failback = try c.decodeIfPresent(ConfigDuration.self, forKey: .failback) ?? Self.defaultFailback
        credentialFile = try c.decode(String.self, forKey: .credentialFile)
        caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
        clientCertificate = try c.decodeIfPresent(String.self, forKey: .clientCertificate)
        clientKey = try c.decodeIfPresent(String.self, forKey: .clientKey)
        timeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .timeout) ?? ConfigDuration(.seconds(10))
        requestsPerSecond = try c.decodeIfPresent(Double.self, forKey: .requestsPerSecond) ?? 20
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if urls.count == 1 { try c.encode(urls[0], forKey: .url) } else { try c.encode(urls, forKey: .urls) }
        try c.encode(failback, forKey: .failback)
        try c.encode(credentialFile, forKey: .credentialFile)
        try c.encodeIfPresent(caFile, forKey: .caFile)
        try c.encodeIfPresent(clientCertificate, forKey: .clientCertificate)
        try c.encodeIfPresent(clientKey, forKey: .clientKey)
        try c.encode(timeout, forKey: .timeout)
        try c.encode(requestsPerSecond, forKey: .requestsPerSecond)
    }

    public func validate(_ v: inout ConfigValidator) {
        switch (addressKeys.contains(.url), addressKeys.contains(.urls)) {
        case (true, true):
            v.error(at: "urls", "server.url and server.urls are both given; keep one: server.urls lists every registrar address, the preferred first")
        case (false, false):
            v.error(at: "url", "no registrar address: give server.url (one URL) or server.urls (a list, the preferred first)")
        case (true, false):
            Self.checkURL(url, at: "url", in: &v)
        case (false, true):
            v.check(!urls.isEmpty, at: "urls", "the list is empty: give at least one registrar URL")
            v.each("urls", urls) { v, url in Self.checkURL(url, at: nil, in: &v) }
            var seen: [String: Int] = [:]
            for (index, url) in urls.enumerated() {
                let key = Self.normalized(url)
                if let first = seen[key] {
                    v.error(at: "urls", "server.urls[\(index)] repeats server.urls[\(first)] (\(url.prefix(80))); list each registrar once")
                } else {
                    seen[key] = index
                }
            }
        }
        v.check(failback.duration >= .seconds(1) && failback.duration <= .seconds(24 * 3600), at: "failback",
                "expected a duration from 1s to 24h, got \(failback)")
        v.check(!credentialFile.isEmpty, at: "credentialFile", "the credential file path is empty")
        if let caFile { v.checkFileExists(caFile, at: "caFile", what: "CA file") }
        v.check((clientCertificate == nil) == (clientKey == nil), at: "clientKey",
                "clientCertificate and clientKey go together: give both or neither")
        if let clientCertificate { v.checkFileExists(clientCertificate, at: "clientCertificate", what: "client certificate") }
        if let clientKey { v.checkFileExists(clientKey, at: "clientKey", what: "client key") }
        v.check(timeout.duration > .zero && timeout.duration <= .seconds(300), at: "timeout", "expected a timeout from 1ms to 300s")
        v.checkRange(requestsPerSecond, 0.1...10_000, at: "requestsPerSecond", what: "requests per second")
    }

    /// Checks one base URL at `key` (nil: the validator's current path, a list item).
    private static func checkURL(_ url: String, at key: String?, in v: inout ConfigValidator) {
        let parsed = URL(string: url)
        var problems: [String] = []
        if parsed?.scheme != "https" && parsed?.scheme != "http" {
            problems.append("expected an http:// or https:// URL, got \"\(url.prefix(80))\"")
        } else if parsed?.host?.isEmpty != false {
            problems.append("the URL has no host: \"\(url.prefix(80))\"")
        }
        for problem in problems {
            if let key { v.error(at: key, problem) } else { v.error(problem) }
        }
    }

    /// A base URL without its trailing slash, lowercased (to find repeats).
    private static func normalized(_ url: String) -> String {
        (url.hasSuffix("/") ? String(url.dropLast()) : url).lowercased()
    }
}

/// How activations are batched and retried.
public struct BatchingConfiguration: Codable, Sendable, ValidatableConfig {
    /// Items per batch (the registrar accepts at most 10,000).
    public var maxItems: Int
    /// A batch is sent when its oldest item is this old, even if not full.
    public var maxAge: ConfigDuration
    /// First retry delay after a retryable failure; doubled each time, with jitter.
    public var initialBackoff: ConfigDuration
    /// The longest retry delay.
    public var maxBackoff: ConfigDuration

    public init() {
        maxItems = 1_000
        maxAge = ConfigDuration(.seconds(2))
        initialBackoff = ConfigDuration(.milliseconds(500))
        maxBackoff = ConfigDuration(.seconds(60))
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = BatchingConfiguration()
        maxItems = try c.decodeIfPresent(Int.self, forKey: .maxItems) ?? d.maxItems
        maxAge = try c.decodeIfPresent(ConfigDuration.self, forKey: .maxAge) ?? d.maxAge
        initialBackoff = try c.decodeIfPresent(ConfigDuration.self, forKey: .initialBackoff) ?? d.initialBackoff
        maxBackoff = try c.decodeIfPresent(ConfigDuration.self, forKey: .maxBackoff) ?? d.maxBackoff
    }

    public func validate(_ v: inout ConfigValidator) {
        v.checkRange(maxItems, 1...10_000, at: "maxItems", what: "an item count")
        v.check(maxAge.duration >= .milliseconds(10), at: "maxAge", "expected at least 10ms")
        v.check(initialBackoff.duration >= .milliseconds(1), at: "initialBackoff", "expected at least 1ms")
        v.check(maxBackoff >= initialBackoff, at: "maxBackoff", "must not be shorter than initialBackoff")
    }
}

/// The agent's own HTTP endpoint.
public struct HTTPEndpointConfiguration: Codable, Sendable, ValidatableConfig {
    /// Address to listen on (`127.0.0.1` keeps it local; `0.0.0.0` exposes it to the plant network).
    public var host: String
    public var port: ConfigPort

    public init() {
        host = "127.0.0.1"
        port = ConfigPort(9464)!
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? "127.0.0.1"
        port = try c.decodeIfPresent(ConfigPort.self, forKey: .port) ?? ConfigPort(9464)!
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(!host.isEmpty, at: "host", "the listen address is empty")
    }
}

/// The line console (`/` on the HTTP endpoint): who may see it, how long a sign-in lasts, its language, and whether
/// the PLC's recipe change starts a new production job.
public struct ConsoleConfiguration: Codable, Sendable, ValidatableConfig {
    /// Serve the console at all (the JSON endpoints stay).
    public var enabled: Bool
    /// Let anyone who reaches the HTTP endpoint read the console without signing in (actions always need a user).
    /// Only for a plant network you trust; the default asks everyone to sign in.
    public var openReading: Bool
    /// A session ends after this long without a request.
    public var sessionTimeout: ConfigDuration
    /// The language of a browser that asks for none of ru, kk, en.
    public var language: String
    /// A recipe change reported by the PLC ends the line's open job and starts one for the new recipe.
    public var jobsFromRecipe: Bool

    public init() {
        enabled = true
        openReading = false
        sessionTimeout = ConfigDuration(.seconds(30 * 60))
        language = "ru"
        jobsFromRecipe = true
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ConsoleConfiguration()
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? d.enabled
        openReading = try c.decodeIfPresent(Bool.self, forKey: .openReading) ?? d.openReading
        sessionTimeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .sessionTimeout) ?? d.sessionTimeout
        language = try c.decodeIfPresent(String.self, forKey: .language) ?? d.language
        jobsFromRecipe = try c.decodeIfPresent(Bool.self, forKey: .jobsFromRecipe) ?? d.jobsFromRecipe
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(sessionTimeout.duration >= .seconds(60) && sessionTimeout.duration <= .seconds(24 * 3600), at: "sessionTimeout",
                "expected 1m to 24h, got \(sessionTimeout)")
        v.check(["ru", "kk", "en"].contains(language), at: "language", "expected ru, kk or en, got \"\(language)\"")
    }
}

/// The local pool of issued codes (for `foreign` decisions without asking the registrar).
public struct PoolConfiguration: Codable, Sendable {
    /// When true the agent refuses to start without a loaded pool; when false, and no pool is loaded,
    /// no bottle is judged `foreign` locally (the registrar still answers `foreign` for such codes).
    public var required: Bool

    public init() { required = false }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? false
    }
}
