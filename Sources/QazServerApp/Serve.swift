import ArgumentParser
import CommandSupport
import ConfigKit
import Foundation
import LineCore
import Logging
import Metrics
import Prometheus
import QazAPI
import ConsoleKit
import QazServer
import RegistrarConsole
import ServiceLifecycle
import SystemdNotify
import UnixSignals

/// Options every command that opens the registrar's storage shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The server configuration file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var config: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func load() throws -> (ServerConfiguration, URL) {
        let url = URL(fileURLWithPath: config)
        do {
            return (try ConfigLoader.load(ServerConfiguration.self, contentsOf: url), url)
        } catch {
            for issue in error.issues { FileHandle.standardError.write(Data("\(issue)\n".utf8)) }
            throw ExitCode.failure
        }
    }

    /// The configured store, not yet migrated (PostgreSQL's pool runs only once the store runs as a service).
    func makeStore(_ configuration: ServerConfiguration, file: URL, logger: Logger) throws -> any RegistrarStore {
        switch configuration.storage.backend {
        case .sqlite:
            let path = ConfigLoader.resolve(configuration.storage.path ?? "", relativeTo: file.deletingLastPathComponent()).path
            return try SQLiteRegistrarStore(path: path)
        case .postgres:
            return try PostgresRegistrarStore(url: configuration.storage.url ?? "", poolSize: configuration.storage.poolSize ?? 8,
                                              logger: logger)
        }
    }

    /// Runs `body` on the configured store, migrated, for a command's duration.
    func withStore<T: Sendable>(_ body: (any RegistrarStore) async throws -> T) async throws -> T {
        let (configuration, file) = try load()
        let store = try makeStore(configuration, file: file, logger: Logger(label: "qazserver"))
        return try await withRunningStore(store) {
            try await store.migrate()
            return try await body(store)
        }
    }
}

/// The registrar's HTTP service: migrates the store, then serves until graceful shutdown. In the service group after
/// the store (so that a PostgreSQL pool outlives the requests it serves).
struct RegistrarService: Service {
    let store: any RegistrarStore
    let app: any Service

    func run() async throws {
        try await store.migrate()
        try await app.run()
    }
}

/// `qazserver serve --config FILE`: runs the registrar until SIGTERM/SIGINT, then shuts down gracefully.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the registrar's HTTP API.")

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "Log lines as text or json (one JSON object per line, for journald and log shippers).")
    var logFormat: LogFormat = .text

    func run() async throws {
        let (configuration, file) = try options.load()
        CommandLogging.bootstrap(level: options.logLevel, to: .standardOutput, format: logFormat)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "qazserver")
        let store = try options.makeStore(configuration, file: file, logger: logger)
        // The registrar console on `/` (a separate target: the API server knows only its extension protocol).
        let console = configuration.console.enabled
            ? [try RegistrarConsole(configuration: configuration.console, logger: logger) as any RegistrarHTTPExtension] : []
        let trade = try ConfigOptions.tradeSettings(configuration, file: file)
        let server = RegistrarServer(store: store, limits: configuration.limits, registry: registry, stream: configuration.stream,
                                     extensions: console, trade: trade, retail: configuration.retail.settings,
                                     cluster: configuration.cluster.settings)
        let reload: [any Service] = trade.verifier.map { [TrustReloadService(verifier: $0, logger: logger)] } ?? []
        let tls = configuration.tls.map { tls in
            let base = file.deletingLastPathComponent()
            return ServerTLSFiles(certificate: ConfigLoader.resolve(tls.certificate, relativeTo: base).path,
                                  privateKey: ConfigLoader.resolve(tls.privateKey, relativeTo: base).path,
                                  clientCA: tls.clientCA.map { ConfigLoader.resolve($0, relativeTo: base).path })
        }
        let ready = ReadinessFlag()
        let app = try server.application(
            host: configuration.listen.host, port: configuration.listen.port.value, tls: tls, logger: logger,
            onServerRunning: { port in
                logger.info("registrar listening", metadata: ["listen.host": "\(configuration.listen.host)", "listen.port": "\(port)"])
                ready.set(status: "serving on \(configuration.listen.host):\(port)")  // migrated (RegistrarService) and listening
            })
        // Graceful shutdown runs in reverse: the console's live feed first (it ends live pages' streams), then the HTTP
        // service, then the store (PostgreSQL's pool).
        let services: [any Service] = (store as? any Service).map { [$0] } ?? []
        // Under systemd (Type=notify): READY=1 once listening, watchdog pings while the store answers, STOPPING=1 first
        // on shutdown (last in the group, so the first to stop).
        let notify = SystemdNotifyService(ready: ready, health: {
            do { try await store.ping(); return .healthy } catch { return .unhealthy("storage does not answer: \(error)") }
        }, logger: logger)
        var groupConfiguration = ServiceGroupConfiguration(
            services: (services + [RegistrarService(store: store, app: app)] + server.extensionServices + reload + [notify]).map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        // In-flight batches get the grace period to finish (their transactions commit or roll back whole); after it
        // the group escalates to cancellation and unfinished requests are not acknowledged.
        groupConfiguration.maximumGracefulShutdownDuration = configuration.limits.shutdownGracePeriod.duration
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
        logger.info("registrar stopped")
    }
}

/// `qazserver console-password`: a bcrypt hash for a console user of the server configuration (`console.users`).
struct ConsolePassword: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-password",
        abstract: "Read a password from standard input and print its bcrypt hash for console.users[].passwordHash.")

    func run() throws {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            FileHandle.standardError.write(Data("type the password on standard input (one line)\n".utf8))
            throw ExitCode.failure
        }
        if let problem = PasswordHash.problem(with: line, user: "") {
            FileHandle.standardError.write(Data("\(problem)\n".utf8))
            throw ExitCode.failure
        }
        print(PasswordHash.make(line))
    }
}

/// `qazserver token issue|revoke|list`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Issue, revoke and list API tokens (stored as SHA-256 hashes).",
        subcommands: [Issue.self, Revoke.self, List.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a token; it is printed once and cannot be shown again.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The participant's IIN/BIN (12 digits with the check digit).") var bin: String
        @Option(help: "producer, importer, wholesaler, retailer, banknote-factory, revenue-body, registrar or fdo (a fiscal data operator).") var role: String
        @Option(help: "The participant's name for its account record (producers, importers, wholesalers, retailers; default: the BIN).")
        var name: String?
        @Option(help: "Expiry: a date-time with offset (2027-01-01T00:00:00+05:00) or a lifetime such as 90d or 12h.")
        var expires: String?

        func validate() throws {
            if case .failure(let problem) = TaxpayerID.check(bin) { throw ValidationError("--bin \(bin): \(problem)") }
            guard Role(rawValue: role) != nil else {
                throw ValidationError("--role \(role): expected one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let expires, Self.expiry(expires) == nil {
                throw ValidationError("--expires \(expires): expected a date-time with an offset or a lifetime such as 90d, 12h")
            }
        }

        static func expiry(_ text: String, now: Timestamp = .now) -> Timestamp? {
            if let time = Timestamp(text: text) { return time }
            guard let unit = text.last, let value = Int64(text.dropLast()), value > 0 else { return nil }
            let scale: Int64 = switch unit { case "d": 86_400_000; case "h": 3_600_000; case "m": 60_000; default: 0 }
            return scale == 0 ? nil : Timestamp(milliseconds: now.milliseconds + value * scale)
        }

        func run() async throws {
            let participant = TaxpayerID(bin)!, role = Role(rawValue: role)!, expiresAt = expires.flatMap { Self.expiry($0) }
            let (token, record) = try await options.withStore { store in
                try await TokenService(store: store).issue(participant: participant, role: role, expiresAt: expiresAt, accountName: name)
            }
            print(token)
            FileHandle.standardError.write(Data("""
                token \(record.id) for \(record.participant) (\(record.role.rawValue))\
                \(record.expiresAt.map { ", expires \($0.astana)" } ?? ", no expiry"). Store it now: it is not shown again.

                """.utf8))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id (the 8 hex digits after qzt_).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The token id.") var id: String

        func run() async throws {
            let id = id
            guard try await options.withStore({ try await $0.revokeToken(id: id, at: .now) }) else {
                FileHandle.standardError.write(Data("no active token \(id)\n".utf8))
                throw ExitCode.failure
            }
            print("revoked \(id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (ids, participants, roles; never secrets).")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            for token in try await options.withStore({ try await $0.tokens() }) {
                let state = token.revokedAt.map { "revoked \($0.astana)" } ?? token.expiresAt.map { "expires \($0.astana)" } ?? "active"
                print("\(token.id)  \(token.participant)  \(token.role.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0))  created \(token.createdAt.astana)  \(state)")
            }
        }
    }
}
