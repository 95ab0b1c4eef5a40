import ConsoleKit
import Foundation
import Hummingbird
import Synchronization
import Testing

/// A clock the tests move by hand.
final class TestTime: Sendable {
    private let value = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite("Console building blocks")
struct ConsoleKitTests {
    @Test("HTML escaping covers every character that can open markup or end an attribute")
    func escaping() {
        #expect(HTML.escape(#"<script>alert("x")</script> & 'q'"#)
            == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;")
    }

    @Test("Templates escape what the line or a form supplies; only the layout inserts the page")
    func templatesEscape() throws {
        let shell = try ConsoleShell(product: "Test <b>", nav: [.init("/", "signIn")], localizer: Localizer(),
                                     templates: ["page": "<p id=\"x\">{{value}}</p>"])
        let request = Request(head: .init(method: .get, scheme: "http", authority: "x", path: "/?lang=en"), body: .init(buffer: ByteBuffer()))
        let html = shell.render("page", context: ["value": "<img src=x onerror=alert(1)>"], viewer: shell.viewer(request, session: nil))
        #expect(html == "<p id=\"x\">&lt;img src=x onerror=alert(1)&gt;</p>")
    }

    @Test("CSV quotes separators and neutralises spreadsheet formulas")
    func csv() {
        let text = CSV.render(header: ["a", "b"], rows: [["=HYPERLINK(\"x\")", "1,5"], ["-3", "line\nbreak"]])
        #expect(text == "a,b\r\n\"'=HYPERLINK(\"\"x\"\")\",\"1,5\"\r\n-3,\"line\nbreak\"\r\n")
    }

    @Test("A form body decodes +, percent escapes and repeated names")
    func formBody() {
        let form = FormBody(parsing: "lot=A%2B1+b&x=1&x=2&empty=&csrf=t%3D")
        #expect(form["lot"] == "A+1 b")
        #expect(form["x"] == "2")
        #expect(form.text("empty") == nil)
        #expect(form["csrf"] == "t=")
    }

    @Test("Sessions expire after the idle timeout and after their maximum age")
    func sessionExpiry() throws {
        let time = TestTime()
        let store = SessionStore(cookieName: "s", idleTimeout: .seconds(60), maxAge: .seconds(300), now: { time.now })
        let (session, cookie) = store.start(for: ConsoleUser(name: "op", roles: ["operator"]))
        #expect(cookie.httpOnly && cookie.sameSite == .strict)
        let request = Request(head: .init(method: .get, scheme: "http", authority: "x", path: "/", headerFields: [.cookie: "s=\(session.id)"]),
                              body: .init(buffer: ByteBuffer()))
        time.advance(59)
        #expect(store.session(for: request)?.user.name == "op")
        time.advance(59)  // used 59 s ago: still alive
        #expect(store.session(for: request) != nil)
        time.advance(61)
        #expect(store.session(for: request) == nil)
        #expect(store.hadExpiredSession(request))
        // Maximum age: alive while used, gone after 300 s in any case.
        let (second, _) = store.start(for: ConsoleUser(name: "op", roles: ["operator"]))
        let again = Request(head: .init(method: .get, scheme: "http", authority: "x", path: "/", headerFields: [.cookie: "s=\(second.id)"]),
                            body: .init(buffer: ByteBuffer()))
        for _ in 0..<5 {
            time.advance(50)
            #expect(store.session(for: again) != nil)
        }
        time.advance(51)
        #expect(store.session(for: again) == nil)
    }

    @Test("Wrong passwords lock a name for a while, doubling; a right one clears its failures")
    func throttle() {
        let time = TestTime()
        let throttle = LoginThrottle(maxFailures: 3, maxFailuresOverall: 100, window: .seconds(600), lockout: .seconds(60), now: { time.now })
        for _ in 0..<2 { throttle.failed("Op") }
        #expect(throttle.check("op") == .allowed)
        throttle.failed("op")
        #expect(throttle.check("OP") == .locked(retryAfter: 60))
        #expect(throttle.check("other") == .allowed)
        time.advance(61)
        #expect(throttle.check("op") == .allowed)
        for _ in 0..<3 { throttle.failed("op") }
        #expect(throttle.check("op") == .locked(retryAfter: 120))
        time.advance(121)
        throttle.succeeded("op")
        throttle.failed("op")
        #expect(throttle.check("op") == .allowed)
    }

    @Test("All names together are limited too")
    func throttleOverall() {
        let throttle = LoginThrottle(maxFailures: 100, maxFailuresOverall: 4)
        for index in 0..<4 { throttle.failed("user\(index)") }
        guard case .locked = throttle.check("someone-else") else {
            Issue.record("a fifth name should be refused after 4 failures overall")
            return
        }
    }

    @Test("Passwords are bcrypt hashes; weak ones are named")
    func passwords() {
        let hash = PasswordHash.make("correct horse", cost: 4)
        #expect(hash.hasPrefix("$2"))
        #expect(PasswordHash.verify("correct horse", hash: hash))
        #expect(!PasswordHash.verify("correct horsE", hash: hash))
        #expect(!PasswordHash.verify("correct horse", hash: "correct horse"))
        #expect(PasswordHash.problem(with: "short", user: "op") != nil)
        #expect(PasswordHash.problem(with: "12345678901", user: "op") != nil)
        #expect(PasswordHash.problem(with: "operator1", user: "operator1") != nil)
        #expect(PasswordHash.problem(with: "line-two-night", user: "op") == nil)
    }

    @Test("The anti-forgery check wants this session's token")
    func csrf() throws {
        let store = SessionStore(cookieName: "s")
        let (session, _) = store.start(for: ConsoleUser(name: "op", roles: []))
        try CSRF.check(FormBody(fields: ["csrf": session.csrf]), session: session)
        #expect(throws: ConsoleError.csrf) { try CSRF.check(FormBody(fields: ["csrf": "x" + session.csrf]), session: session) }
        #expect(throws: ConsoleError.csrf) { try CSRF.check(FormBody(fields: [:]), session: session) }
    }

    @Test("Charts are SVG with every label escaped")
    func charts() {
        let svg = SVGChart.stackedBars(labels: ["10:00", "11:00"], series: [.init(name: "<b>BIN</b>", values: [3, 5])], title: "t&t")
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("&lt;b&gt;BIN&lt;/b&gt;"))
        #expect(!svg.contains("<b>"))
        #expect(svg.contains("t&amp;t"))
        let histogram = SVGChart.histogram(buckets: [("0-2", 4), ("2-5", 0)], title: "decode")
        #expect(histogram.contains(">4</text>"))
    }

    @Test("The live update is one SSE event of JSON")
    func liveUpdate() throws {
        var update = LiveUpdate()
        update.text["a"] = "</script>"
        update.rows["t"] = [[.init("1", class: "num")]]
        let event = update.event()
        #expect(event.hasPrefix("data: {"))
        #expect(event.hasSuffix("}\n\n"))
        #expect(!event.dropLast(2).contains("\n"))
        let json = try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as? [String: Any]
        #expect((json?["text"] as? [String: String])?["a"] == "</script>")
    }

    @Test("Every shared text exists in Russian, Kazakh and English")
    func languages() {
        let localizer = Localizer()
        for language in ConsoleLanguage.allCases { #expect(localizer.missing(in: language) == []) }
    }
}
