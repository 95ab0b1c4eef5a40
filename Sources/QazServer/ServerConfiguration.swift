import ConfigKit
import CounterfeitAnalytics
import Foundation

/// The registrar server's configuration (`Config/server.example.yaml`). Decoded once and validated at start-up.
public struct ServerConfiguration: Codable, Sendable, ValidatableConfig {
    /// Where the HTTP API listens.
    public var listen: ListenConfiguration
    /// Where codes, activations and reports are stored.
    public var storage: StorageConfiguration
    /// HTTPS; without it the server speaks plain HTTP (keep it on loopback then).
    public var tls: TLSConfiguration?
    /// Request and rate limits.
    public var limits: LimitsConfiguration
    /// The live activation stream (`GET /v1/stream/activations`).
    public var stream: StreamConfiguration
    /// The registrar console on `/` (the `RegistrarConsole` target serves it; `qazserver serve` wires it in).
    public var console: RegistrarConsoleConfiguration
    /// The trade half: who is trusted to sign, the working-day calendar, whether waybills need applications.
    public var trade: TradeConfiguration
    /// The retail half: receipts' gap wait, the public scan endpoint's limit, the counterfeit analytics' rules.
    public var retail: RetailConfiguration
    /// Several instances on one PostgreSQL: this instance's name, the job leases' TTL, where rate limits live.
    public var cluster: ClusterConfiguration

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        listen = try c.decodeIfPresent(ListenConfiguration.self, forKey: .listen) ?? ListenConfiguration()
        storage = try c.decode(StorageConfiguration.self, forKey: .storage)
        tls = try c.decodeIfPresent(TLSConfiguration.self, forKey: .tls)
        limits = try c.decodeIfPresent(LimitsConfiguration.self, forKey: .limits) ?? LimitsConfiguration()
        stream = try c.decodeIfPresent(StreamConfiguration.self, forKey: .stream) ?? StreamConfiguration()
        console = try c.decodeIfPresent(RegistrarConsoleConfiguration.self, forKey: .console) ?? RegistrarConsoleConfiguration()
        trade = try c.decodeIfPresent(TradeConfiguration.self, forKey: .trade) ?? TradeConfiguration()
        retail = try c.decodeIfPresent(RetailConfiguration.self, forKey: .retail) ?? RetailConfiguration()
        cluster = try c.decodeIfPresent(ClusterConfiguration.self, forKey: .cluster) ?? ClusterConfiguration()
    }

    public func validate(_ v: inout ConfigValidator) {
        v.validate("listen", listen)
        v.validate("storage", storage)
        if let tls { v.validate("tls", tls) }
        v.validate("limits", limits)
        v.validate("stream", stream)
        v.validate("console", console)
        v.validate("trade", trade)
        v.validate("retail", retail)
        v.validate("cluster", cluster)
    }
}

/// `retail:` in the server configuration (docs/registrar-retail.md).
public struct RetailConfiguration: Codable, Sendable, ValidatableConfig {
    /// How long receipts after a register's missing one wait before the gap is reported. Default 15m (order No 626
    /// cl. 73(3): the FDO passes each receipt on within 15 minutes).
    public var gapWait: ConfigDuration
    /// How often the gap job looks at least. Default 30s.
    public var gapSweep: ConfigDuration
    /// Consumer scans per second per client address, and the burst. Defaults 0.5 and 20.
    public var verifyPerSecond: Double
    public var verifyBurst: Int
    /// The counterfeit analytics' rules (defaults in docs/registrar-retail.md).
    public var analytics: AnalyticsRules

    public init() {
        gapWait = ConfigDuration(.seconds(15 * 60))
        gapSweep = ConfigDuration(.seconds(30))
        verifyPerSecond = 0.5
        verifyBurst = 20
        analytics = AnalyticsRules()
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RetailConfiguration()
        gapWait = try c.decodeIfPresent(ConfigDuration.self, forKey: .gapWait) ?? d.gapWait
        gapSweep = try c.decodeIfPresent(ConfigDuration.self, forKey: .gapSweep) ?? d.gapSweep
        verifyPerSecond = try c.decodeIfPresent(Double.self, forKey: .verifyPerSecond) ?? d.verifyPerSecond
        verifyBurst = try c.decodeIfPresent(Int.self, forKey: .verifyBurst) ?? d.verifyBurst
        analytics = try c.decodeIfPresent(AnalyticsRules.self, forKey: .analytics) ?? d.analytics
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(gapWait.duration >= .seconds(1) && gapWait.duration <= .seconds(72 * 3600), at: "gapWait", "expected 1s to 72h, got \(gapWait)")
        v.check(gapSweep.duration >= .seconds(1) && gapSweep.duration <= .seconds(3600), at: "gapSweep", "expected 1s to 1h, got \(gapSweep)")
        v.check(verifyPerSecond.isFinite && verifyPerSecond > 0 && verifyPerSecond <= 1000, at: "verifyPerSecond",
                "expected more than 0 and at most 1000 scans per second per client, got \(verifyPerSecond)")
        v.checkRange(verifyBurst, 1...10_000, at: "verifyBurst")
        for problem in analytics.problems() { v.check(false, at: "analytics.\(problem.key)", problem.message) }
    }

    /// The settings a server runs with.
    public var settings: RetailSettings {
        RetailSettings(gapWait: gapWait.duration, gapSweep: gapSweep.duration, verifyRate: verifyPerSecond, verifyBurst: verifyBurst,
                       analytics: analytics)
    }
}

/// `trade:` in the server configuration (docs/registrar-trade.md).
public struct TradeConfiguration: Codable, Sendable, ValidatableConfig {
    /// Trust anchors (the national certifying centre's roots), intermediates and CRL files (PEM or DER). Without it,
    /// signed operations (applications, orders, counter-orders, report submissions) answer `503 signatures_not_configured`.
    public var signatures: SignatureFiles?
    /// A working-day calendar file replacing the embedded one (docs/working-calendar.md).
    public var calendar: String?
    /// A waybill must cite an approved application of its recipient with stamps left (cl. 16–17). Default true.
    public var requireApplications: Bool
    /// How often the order expiry job looks at least (it also wakes at each expiry). Default 30s.
    public var expirySweep: ConfigDuration

    public init() {
        signatures = nil
        calendar = nil
        requireApplications = true
        expirySweep = ConfigDuration(.seconds(30))
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TradeConfiguration()
        signatures = try c.decodeIfPresent(SignatureFiles.self, forKey: .signatures)
        calendar = try c.decodeIfPresent(String.self, forKey: .calendar)
        requireApplications = try c.decodeIfPresent(Bool.self, forKey: .requireApplications) ?? d.requireApplications
        expirySweep = try c.decodeIfPresent(ConfigDuration.self, forKey: .expirySweep) ?? d.expirySweep
    }

    public func validate(_ v: inout ConfigValidator) {
        if let signatures { v.validate("signatures", signatures) }
        if let calendar { _ = v.checkFileExists(calendar, at: "calendar", what: "the working-day calendar file") }
        v.check(expirySweep.duration >= .seconds(1) && expirySweep.duration <= .seconds(3600), at: "expirySweep",
                "expected 1s to 1h, got \(expirySweep)")
    }
}

/// `trade.signatures`: the files a `SignatureVerifier` loads (paths relative to the configuration file).
public struct SignatureFiles: Codable, Sendable, ValidatableConfig {
    public var trustAnchors: [String]
    public var intermediates: [String]
    public var crls: [String]
    /// Refuse a chain whose issuer has no CRL loaded. Default false.
    public var requireCRL: Bool
    /// How far in the future a signature's signing time may be. Default 300 s.
    public var clockSkewSeconds: Int

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trustAnchors = try c.decode([String].self, forKey: .trustAnchors)
        intermediates = try c.decodeIfPresent([String].self, forKey: .intermediates) ?? []
        crls = try c.decodeIfPresent([String].self, forKey: .crls) ?? []
        requireCRL = try c.decodeIfPresent(Bool.self, forKey: .requireCRL) ?? false
        clockSkewSeconds = try c.decodeIfPresent(Int.self, forKey: .clockSkewSeconds) ?? 300
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(!trustAnchors.isEmpty, at: "trustAnchors", "expected at least one PEM file of trusted root certificates")
        for (key, files) in [("trustAnchors", trustAnchors), ("intermediates", intermediates), ("crls", crls)] {
            for (index, file) in files.enumerated() { _ = v.checkFileExists(file, at: "\(key)[\(index)]", what: "the file") }
        }
        v.checkRange(clockSkewSeconds, 0...3600, at: "clockSkewSeconds")
    }
}

/// The registrar console (`/`): activations per participant per hour, the last activations, App. 9/10 of any month,
/// code look-up. Sign-in with a registrar or revenue-body API token, or as one of `users`.
public struct RegistrarConsoleConfiguration: Codable, Sendable, ValidatableConfig {
    /// Serve the console at all (the API is served either way).
    public var enabled: Bool
    /// A session ends after this long without a request (and after 12 h in any case).
    public var sessionTimeout: ConfigDuration
    /// The language of a browser that asks for none of ru, kk, en.
    public var language: String
    /// People who sign in with a name and password instead of a token.
    public var users: [ConsoleUserEntry]

    public init() {
        enabled = true
        sessionTimeout = ConfigDuration(.seconds(30 * 60))
        language = "ru"
        users = []
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RegistrarConsoleConfiguration()
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? d.enabled
        sessionTimeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .sessionTimeout) ?? d.sessionTimeout
        language = try c.decodeIfPresent(String.self, forKey: .language) ?? d.language
        users = try c.decodeIfPresent([ConsoleUserEntry].self, forKey: .users) ?? d.users
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(sessionTimeout.duration >= .seconds(60) && sessionTimeout.duration <= .seconds(24 * 3600), at: "sessionTimeout",
                "expected 1m to 24h, got \(sessionTimeout)")
        v.check(["ru", "kk", "en"].contains(language), at: "language", "expected ru, kk or en, got \"\(language)\"")
        var seen = Set<String>()
        for (index, user) in users.enumerated() {
            let at = "users[\(index)]"
            v.check(!user.name.isEmpty && user.name.count <= 64 && !user.name.contains(where: { $0.isWhitespace || $0.isNewline }),
                    at: at + ".name", "expected 1-64 characters without spaces")
            v.check(seen.insert(user.name.lowercased()).inserted, at: at + ".name", "\"\(user.name)\" is listed twice")
            v.check(user.passwordHash.hasPrefix("$2") && user.passwordHash.count == 60, at: at + ".passwordHash",
                    "expected a bcrypt hash ($2b$…, 60 characters): make one with `qazserver console-password`")
            v.check(["registrar", "revenue-body"].contains(user.role), at: at + ".role", "expected registrar or revenue-body, got \"\(user.role)\"")
        }
    }
}

/// A console user of the registrar: a name, a bcrypt hash of the password (never the password) and a role.
public struct ConsoleUserEntry: Codable, Sendable, Equatable {
    public var name: String
    public var passwordHash: String
    /// `registrar` or `revenue-body`: what the user sees is what a token of that role sees.
    public var role: String
    public init(name: String, passwordHash: String, role: String) {
        self.name = name
        self.passwordHash = passwordHash
        self.role = role
    }
}

/// The live activation stream (Server-Sent Events).
public struct StreamConfiguration: Codable, Sendable, ValidatableConfig {
    /// A `: keep-alive` comment is sent this often, so that proxies keep an idle stream open. Each heartbeat also
    /// re-reads storage, which picks up activations committed by other server processes on a shared PostgreSQL.
    public var heartbeat: ConfigDuration
    /// Events read from storage per query (a subscriber holds at most one page in memory).
    public var pageSize: Int

    /// - Parameters:
    ///   - heartbeat: how often a `: keep-alive` comment is sent (default 15 s).
    ///   - pageSize: events read from storage per query (default 500).
    public init(heartbeat: Duration = .seconds(15), pageSize: Int = 500) {
        self.heartbeat = ConfigDuration(heartbeat)
        self.pageSize = pageSize
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = StreamConfiguration()
        heartbeat = try c.decodeIfPresent(ConfigDuration.self, forKey: .heartbeat) ?? d.heartbeat
        pageSize = try c.decodeIfPresent(Int.self, forKey: .pageSize) ?? d.pageSize
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(heartbeat.duration >= .milliseconds(10) && heartbeat.duration <= .seconds(300), at: "heartbeat", "expected 10ms to 300s")
        v.checkRange(pageSize, 1...10_000, at: "pageSize", what: "an event count")
    }
}

/// The listening socket.
public struct ListenConfiguration: Codable, Sendable, ValidatableConfig {
    public var host: String
    public var port: ConfigPort

    public init() {
        host = "127.0.0.1"
        port = ConfigPort(8080)!
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? "127.0.0.1"
        port = try c.decodeIfPresent(ConfigPort.self, forKey: .port) ?? ConfigPort(8080)!
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(!host.isEmpty, at: "host", "the listen address is empty")
    }
}

/// Storage backends.
public enum StorageBackend: String, ConfigEnum, Codable {
    /// One SQLite file (WAL): the embedded default.
    case sqlite
    /// A PostgreSQL server, for the registrar that outgrows one file.
    case postgres
}

/// Where the registrar keeps its data.
public struct StorageConfiguration: Codable, Sendable, ValidatableConfig {
    public var backend: StorageBackend
    /// sqlite: the database file (relative to this configuration file unless absolute).
    public var path: String?
    /// postgres: `postgres://user:password@host:port/database`.
    public var url: String?
    /// postgres: connections in the pool.
    public var poolSize: Int?

    public func validate(_ v: inout ConfigValidator) {
        switch backend {
        case .sqlite:
            v.check(!(path ?? "").isEmpty, at: "path", "the sqlite backend needs path (the database file)")
            if url != nil { v.error(at: "url", "applies to backend postgres only") }
            if poolSize != nil { v.error(at: "poolSize", "applies to backend postgres only") }
        case .postgres:
            if path != nil { v.error(at: "path", "applies to backend sqlite only") }
            if let url {
                let parsed = URL(string: url)
                v.check(["postgres", "postgresql"].contains(parsed?.scheme ?? "") && parsed?.host != nil, at: "url",
                        "expected postgres://user:password@host:port/database")
            } else {
                v.error(at: "url", "the postgres backend needs url (postgres://user:password@host:port/database)")
            }
            if let poolSize { v.checkRange(poolSize, 1...256, at: "poolSize", what: "connections") }
        }
    }
}

/// Certificates for HTTPS.
public struct TLSConfiguration: Codable, Sendable, ValidatableConfig {
    /// PEM certificate chain.
    public var certificate: String
    /// PEM private key.
    public var privateKey: String
    /// PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS).
    public var clientCA: String?

    public func validate(_ v: inout ConfigValidator) {
        for (key, path) in [("certificate", certificate), ("privateKey", privateKey)] + (clientCA.map { [("clientCA", $0)] } ?? []) {
            let url = v.resolve(path)
            v.check(FileManager.default.fileExists(atPath: url.path), at: key, "\"\(path)\" does not exist (resolved to \(url.path))")
        }
    }
}

/// Limits that protect the server.
public struct LimitsConfiguration: Codable, Sendable, ValidatableConfig {
    /// Largest request body accepted.
    public var maxBodySize: ConfigByteSize
    /// Most items in one activation batch (the contract says 10,000).
    public var maxBatchItems: Int
    /// Requests per second per participant (token bucket), and its burst.
    public var requestsPerSecond: Double
    public var burst: Int
    /// A request taking longer than this is cancelled.
    public var requestTimeout: ConfigDuration
    /// On shutdown, in-flight requests get this long to finish.
    public var shutdownGracePeriod: ConfigDuration

    public init() {
        maxBodySize = ConfigByteSize(bytes: 8 << 20)
        maxBatchItems = 10_000
        requestsPerSecond = 50
        burst = 100
        requestTimeout = ConfigDuration(.seconds(30))
        shutdownGracePeriod = ConfigDuration(.seconds(10))
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = LimitsConfiguration()
        maxBodySize = try c.decodeIfPresent(ConfigByteSize.self, forKey: .maxBodySize) ?? d.maxBodySize
        maxBatchItems = try c.decodeIfPresent(Int.self, forKey: .maxBatchItems) ?? d.maxBatchItems
        requestsPerSecond = try c.decodeIfPresent(Double.self, forKey: .requestsPerSecond) ?? d.requestsPerSecond
        burst = try c.decodeIfPresent(Int.self, forKey: .burst) ?? d.burst
        requestTimeout = try c.decodeIfPresent(ConfigDuration.self, forKey: .requestTimeout) ?? d.requestTimeout
        shutdownGracePeriod = try c.decodeIfPresent(ConfigDuration.self, forKey: .shutdownGracePeriod) ?? d.shutdownGracePeriod
    }

    public func validate(_ v: inout ConfigValidator) {
        v.check(maxBodySize.bytes >= 1 << 10 && maxBodySize.bytes <= 1 << 30, at: "maxBodySize", "expected 1KiB to 1GiB")
        v.checkRange(maxBatchItems, 1...10_000, at: "maxBatchItems", what: "an item count")
        v.check(requestsPerSecond > 0 && requestsPerSecond <= 100_000, at: "requestsPerSecond", "expected more than 0, at most 100000")
        v.check(burst >= 1 && burst <= 100_000, at: "burst", "expected 1-100000")
        v.check(requestTimeout.duration >= .seconds(1), at: "requestTimeout", "expected at least 1s")
    }
}
