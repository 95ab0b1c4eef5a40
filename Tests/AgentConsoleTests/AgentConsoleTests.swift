import AgentConsole
import AgentRuntime
import AsyncHTTPClient
import ConsoleKit
import Foundation
import LineConfig
import LineCore
import LineDemo
import Logging
import NIOCore
import NIOHTTP1
import Outbox
import QazAPI
import QazClient
import ServiceLifecycle
import Synchronization
import Testing

let quiet: Logger = {
    var logger = Logger(label: "console-test")
    logger.logLevel = .critical
    return logger
}()

/// A browser over real HTTP: keeps cookies, never follows redirects (the tests look at them).
final class Browser: Sendable {
    struct Page {
        var status: Int
        var headers: [(String, String)]
        var body: String
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }
    let base: String
    private let client = HTTPClient(configuration: .init(redirectConfiguration: .disallow))
    private let cookies = Mutex<[String: String]>([:])

    init(base: String) { self.base = base }

    func get(_ path: String) async throws -> Page { try await send(HTTPClientRequest(url: base + path)) }

    func post(_ path: String, _ fields: [String: String]) async throws -> Page {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    private func send(_ original: HTTPClientRequest) async throws -> Page {
        var request = original
        let jar = cookies.withLock { $0 }
        if !jar.isEmpty { request.headers.add(name: "Cookie", value: jar.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        let response = try await client.execute(request, timeout: .seconds(20))
        for value in response.headers["Set-Cookie"] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { cookies.withLock { $0[pair[0]] = pair[1].isEmpty ? nil : pair[1] } }
        }
        let body = try await response.body.collect(upTo: 4 << 20)
        return Page(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: String(buffer: body))
    }

    /// The value of the first hidden `csrf` field on a page.
    static func csrf(in page: Page) -> String? {
        guard let range = page.body.range(of: #"name="csrf" value=""#) else { return nil }
        return String(page.body[range.upperBound...].prefix { $0 != "\"" })
    }

    func signIn(_ user: String, _ password: String) async throws -> Page {
        let form = try await get("/login")
        return try await post("/login", ["user": user, "password": password, "csrf": Browser.csrf(in: form) ?? "", "next": "/"])
    }

    func shutdown() async throws { try await client.shutdown() }

    /// The cookies held, as a `Cookie` header value.
    var cookieHeader: String? {
        let jar = cookies.withLock { $0 }
        return jar.isEmpty ? nil : jar.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
    }
}

/// An agent with its console on a simulated plant (the line stopped), users `op` (operator) and `eng` (engineer).
func withConsole<T: Sendable>(openReading: Bool = false, _ body: (LineAgentRuntime, Browser) async throws -> T) async throws -> T {
    try await withConsole(openReading: openReading) { agent, browser, _ in try await body(agent, browser) }
}

/// With `bottles`, the line runs that many bottles (with `unreadable` of the caps unreadable) before `body`.
func withConsole<T: Sendable>(openReading: Bool = false, bottles: Int = 0, unreadable: Double = 0.03, clock: SessionClock = SessionClock(),
                              caseStation: Bool = false, _ body: (LineAgentRuntime, Browser, SimulatedPlant) async throws -> T) async throws -> T {
    var options = DemoOptions()
    options.caseStation = caseStation
    options.bottles = max(bottles, 50)
    options.progress = false
    options.shares[.unreadable] = unreadable
    return try await SimulatedPlant.run(options, logger: quiet) { plant in
        var configuration = plant.plan.configuration.console
        configuration.openReading = openReading
        var overrides = LineAgentRuntime.Overrides()
        overrides.http = try AgentConsole(configuration: configuration, logger: quiet, now: { clock.now })
        let agent = try plant.makeAgent(overrides, logger: quiet)
        try await plant.ensureUser("op", role: .operator, password: "op-password-1", in: agent.store)
        try await plant.ensureUser("eng", role: .engineer, password: "eng-password-1", in: agent.store)
        let group = agent.makeServiceGroup()
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await LineDemo.waitUntil(timeout: .seconds(20), "the HTTP endpoint") { agent.httpPort != nil }
            let browser = Browser(base: "http://127.0.0.1:\(agent.httpPort!)")
            if bottles > 0 {
                try await plant.startLine(agent)
                try await plant.waitForBottles(bottles, agent: agent, timeout: .seconds(60)) { _ in }
            }
            do {
                let value = try await body(agent, browser, plant)
                try await browser.shutdown()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                await agent.close()
                return value
            } catch {
                try? await browser.shutdown()
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                await agent.close()
                throw error
            }
        }
    }
}

/// The console sessions' clock: real time plus what a test added.
final class SessionClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    func advance(_ seconds: TimeInterval) { offset.withLock { $0 += seconds } }
}

@Suite("The line console over HTTP", .serialized)
struct AgentConsoleTests {
    @Test("An idle session expires: the next request is sent to sign in, which says why; a form of the old session is refused")
    func expiredSession() async throws {
        let clock = SessionClock()
        try await withConsole(clock: clock) { agent, browser, _ in
            _ = try await browser.signIn("op", "op-password-1")
            let jobs = try await browser.get("/jobs")
            #expect(jobs.status == 200)
            let token = try #require(Browser.csrf(in: jobs))
            clock.advance(31 * 60)  // console.sessionTimeout is 30 minutes
            let expired = try await browser.get("/jobs")
            #expect(expired.status == 303)
            #expect(expired.header("Location") == "/login?next=%2Fjobs&expired=1")
            let login = try await browser.get("/login?next=%2Fjobs&expired=1")
            #expect(login.body.contains("Сеанс истёк") || login.body.contains("session expired"))
            let post = try await browser.post("/jobs/start", ["line": "demo", "lot": "LATE", "csrf": token])
            #expect(post.status == 303 && post.header("Location")?.hasPrefix("/login") == true)
            #expect(try await agent.store.jobs().isEmpty)
        }
    }

    @Test("Reading needs a user unless the configuration opens it; a wrong password is refused and throttled")
    func signIn() async throws {
        try await withConsole { agent, browser in
            let anonymous = try await browser.get("/")
            #expect(anonymous.status == 303)
            #expect(anonymous.header("Location") == "/login?next=%2F")
            #expect(try await browser.get("/console/live").status == 401)
            let wrong = try await browser.signIn("op", "not-the-password")
            #expect(wrong.status == 401)
            #expect(wrong.body.contains("Неверное имя пользователя или пароль") || wrong.body.contains("Wrong user name"))
            // An unknown name is refused the same way (and costs the same bcrypt check).
            #expect(try await browser.signIn("nobody", "whatever-1").status == 401)
            for _ in 0..<4 { _ = try await browser.signIn("op", "still-wrong") }
            let locked = try await browser.signIn("op", "op-password-1")
            #expect(locked.status == 429, "five wrong passwords lock the name, even for the right one")
            let other = try await browser.signIn("eng", "eng-password-1")
            #expect(other.status == 303)
            let overview = try await browser.get("/")
            #expect(overview.status == 200)
            #expect(overview.body.contains(#"id="l0-bottles""#))
            #expect(overview.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
            let actions = try await agent.store.auditLog().map(\.action)
            #expect(actions.filter { $0 == "login-failed" }.count == 6)
            #expect(actions.contains("login-refused") && actions.first == "login")
        }
    }

    @Test("Open reading shows the line without signing in, but actions still need a user")
    func openReading() async throws {
        try await withConsole(openReading: true) { agent, browser in
            #expect(try await browser.get("/").status == 200)
            #expect(try await browser.get("/jobs").status == 200)
            let post = try await browser.post("/jobs/start", ["line": "demo", "lot": "X"])
            #expect(post.status == 303)
            #expect(post.header("Location")?.hasPrefix("/login") == true)
            #expect(try await agent.store.jobs().isEmpty)
        }
    }

    @Test("A forged form is refused; a lot with markup is stored as typed and shown escaped everywhere")
    func csrfAndEscaping() async throws {
        try await withConsole { agent, browser in
            #expect(try await browser.signIn("op", "op-password-1").status == 303)
            let forged = try await browser.post("/jobs/start", ["line": "demo", "lot": "F", "csrf": "forged"])
            #expect(forged.status == 403)
            #expect(forged.body.contains("security token"))
            let jobs = try await browser.get("/jobs")
            let token = try #require(Browser.csrf(in: jobs))
            let lot = #"<script>alert("lot")</script>"#
            let started = try await browser.post("/jobs/start", ["line": "demo", "lot": lot, "planned": "12", "recipe": "1", "csrf": token])
            #expect(started.status == 303)
            let job = try #require(try await agent.store.jobs().first)
            #expect(job.lot == lot && job.startedBy == "op" && job.planned == 12)
            for path in ["/jobs", "/jobs/\(job.id)", "/", "/audit"] {
                let page = try await browser.get(path)
                #expect(page.status == 200, "\(path)")
                #expect(!page.body.contains("<script>alert"), "\(path) must escape the lot")
                #expect(page.body.contains("&lt;script&gt;alert(&quot;lot&quot;)&lt;/script&gt;"), "\(path) shows the lot as text")
            }
            let csv = try await browser.get("/jobs/\(job.id)/csv")
            #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
            #expect(csv.body.contains(#""<script>alert(""lot"")</script>""#))
            // A second job on the same line is refused with the reason.
            let again = try await browser.post("/jobs/start", ["line": "demo", "lot": "B", "csrf": token])
            #expect(again.status == 409)
            #expect(again.body.contains("already has job \(job.id) open"))
            let ended = try await browser.post("/jobs/\(job.id)/end", ["csrf": token])
            #expect(ended.status == 303)
            #expect(try await agent.store.job(job.id)?.endedBy == "op")
            #expect(try await agent.store.auditLog().prefix(2).map(\.action) == ["job-end", "job-start"])
        }
    }

    @Test("Bad input in a job form is named")
    func badJobForm() async throws {
        try await withConsole { _, browser in
            _ = try await browser.signIn("op", "op-password-1")
            let token = try #require(Browser.csrf(in: try await browser.get("/jobs")))
            let cases: [([String: String], String)] = [
                (["line": "nope", "lot": "A"], "line: not a line of this agent"),
                (["line": "demo", "lot": "A", "recipe": "77"], "recipe 77 is not configured"),
                (["line": "demo", "lot": "A", "planned": "lots"], "is not a whole number"),
                (["line": "demo", "lot": ""], "the lot number is empty"),
            ]
            for (fields, message) in cases {
                var form = fields
                form["csrf"] = token
                let page = try await browser.post("/jobs/start", form)
                #expect(page.status >= 400, "\(fields)")
                #expect(page.body.contains(message), "\(fields) → \(message)")
            }
            let garbage = try await browser.post("/jobs/start", ["csrf": token, "lot": String(repeating: "x", count: 20_000)])
            #expect(garbage.status == 400)
        }
    }

    @Test("An alarm is acknowledged by a signed-in operator and the audit log says who")
    func alarmAcknowledgement() async throws {
        try await withConsole { agent, browser in
            agent.events.alarm(line: "demo", kind: "reject-missed", "bottle 7 (no-read) was not confirmed rejected")
            let id = try #require(agent.events.alarms.first?.id)
            // Anonymous: sent to sign in, nothing acknowledged.
            #expect(try await browser.post("/alarms/\(id)/ack", [:]).status == 303)
            #expect(agent.events.alarms.first?.acknowledgedBy == nil)
            _ = try await browser.signIn("op", "op-password-1")
            let overview = try await browser.get("/")
            #expect(overview.body.contains("bottle 7 (no-read)"))
            let token = try #require(Browser.csrf(in: overview))
            #expect(try await browser.post("/alarms/\(id)/ack", ["csrf": "x"]).status == 403)
            #expect(try await browser.post("/alarms/\(id)/ack", ["csrf": token]).status == 303)
            #expect(agent.events.alarms.first?.acknowledgedBy == "op")
            #expect(try await browser.get("/alarms").body.contains("op"))
            let entry = try #require(try await agent.store.auditLog().first)
            #expect(entry.action == "alarm-ack" && entry.user == "op" && entry.target == "alarm \(id)")
            #expect(try await browser.post("/alarms/99999/ack", ["csrf": token]).status == 404)
        }
    }

    @Test("The live feed sends the overview's figures as server-sent events")
    func liveFeed() async throws {
        try await withConsole { agent, browser in
            _ = try await browser.signIn("op", "op-password-1")
            let client = HTTPClient()
            do {
                var request = HTTPClientRequest(url: browser.base + "/console/live")
                request.headers.add(name: "Cookie", value: try #require(browser.cookieHeader))
                let response = try await client.execute(request, timeout: .seconds(10))
                #expect(response.headers["Content-Type"].first?.hasPrefix("text/event-stream") == true)
                var text = ""
                for try await chunk in response.body {
                    text += String(buffer: chunk)
                    if text.components(separatedBy: "\n\n").filter({ $0.hasPrefix("data:") }).count >= 2 { break }
                }
                let events = text.components(separatedBy: "\n\n").filter { $0.hasPrefix("data:") }
                #expect(events.count >= 2, "the first update at once, the next a second later")
                let json = try JSONSerialization.jsonObject(with: Data(events[0].dropFirst(5).utf8)) as? [String: Any]
                let texts = json?["text"] as? [String: String]
                #expect(texts?["l0-bottles"] != nil && texts?["ob-pending"] != nil)
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    @Test("An engineer writes off stamps at the registrar from the console; an operator may not; bad codes are named")
    func writeOff() async throws {
        try await withConsole { agent, browser, plant in
            // Two of the producer's issued codes (the line is stopped: none is on a bottle).
            let codes = try await plant.plan.makeClient(logger: quiet).closing { client in
                try await client.pool(bin: plant.plan.configuration.producer.bin, status: .issued, limit: 2).items.map(\.code)
            }
            _ = try await browser.signIn("op", "op-password-1")
            let asOperator = try await browser.get("/write-off")
            #expect(asOperator.status == 200 && !asOperator.body.contains(#"id="write-off""#))
            let refused = try await browser.post("/write-off", ["csrf": Browser.csrf(in: asOperator) ?? "", "codes": codes[0], "reason": "damaged"])
            #expect(refused.status == 403)
            #expect(try await browser.post("/logout", ["csrf": Browser.csrf(in: asOperator) ?? ""]).status == 303)
            _ = try await browser.signIn("eng", "eng-password-1")
            let form = try await browser.get("/write-off")
            let token = try #require(Browser.csrf(in: form))
            let bad = try await browser.post("/write-off", ["csrf": token, "codes": "\(codes[0]) <b>nope</b>", "reason": "damaged"])
            #expect(bad.status == 400 && bad.body.contains("nothing was sent") && bad.body.contains("&lt;b&gt;nope&lt;/b&gt;"))
            let done = try await browser.post("/write-off", ["csrf": token, "codes": codes.joined(separator: "\n"), "reason": "damaged",
                                                             "note": "cap torn"])
            #expect(done.status == 200)
            #expect(done.body.components(separatedBy: "written-off").count - 1 == 2, "\(done.body)")
            let entry = try #require(try await agent.store.auditLog().first)
            #expect(entry.action == "write-off" && entry.user == "eng" && entry.detail == "damaged: cap torn: 2 written off, 0 refused")
        }
    }

    @Test("The camera page shows the latest frame and the kept frames of rejected bottles, with overlays; engineers run the analysis")
    func cameraPage() async throws {
        try await withConsole(bottles: 60, unreadable: 0.4) { agent, browser, _ in
            _ = try await browser.signIn("op", "op-password-1")
            let list = try await browser.get("/cameras")
            #expect(list.status == 200 && list.body.contains(#"href="/cameras/demo-top""#))
            try await LineDemo.waitUntil(timeout: .seconds(20), "a kept frame of a rejected bottle") {
                !(await agent.view.cameras.cameraView("demo-top")?.failedFrames.isEmpty ?? true)
            }
            let page = try await browser.get("/cameras/demo-top")
            #expect(page.status == 200)
            #expect(page.body.contains("<svg class=\"chart\""), "the decode-time histogram")
            let src = try #require(page.body.range(of: #"src="/cameras/demo-top/failed/"#).map { range in
                "/cameras/demo-top/failed/" + page.body[range.upperBound...].prefix { $0 != "\"" }
            })
            let image = try await browser.get(src)
            #expect(image.status == 200 && image.header("Content-Type") == "image/jpeg")
            #expect(page.body.contains("no-read"), "the kept frame's decision")
            #expect(page.body.contains(#"<svg class="overlay""#))
            let latest = try await browser.get("/cameras/demo-top/latest")
            #expect(latest.body.contains(#"<img src="data:image/jpeg;base64,"#) && latest.body.contains("class=\"roi\""))
            #expect(try await browser.get("/cameras/demo-top/latest.jpg").header("Content-Type") == "image/jpeg")
            #expect(try await browser.get("/cameras/demo-top/failed/..%2Foutbox.sqlite").status == 404)
            #expect(try await browser.get("/cameras/nope").status == 404)
            let token = try #require(Browser.csrf(in: page))
            #expect(try await browser.post("/cameras/demo-top/analyze", ["csrf": token]).status == 403, "operators do not run the analysis")
            _ = try await browser.post("/logout", ["csrf": token])
            _ = try await browser.signIn("eng", "eng-password-1")
            let engineer = try await browser.get("/cameras/demo-top")
            let analysis = try await browser.post("/cameras/demo-top/analyze", ["csrf": try #require(Browser.csrf(in: engineer))])
            #expect(analysis.status == 200 && analysis.body.contains(#"id="analysis-frames""#), "\(analysis.body.suffix(2000))")
            #expect(try await agent.store.auditLog().first?.action == "camera-analysis")
        }
    }

    @Test("The cases page shows the case station and its cases; an operator dissolves a case for rework, recorded in the audit log")
    func casesPage() async throws {
        try await withConsole(bottles: 60, unreadable: 0, caseStation: true) { agent, browser, plant in
            try await plant.waitForCases(timeout: .seconds(30))
            _ = try await browser.signIn("op", "op-password-1")
            let page = try await browser.get("/cases")
            #expect(page.status == 200 && page.body.contains(#"id="station-demo-case""#) && page.body.contains(#"id="cases""#))
            let packed = try #require(try await agent.store.recentCases(status: "packed").first)
            let code = try #require(packed.code)
            #expect(page.body.contains(code))
            let detail = try await browser.get("/cases/\(code)")
            #expect(detail.status == 200 && detail.body.contains(packed.contents[0]))
            // A case with no code yet (a rejected one) is linked by its number, `#id`, percent-encoded in the path.
            let byNumber = try await browser.get("/cases/%23\(packed.id)")
            #expect(byNumber.status == 200 && byNumber.body.contains(packed.contents[0]), "\(byNumber.body.suffix(800))")
            #expect(try await browser.get("/cases/%23999999").status == 404)
            let token = try #require(Browser.csrf(in: page))
            let unknown = try await browser.post("/cases/dissolve", ["csrf": token, "case": "<b>NOPE</b>", "reason": "rework"])
            #expect(unknown.status == 409 && unknown.body.contains("no case &lt;b&gt;NOPE&lt;/b&gt; is recorded"))
            let done = try await browser.post("/cases/dissolve", ["csrf": token, "case": code, "reason": "crushed <i>box</i>"])
            #expect(done.status == 200 && done.body.contains("dissolved case \(code)"), "\(done.body)")
            let after = try #require(try await agent.store.cases(code: code).first)
            #expect(after.status == "dissolved" && after.members.isEmpty && after.dissolvedBy == "op")
            let entry = try #require(try await agent.store.auditLog().first)
            #expect(entry.action == "case-dissolve" && entry.user == "op" && entry.target == code)
            // A pallet typed in from the console: the remaining packed cases; a bad code is named.
            let others = try await agent.store.recentCases(status: "packed").filter { $0.pallet == nil }.compactMap(\.code)
            let bad = try await browser.post("/pallets/build", ["csrf": token, "cases": "123456789012345678"])
            #expect(bad.status == 400 && bad.body.contains("fails its check digit"), "\(bad.body)")
            if let first = others.first {
                let built = try await browser.post("/pallets/build", ["csrf": token, "cases": first])
                #expect(built.status == 200 && built.body.contains("built pallet"), "\(built.body)")
            }
            let again = try await browser.get("/cases/\(code)")
            #expect(again.body.contains("crushed &lt;i&gt;box&lt;/i&gt;") && !again.body.contains(#"id="dissolve-submit""#))
        }
    }

    @Test("Dead letters are retried from the outbox page, as `lineagent outbox retry` does")
    func outboxRetry() async throws {
        try await withConsole { agent, browser in
            _ = try await browser.signIn("eng", "eng-password-1")
            let page = try await browser.get("/outbox")
            #expect(page.status == 200 && page.body.contains(#"id="dead""#))
            let token = try #require(Browser.csrf(in: page))
            let retried = try await browser.post("/outbox/retry", ["csrf": token])
            #expect(retried.status == 303)
            #expect(retried.header("Location") == "/outbox?retried=0")
            let bad = try await browser.post("/outbox/retry", ["csrf": token, "code": "<x>"])
            #expect(bad.status == 400 && bad.body.contains("is not a stamp code") && !bad.body.contains("<x>"))
            #expect(try await agent.store.auditLog().first?.action == "outbox-retry")
        }
    }
}

@Suite("The line console's texts")
struct AgentConsoleTextTests {
    @Test("Every text of the line console exists in Russian, Kazakh and English")
    func complete() {
        let localizer = Localizer(AgentConsole.texts)
        for language in ConsoleLanguage.allCases { #expect(localizer.missing(in: language) == [], "\(language)") }
    }
}
