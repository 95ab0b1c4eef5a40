import Dispatch
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Synchronization

/// Someone signed in to a console.
public struct ConsoleUser: Sendable, Hashable {
    /// The login name (or, for a token login, the token's participant).
    public var name: String
    /// What they may do (`operator`, `engineer`, `registrar`, `revenue`, …): each console names its roles.
    public var roles: Set<String>

    public init(name: String, roles: Set<String>) {
        self.name = name
        self.roles = roles
    }
}

/// A signed-in browser: its user, the token every form it posts must carry (CSRF), and its expiry.
public struct ConsoleSession: Sendable, Hashable {
    public var id: String
    public var user: ConsoleUser
    /// The anti-forgery token of this session's forms.
    public var csrf: String
    public var createdAt: Date
    public var lastSeen: Date
}

/// Passwords as bcrypt hashes (hummingbird-auth's), never stored or logged in clear.
public enum PasswordHash {
    /// The bcrypt cost of new hashes (2^cost rounds): about 60 ms at 10 on this class of machine.
    public static let defaultCost: UInt8 = 10

    /// A new salted hash of `password`.
    public static func make(_ password: String, cost: UInt8 = defaultCost) -> String { Bcrypt.hash(password, cost: cost) }

    /// Whether `password` matches `hash` (false for anything that is not a bcrypt hash).
    public static func verify(_ password: String, hash: String) -> Bool {
        guard hash.hasPrefix("$2") else { return false }
        return Bcrypt.verify(password, hash: hash)
    }

    /// ``verify(_:hash:)`` on a dispatch queue: bcrypt takes tens of milliseconds, and the cooperative pool (which the
    /// agent's bottle path and the registrar's requests share) must not wait for it.
    public static func verifyOffThePool(_ password: String, hash: String) async -> Bool {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async { continuation.resume(returning: verify(password, hash: hash)) }
        }
    }

    /// Checks a new password: at least 8 characters, not only digits, not the user's name.
    public static func problem(with password: String, user: String) -> String? {
        if password.count < 8 { return "a password needs at least 8 characters" }
        if password.allSatisfy(\.isNumber) { return "a password of digits only is too easy to guess" }
        if password.lowercased() == user.lowercased() { return "the password must not be the user's name" }
        return nil
    }
}

/// Console sessions in memory: a random id in an HttpOnly, SameSite=Strict cookie; expire after `idleTimeout`
/// without a request, and after `maxAge` in any case (a restart signs everyone out).
public final class SessionStore: Sendable {
    public let cookieName: String
    public let idleTimeout: Duration
    public let maxAge: Duration
    private let sessions = Mutex<[String: ConsoleSession]>([:])
    private let now: @Sendable () -> Date

    public init(cookieName: String, idleTimeout: Duration = .seconds(30 * 60), maxAge: Duration = .seconds(12 * 3600),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.cookieName = cookieName
        self.idleTimeout = idleTimeout
        self.maxAge = maxAge
        self.now = now
    }

    /// Starts a session for `user`; returns it and the cookie that carries it.
    public func start(for user: ConsoleUser) -> (ConsoleSession, Cookie) {
        let time = now()
        let session = ConsoleSession(id: Self.token(), user: user, csrf: Self.token(), createdAt: time, lastSeen: time)
        sessions.withLock { table in
            table = table.filter { !expired($0.value, at: time) }
            table[session.id] = session
        }
        return (session, Cookie(name: cookieName, value: session.id, path: "/", httpOnly: true, sameSite: .strict))
    }

    /// The live session of the request's cookie (and marks it used), or nil (none, unknown or expired).
    public func session(for request: Request) -> ConsoleSession? {
        guard let id = request.cookies[cookieName]?.value else { return nil }
        let time = now()
        return sessions.withLock { table in
            guard var session = table[id] else { return nil }
            if expired(session, at: time) {
                table[id] = nil
                return nil
            }
            session.lastSeen = time
            table[id] = session
            return session
        }
    }

    /// Whether the request carries a cookie of a session that is gone (to say "your session expired").
    public func hadExpiredSession(_ request: Request) -> Bool {
        guard let id = request.cookies[cookieName]?.value else { return false }
        return sessions.withLock { $0[id] == nil }
    }

    /// Ends the request's session; returns the cookie that clears it.
    public func end(_ request: Request) -> Cookie {
        if let id = request.cookies[cookieName]?.value { _ = sessions.withLock { $0.removeValue(forKey: id) } }
        return Cookie(name: cookieName, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict)
    }

    /// Sessions alive now.
    public var count: Int {
        let time = now()
        return sessions.withLock { $0.values.filter { !expired($0, at: time) }.count }
    }

    private func expired(_ session: ConsoleSession, at time: Date) -> Bool {
        time.timeIntervalSince(session.lastSeen) > idleTimeout.seconds || time.timeIntervalSince(session.createdAt) > maxAge.seconds
    }

    /// 32 random bytes, URL-safe base64.
    public static func token() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// Slows down password guessing: after `maxFailures` wrong passwords for one name within `window`, that name is
/// locked for `lockout` (doubling with each further lockout, up to an hour); all names together may fail at most
/// `maxFailuresOverall` times per `window`.
public final class LoginThrottle: Sendable {
    public enum Verdict: Sendable, Equatable {
        case allowed
        case locked(retryAfter: Int)
    }

    private struct Entry {
        var failures: [Date] = []
        var lockedUntil: Date?
        var lockouts = 0
    }
    private struct State {
        var byName: [String: Entry] = [:]
        var overall: [Date] = []
    }
    private let state = Mutex(State())
    let maxFailures: Int, maxFailuresOverall: Int
    let window: TimeInterval, lockout: TimeInterval
    private let now: @Sendable () -> Date

    public init(maxFailures: Int = 5, maxFailuresOverall: Int = 50, window: Duration = .seconds(600),
                lockout: Duration = .seconds(60), now: @escaping @Sendable () -> Date = { Date() }) {
        self.maxFailures = maxFailures
        self.maxFailuresOverall = maxFailuresOverall
        self.window = window.seconds
        self.lockout = lockout.seconds
        self.now = now
    }

    /// Whether a login attempt for `name` may be checked now.
    public func check(_ name: String) -> Verdict {
        let time = now()
        return state.withLock { state in
            state.overall.removeAll { time.timeIntervalSince($0) > window }
            if let until = state.byName[name.lowercased()]?.lockedUntil, until > time {
                return .locked(retryAfter: Int(until.timeIntervalSince(time).rounded(.up)))
            }
            if state.overall.count >= maxFailuresOverall, let oldest = state.overall.first {
                return .locked(retryAfter: max(1, Int((window - time.timeIntervalSince(oldest)).rounded(.up))))
            }
            return .allowed
        }
    }

    /// Records a wrong password for `name`.
    public func failed(_ name: String) {
        let time = now()
        state.withLock { state in
            state.overall.append(time)
            var entry = state.byName[name.lowercased(), default: Entry()]
            entry.failures.removeAll { time.timeIntervalSince($0) > window }
            entry.failures.append(time)
            if entry.failures.count >= maxFailures {
                entry.lockouts += 1
                entry.lockedUntil = time.addingTimeInterval(min(3600, lockout * Double(1 << min(entry.lockouts - 1, 6))))
                entry.failures.removeAll()
            }
            state.byName[name.lowercased()] = entry
        }
    }

    /// A right password: the name's failures are forgotten.
    public func succeeded(_ name: String) {
        _ = state.withLock { $0.byName.removeValue(forKey: name.lowercased()) }
    }
}

/// Checks a posted form's anti-forgery token against the session's, in constant time.
public enum CSRF {
    /// The hidden field's name in every console form.
    public static let field = "csrf"

    /// Reads a sign-in form (posted before there is a session) and checks its token against the double-submit
    /// cookie `cookieName` that the sign-in page set.
    /// - Throws: ``ConsoleError/badForm(_:)`` for a body that is not a form, ``ConsoleError/csrf`` for a token that
    ///   does not match.
    public static func readSignInForm(_ request: Request, cookieName: String) async throws(ConsoleError) -> FormBody {
        let form = try await FormBody.read(request)
        guard let cookie = request.cookies[cookieName]?.value, let sent = form[field], constantTimeEqual(cookie, sent) else {
            throw .csrf
        }
        return form
    }

    public static func check(_ form: FormBody, session: ConsoleSession) throws(ConsoleError) {
        guard let sent = form[field], constantTimeEqual(sent, session.csrf) else { throw .csrf }
    }

    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var seconds: TimeInterval {
        let parts = components
        return TimeInterval(parts.seconds) + TimeInterval(parts.attoseconds) / 1e18
    }
}
