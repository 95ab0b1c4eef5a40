import ConfigKit
import ConsoleKit
import Dispatch
import Foundation
import Hummingbird
import LineCore
import Logging
import QazAPI
import QazServer
import ServiceLifecycle
import Synchronization

/// The registrar console on `/` of `qazserver`: activations per participant per hour (an SVG chart), the last
/// activations live (server-sent events), every participant's App. 9/10 of any month with its JSON, CSV and printable
/// forms, a code look-up box, and the counterfeits page (`/alerts`: consumers' scans on a map of Kazakhstan by region and
/// the alerts they raised, with their evidence, live; `RegistrarConsole+Counterfeits.swift`).
///
/// Who may sign in: a registrar or revenue-body API token (looked up by its SHA-256 hash in the token table, as API
/// requests are; never logged), or a console user of the server configuration (bcrypt). Producers' and importers'
/// tokens are refused: everything here shows every participant's data. A token session is re-checked against the
/// token table every minute, so a revoked or expired token ends its sessions. Wrong tokens are throttled per client
/// address, wrong passwords per user name (429 after 5 failures). Forms carry the session's anti-forgery token; the
/// sign-in form a double-submit cookie.
public final class RegistrarConsole: RegistrarHTTPExtension {
    let configuration: RegistrarConsoleConfiguration
    let shell: ConsoleShell
    let sessions: SessionStore
    let throttle: LoginThrottle
    let feed: LiveFeed
    /// The counterfeits page's live feed: the newest alert (pages fetch their filtered list again when it changes).
    let alertFeed: LiveFeed
    let logger: Logger
    let now: @Sendable () -> Date
    /// The server whose routes the console serves (set when its routes are registered).
    private let attached = Mutex<RegistrarServer?>(nil)
    /// Token sessions: the token's hash and when it was last found valid, by session id.
    private let tokenSessions = Mutex<[String: TokenCheck]>([:])
    /// The last activations as the in-process watcher read them (the live feed sends these).
    let recent = Mutex<RecentActivations>(RecentActivations())
    /// The chart's figures, recomputed at most every `chartRefresh` (and when the hour turns).
    let chartCache = Mutex<ChartData?>(nil)
    let chartRefresh: Duration
    /// Console users by lower-cased name.
    let users: [String: ConsoleUserEntry]

    /// The roles that may sign in.
    static let roles: Set<String> = [Role.registrar.rawValue, Role.revenueBody.rawValue]
    /// How many last activations the overview lists.
    static let eventCount = 20

    struct TokenCheck {
        var hash: [UInt8]
        var checkedAt: Date
        /// When the session started (an entry older than any session can live is dropped).
        var startedAt: Date
    }

    /// - Parameters:
    ///   - configuration: the `console` section of the server configuration.
    ///   - liveInterval: how often open pages get a live update.
    ///   - chartRefresh: the chart's figures are recomputed at most this often (one grouped query over the last 24 h).
    ///   - now: the clock of sessions and the throttle (tests move it).
    public init(configuration: RegistrarConsoleConfiguration = RegistrarConsoleConfiguration(), logger: Logger,
                liveInterval: Duration = .seconds(1), chartRefresh: Duration = .seconds(5),
                now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.chartRefresh = chartRefresh
        shell = try ConsoleShell(
            product: "QazLine", nav: [.init("/", "navOverview"), .init("/reports", "navReports"), .init("/lookup", "navLookup"),
                                         .init("/alerts", "navCounterfeits")],
            localizer: Localizer(RegistrarConsoleTexts.table, RegistrarConsoleTexts.counterfeits),
            fallbackLanguage: ConsoleLanguage(rawValue: configuration.language) ?? .ru,
            templates: RegistrarConsoleTemplates.all.merging(CounterfeitTemplates.all) { own, _ in own })
        sessions = SessionStore(cookieName: "qz_registrar_session", idleTimeout: configuration.sessionTimeout.duration, now: now)
        throttle = LoginThrottle(now: now)
        feed = LiveFeed(interval: liveInterval)
        alertFeed = LiveFeed(interval: liveInterval)
        users = Dictionary(configuration.users.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var services: [any Service] { [RegistrarConsoleService(console: self)] }

    /// Open live pages (tests).
    public var liveListeners: Int { feed.listenerCount }

    public func register(on router: Router<RegistrarContext>, server: RegistrarServer) {
        attached.withLock { $0 = server }
        guard configuration.enabled else { return }
        ConsoleAssets.register(on: router)
        registerSignIn(on: router, server: server)
        registerOverview(on: router, server: server)
        registerReports(on: router, server: server)
        registerLookup(on: router, server: server)
        CounterfeitAssets.register(on: router)
        registerCounterfeits(on: router, server: server)
    }

    var server: RegistrarServer? { attached.withLock { $0 } }

    // MARK: Access

    /// The signed-in viewer; otherwise the response to send (a redirect to sign in).
    func reader(_ request: Request, server: RegistrarServer) async -> ConsoleAccess<ConsoleShell.Viewer> {
        guard let session = await liveSession(request, server: server) else { return .refused(signInRedirect(request)) }
        return .granted(shell.viewer(request, session: session))
    }

    /// The signed-in viewer with the posted form, its anti-forgery token checked; otherwise the response.
    func poster(_ request: Request, server: RegistrarServer) async -> ConsoleAccess<(ConsoleShell.Viewer, ConsoleSession, FormBody)> {
        guard let session = await liveSession(request, server: server) else { return .refused(signInRedirect(request)) }
        let viewer = shell.viewer(request, session: session)
        let form: FormBody
        do {
            form = try await FormBody.read(request)
            try CSRF.check(form, session: session)
        } catch {
            logger.notice("console form refused", metadata: ["console.user": "\(session.user.name)", "console.reason": "\(error)"])
            return .refused(message(viewer, text: error.description, status: error == .csrf ? .forbidden : .badRequest))
        }
        return .granted((viewer, session, form))
    }

    /// The request's session, if it is alive and (for a token session) its token is still valid.
    private func liveSession(_ request: Request, server: RegistrarServer) async -> ConsoleSession? {
        guard let session = sessions.session(for: request) else { return nil }
        guard let check = tokenSessions.withLock({ $0[session.id] }) else { return session }  // a password session
        let time = now()
        if time.timeIntervalSince(check.checkedAt) < 60 { return session }
        guard let record = try? await server.store.token(hash: check.hash) else { return session }  // storage down: keep it
        if record.revokedAt == nil, record.expiresAt.map({ $0.date > time }) ?? true {
            tokenSessions.withLock { $0[session.id]?.checkedAt = time }
            return session
        }
        logger.notice("console session ended: its token was revoked or expired", metadata: ["token.id": "\(record.id)"])
        _ = sessions.end(request)
        _ = tokenSessions.withLock { $0.removeValue(forKey: session.id) }
        return nil
    }

    private func signInRedirect(_ request: Request) -> Response {
        let expired = sessions.hadExpiredSession(request)
        var next = "/"
        if request.method == .get {
            next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        }
        let query = "next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/") + (expired ? "&expired=1" : "")
        return ConsoleResponse.redirect(to: "/login?" + query)
    }

    /// A page with one message (an error or a result) and a way back.
    func message(_ viewer: ConsoleShell.Viewer, _ key: String? = nil, text: String? = nil, status: HTTPResponse.Status,
                 back: String = "/") -> Response {
        let body = text ?? shell.text(key ?? "", viewer)
        return shell.page("message", title: "product", context: ["kind": status.code < 400 ? "info" : "error", "text": body, "back": back],
                          viewer: viewer, active: "", status: status)
    }

    // MARK: Sign-in

    private func registerSignIn(on router: Router<RegistrarContext>, server: RegistrarServer) {
        router.get("login") { [self] request, _ in
            let viewer = shell.viewer(request, session: nil)
            let expired = request.uri.queryParameters["expired"] != nil
            return loginPage(viewer, next: request.uri.queryParameters["next"].map(String.init) ?? "/",
                             error: expired ? shell.text("sessionExpired", viewer) : nil, user: "", status: .ok)
        }
        router.post("login") { [self] request, context in
            let viewer = shell.viewer(request, session: nil)
            let form: FormBody
            do throws(ConsoleError) { form = try await CSRF.readSignInForm(request, cookieName: Self.loginCookie) } catch {
                if error == .csrf { logger.notice("console sign-in refused: no matching sign-in form token") }
                return message(viewer, text: error.description, status: error == .csrf ? .forbidden : .badRequest, back: "/login")
            }
            let next = ConsoleFormat.localPath(form["next"])
            if let token = form["token"], form["user"] == nil {
                return await tokenLogin(token.trimmingCharacters(in: .whitespacesAndNewlines), viewer: viewer, next: next,
                                        client: context.channel.remoteAddress?.ipAddress ?? "unknown", server: server)
            }
            return await passwordLogin(form, viewer: viewer, next: next)
        }
        router.post("logout") { [self] request, _ in
            if let session = sessions.session(for: request) {
                let form = try? await FormBody.read(request)
                if let form, (try? CSRF.check(form, session: session)) != nil {
                    logger.info("console sign-out", metadata: ["console.user": "\(session.user.name)"])
                    _ = tokenSessions.withLock { $0.removeValue(forKey: session.id) }
                    return ConsoleResponse.redirect(to: "/login", cookies: [sessions.end(request)])
                }
                return message(shell.viewer(request, session: session), text: ConsoleError.csrf.description, status: .forbidden)
            }
            return ConsoleResponse.redirect(to: "/login")
        }
    }

    private func tokenLogin(_ token: String, viewer: ConsoleShell.Viewer, next: String, client: String,
                            server: RegistrarServer) async -> Response {
        let key = "token@" + client
        if case .locked(let seconds) = throttle.check(key) {
            logger.notice("console sign-in throttled", metadata: ["client.address": "\(client)", "retry.after": "\(seconds)"])
            return locked(viewer, next: next, seconds: seconds, user: "")
        }
        let identity: Identity?
        do { identity = try await server.identity(token: token) } catch {
            logger.error("console sign-in: token table unavailable", metadata: ["error.message": "\(error)"])
            return loginPage(viewer, next: next, error: shell.text("storageFailure", viewer), user: "", status: .serviceUnavailable)
        }
        guard let identity else {
            throttle.failed(key)
            logger.notice("console sign-in failed: unknown, revoked or expired token", metadata: ["client.address": "\(client)"])
            return loginPage(viewer, next: next, error: shell.text("wrongToken", viewer), user: "", status: .unauthorized)
        }
        guard Self.roles.contains(identity.role.rawValue) else {
            // A real token of another role: no guess, so it does not count towards the lock.
            logger.notice("console sign-in refused: role may not use the console",
                          metadata: ["token.id": "\(identity.tokenID)", "token.role": "\(identity.role.rawValue)"])
            return loginPage(viewer, next: next, error: shell.text("participantToken", viewer), user: "", status: .forbidden)
        }
        throttle.succeeded(key)
        let user = ConsoleUser(name: "\(identity.participant) · qzt_\(identity.tokenID)", roles: [identity.role.rawValue])
        let (session, cookie) = sessions.start(for: user)
        let time = now(), maxAge = sessions.maxAge
        tokenSessions.withLock { table in
            table = table.filter { time.timeIntervalSince($0.value.startedAt) <= Double(maxAge.components.seconds) }
            table[session.id] = TokenCheck(hash: TokenService.hash(token), checkedAt: time, startedAt: time)
        }
        logger.info("console sign-in", metadata: ["token.id": "\(identity.tokenID)", "token.role": "\(identity.role.rawValue)"])
        return ConsoleResponse.redirect(to: next, cookies: [cookie])
    }

    private func passwordLogin(_ form: FormBody, viewer: ConsoleShell.Viewer, next: String) async -> Response {
        let name = String((form.text("user") ?? "").prefix(64)), password = form["password"] ?? ""
        if case .locked(let seconds) = throttle.check(name) {
            logger.notice("console sign-in throttled", metadata: ["console.user": "\(name)", "retry.after": "\(seconds)"])
            return locked(viewer, next: next, seconds: seconds, user: name)
        }
        let account = users[name.lowercased()]
        let matches = await PasswordHash.verifyOffThePool(password, hash: account?.passwordHash ?? Self.decoyHash) && account != nil
        guard matches, let account else {
            throttle.failed(name)
            logger.notice("console sign-in failed", metadata: ["console.user": "\(name)"])
            return loginPage(viewer, next: next, error: shell.text("wrongPassword", viewer), user: name, status: .unauthorized)
        }
        throttle.succeeded(name)
        let (_, cookie) = sessions.start(for: ConsoleUser(name: account.name, roles: [account.role]))
        logger.info("console sign-in", metadata: ["console.user": "\(account.name)", "console.role": "\(account.role)"])
        return ConsoleResponse.redirect(to: next, cookies: [cookie])
    }

    private func locked(_ viewer: ConsoleShell.Viewer, next: String, seconds: Int, user: String) -> Response {
        var response = loginPage(viewer, next: next, error: shell.text("tooManyAttempts", viewer).replacingOccurrences(of: "%@", with: "\(seconds)"),
                                 user: user, status: .tooManyRequests)
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    static let loginCookie = "qz_registrar_login"
    /// Checked when the user does not exist, so that an unknown name takes as long as a wrong password.
    static let decoyHash = PasswordHash.make("decoy password that matches nothing")

    private func loginPage(_ viewer: ConsoleShell.Viewer, next: String, error: String?, user: String, status: HTTPResponse.Status) -> Response {
        let token = SessionStore.token()
        let cookie = Cookie(name: Self.loginCookie, value: token, path: "/login", httpOnly: true, sameSite: .strict)
        var context: [String: Any] = ["loginToken": token, "next": ConsoleFormat.localPath(next), "user": user, "users": !users.isEmpty]
        if let error { context["error"] = error }
        return shell.page("login", title: "loginTitle", context: context, viewer: viewer, active: "", status: status, cookies: [cookie])
    }

}

/// Runs the console's live feed and the watcher of new activations while the server runs; on graceful shutdown it
/// ends every live page's stream, so the HTTP server (stopped after it) does not wait for them.
struct RegistrarConsoleService: Service {
    let console: RegistrarConsole

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await console.watchActivations() }
                group.addTask {
                    await console.feed.run { [console] in await console.liveUpdate(fresh: false).event() }
                }
                group.addTask {
                    await console.alertFeed.run { [console] in await console.alertUpdate().event() }
                }
                await group.waitForAll()
            }
        }
    }
}

/// Astana time for the console (`2026-12-03 14:05:09`), or `-`.
func astana(_ time: Timestamp?) -> String { time.map { AstanaTime.display($0.date) } ?? "-" }
