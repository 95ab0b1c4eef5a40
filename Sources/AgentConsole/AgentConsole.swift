import AgentRuntime
import ConsoleKit
import Dispatch
import Foundation
import Hummingbird
import LineConfig
import ConfigKit
import LineCore
import Logging
import Outbox
import ServiceLifecycle
import Synchronization

/// The line console on the agent's HTTP endpoint: the lines at a glance (live), alarms with acknowledgement, the
/// cameras, production jobs and their reports, the outbox, and the audit log; sign-in with the agent's local users.
///
/// Who may do what: reading needs a signed-in user unless `console.openReading` is set; acknowledging alarms,
/// starting and ending jobs and retrying dead letters need the `operator` or `engineer` role; every action goes to
/// the audit log. Forms carry the session's anti-forgery token; wrong passwords are throttled per user.
public final class AgentConsole: AgentHTTPExtension {
    let configuration: ConsoleConfiguration
    let shell: ConsoleShell
    let sessions: SessionStore
    let throttle: LoginThrottle
    let feed: LiveFeed
    let logger: Logger
    private let attached = Mutex<AgentView?>(nil)

    /// The console's own texts (beside ConsoleKit's shared ones).
    public static var texts: Localizer.Table { AgentConsoleTexts.table }

    /// The roles that may act (acknowledge, start/end jobs, retry).
    static let actors: Set<String> = [ConsoleAccount.Role.operator.rawValue, ConsoleAccount.Role.engineer.rawValue]

    /// - Parameters:
    ///   - liveInterval: how often the live pages get an update.
    ///   - now: the sessions' clock (tests move it to expire a session).
    public init(configuration: ConsoleConfiguration, logger: Logger, liveInterval: Duration = .seconds(1),
                now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.configuration = configuration
        self.logger = logger
        shell = try ConsoleShell(
            product: "QazLine", nav: [
                .init("/", "navOverview"), .init("/cameras", "navCameras"), .init("/cases", "navCases"), .init("/jobs", "navJobs"),
                .init("/outbox", "navOutbox"), .init("/audit", "navAudit"),
            ], localizer: Localizer(AgentConsoleTexts.table), fallbackLanguage: ConsoleLanguage(rawValue: configuration.language) ?? .ru,
            templates: AgentConsoleTemplates.all)
        sessions = SessionStore(cookieName: "qz_agent_session", idleTimeout: configuration.sessionTimeout.duration, now: now)
        throttle = LoginThrottle()
        feed = LiveFeed(interval: liveInterval)
    }

    public var services: [any Service] { [LiveFeedService(console: self)] }

    /// Open live pages (for the benchmark and tests).
    public var liveListeners: Int { feed.listenerCount }

    public func register(on router: Router<BasicRequestContext>, view: AgentView) {
        attached.withLock { $0 = view }
        guard configuration.enabled else { return }
        ConsoleAssets.register(on: router)
        registerSignIn(on: router, view: view)
        registerOverview(on: router, view: view)
        registerJobs(on: router, view: view)
        registerOutbox(on: router, view: view)
        registerAudit(on: router, view: view)
        registerWriteOff(on: router, view: view)
        registerCameras(on: router, view: view)
        registerCases(on: router, view: view)
    }

    var view: AgentView? { attached.withLock { $0 } }

    // MARK: Access

    /// The viewer if they may read; otherwise the response to send (a redirect to sign in).
    func reader(_ request: Request) -> ConsoleAccess<ConsoleShell.Viewer> {
        let session = sessions.session(for: request)
        let viewer = shell.viewer(request, session: session)
        if session != nil || configuration.openReading { return .granted(viewer) }
        return .refused(signInRedirect(request))
    }

    /// The signed-in viewer allowed to act, with the posted form (anti-forgery token checked); otherwise the response.
    func actor(_ request: Request, roles: Set<String> = AgentConsole.actors) async -> ConsoleAccess<(ConsoleShell.Viewer, ConsoleSession, FormBody)> {
        guard let session = sessions.session(for: request) else { return .refused(signInRedirect(request)) }
        let viewer = shell.viewer(request, session: session)
        guard !session.user.roles.isDisjoint(with: roles) else {
            return .refused(message(viewer, "notAllowed", status: .forbidden))
        }
        let form: FormBody
        do {
            form = try await FormBody.read(request)
            try CSRF.check(form, session: session)
        } catch {
            return .refused(message(viewer, text: error.description, status: error == .csrf ? .forbidden : .badRequest))
        }
        return .granted((viewer, session, form))
    }

    private func signInRedirect(_ request: Request) -> Response {
        let expired = sessions.hadExpiredSession(request)
        let next = request.method == .get ? request.uri.path : "/"
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

    /// Records an action in the audit log; a failure to record is logged and reported on the status (the action
    /// itself already happened).
    func audit(_ view: AgentView, user: String, _ action: String, target: String? = nil, detail: String? = nil) async {
        do {
            try await view.store.audit(user: user, action: action, target: target, detail: detail)
        } catch {
            view.events.error(line: nil, kind: "audit", "could not record \(action) by \(user) in the audit log: \(error)")
            logger.error("audit log write failed", metadata: ["audit.action": "\(action)", "error.message": "\(error)"])
        }
    }

    // MARK: Sign-in

    private func registerSignIn(on router: Router<BasicRequestContext>, view: AgentView) {
        router.get("login") { [self] request, _ in
            let viewer = shell.viewer(request, session: nil)
            let expired = request.uri.queryParameters["expired"] != nil
            return loginPage(viewer, next: request.uri.queryParameters["next"].map(String.init) ?? "/",
                             error: expired ? shell.text("sessionExpired", viewer) : nil, user: "", status: .ok)
        }
        router.post("login") { [self] request, _ in
            let viewer = shell.viewer(request, session: nil)
            let form: FormBody
            do throws(ConsoleError) { form = try await CSRF.readSignInForm(request, cookieName: Self.loginCookie) } catch {
                return message(viewer, text: error.description, status: error == .csrf ? .forbidden : .badRequest, back: "/login")
            }
            let name = String((form.text("user") ?? "").prefix(64)), password = form["password"] ?? ""
            let next = ConsoleFormat.localPath(form["next"])
            if case .locked(let seconds) = throttle.check(name) {
                await audit(view, user: name, "login-refused", detail: "locked for \(seconds) s after failed attempts")
                return loginPage(viewer, next: next, error: shell.text("tooManyAttempts", viewer).replacingOccurrences(of: "%@", with: "\(seconds)"),
                                 user: name, status: .tooManyRequests)
            }
            let account = try? await view.store.account(named: name)
            let hash = account.flatMap { $0.disabled ? nil : $0.passwordHash } ?? Self.decoyHash
            let matches = await PasswordHash.verifyOffThePool(password, hash: hash) && account?.disabled == false
            guard matches, let account else {
                throttle.failed(name)
                await audit(view, user: name, "login-failed")
                return loginPage(viewer, next: next, error: shell.text("wrongPassword", viewer), user: name, status: .unauthorized)
            }
            throttle.succeeded(name)
            let (_, cookie) = sessions.start(for: ConsoleUser(name: account.name, roles: [account.role.rawValue]))
            await audit(view, user: account.name, "login", detail: account.role.rawValue)
            return ConsoleResponse.redirect(to: next, cookies: [cookie])
        }
        router.post("logout") { [self] request, _ in
            if let session = sessions.session(for: request) {
                let form = try? await FormBody.read(request)
                if let form, (try? CSRF.check(form, session: session)) != nil {
                    await audit(view, user: session.user.name, "logout")
                    return ConsoleResponse.redirect(to: "/login", cookies: [sessions.end(request)])
                }
                return message(shell.viewer(request, session: session), text: ConsoleError.csrf.description, status: .forbidden)
            }
            return ConsoleResponse.redirect(to: "/login")
        }
    }

    static let loginCookie = "qz_agent_login"
    /// Checked when the user does not exist, so that an unknown name takes as long as a wrong password.
    static let decoyHash = PasswordHash.make("decoy password that matches nothing")

    private func loginPage(_ viewer: ConsoleShell.Viewer, next: String, error: String?, user: String, status: HTTPResponse.Status) -> Response {
        let token = SessionStore.token()
        let cookie = Cookie(name: Self.loginCookie, value: token, path: "/login", httpOnly: true, sameSite: .strict)
        var context: [String: Any] = ["loginToken": token, "next": ConsoleFormat.localPath(next), "user": user]
        if let error { context["error"] = error }
        return shell.page("login", title: "loginTitle", context: context, viewer: viewer, active: "", status: status, cookies: [cookie])
    }

}

/// Runs the console's live feed while the agent runs; on graceful shutdown it ends every live page's stream, so the
/// HTTP server (stopped after it) does not wait for them.
struct LiveFeedService: Service {
    let console: AgentConsole

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await console.feed.run { [console] in
                guard let view = console.view else { return LiveUpdate().event() }
                return await console.liveUpdate(view).event()
            }
        }
    }
}

/// Astana time for the console (`2026-12-03 14:05:09`), or `-`.
func astana(_ date: Date?) -> String { date.map(AstanaTime.display) ?? "-" }
