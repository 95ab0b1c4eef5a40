import AsyncHTTPClient
import ConsoleKit
import Foundation
import LineCore
import NIOCore
import NIOHTTP1
import QazAPI
import QazServer
import RegistrarConsole
import Testing

/// The registrar console over real HTTP on 127.0.0.1, beside the registrar's API on the same server.
@Suite("Registrar console over loopback HTTP")
struct RegistrarConsoleTests {
    @Test("sign-in: registrar and revenue-body tokens open a session; a wrong token is 401 and the sixth try 429; participants' tokens 403")
    func signIn() async throws {
        try await withConsole { console in
            // Without a session every page sends the browser to sign in.
            let anonymous = console.browser()
            let refused = try await anonymous.get("/")
            #expect(refused.status == 303)
            #expect(refused.location == "/login?next=%2F")
            #expect(try await anonymous.get("/console/live").status == 401)

            for who in ["registrar", "revenue"] {
                let browser = console.browser()
                let answer = try await browser.signIn([("token", console.tokens[who]!)])
                #expect(answer.status == 303, "\(who): \(answer.body.prefix(200))")
                #expect(answer.location == "/")
                #expect(browser.cookies["qz_registrar_session"] != nil)
                let page = try await browser.get("/")
                #expect(page.status == 200)
                #expect(page.body.contains(#"id="act-24h""#))
                #expect(page.body.contains(who == "registrar" ? "registrar" : "revenue-body"))
                #expect(page.headers.first(name: "Content-Security-Policy")?.contains("script-src 'self'") == true)
                // The token itself never appears in a page.
                #expect(!page.body.contains(console.tokens[who]!))
            }

            let participant = try await console.browser().signIn([("token", console.tokens["producerA"]!)])
            #expect(participant.status == 403)
            #expect(participant.body.contains("Токены производителей"))

            let guesser = console.browser()
            for attempt in 1...5 {
                let answer = try await guesser.signIn([("token", "qzt_00000000_wrong\(attempt)")])
                #expect(answer.status == 401, "attempt \(attempt)")
                #expect(answer.body.contains("Этот токен не даёт доступа к консоли."))
            }
            let locked = try await guesser.signIn([("token", "qzt_00000000_wrong6")])
            #expect(locked.status == 429)
            #expect(Int(locked.headers.first(name: "Retry-After") ?? "") ?? 0 > 0)
            // Locked means locked: not even the right token is checked from this address until the lock passes.
            #expect(try await guesser.signIn([("token", console.tokens["registrar"]!)]).status == 429)
            console.clock.advance(61)
            #expect(try await guesser.signIn([("token", console.tokens["registrar"]!)]).status == 303)
        }
    }

    @Test("sessions expire after the idle timeout (the page says so), and a revoked token ends its session within a minute")
    func sessionExpiry() async throws {
        try await withConsole { console in
            let browser = try await console.signedIn()
            #expect(try await browser.get("/reports").status == 200)
            console.clock.advance(29 * 60)
            #expect(try await browser.get("/reports").status == 200)  // used: the idle time starts again
            console.clock.advance(31 * 60)
            let expired = try await browser.get("/reports")
            #expect(expired.status == 303)
            let location = try #require(expired.location)
            #expect(location.hasPrefix("/login?next=%2Freports") && location.hasSuffix("&expired=1"))
            let login = try await browser.get(location)
            #expect(login.body.contains("Сеанс истёк. Войдите снова."))

            let revoked = try await console.signedIn("revoked")
            #expect(try await revoked.get("/").status == 200)
            let id = String(console.tokens["revoked"]!.split(separator: "_")[1])
            #expect(try await console.store.revokeToken(id: id, at: .now))
            console.clock.advance(61)
            #expect(try await revoked.get("/").status == 303)
        }
    }

    @Test("forged posts are refused with 403: a look-up without the session's token, a sign-in without the form's cookie, a sign-out")
    func csrf() async throws {
        try await withConsole { console in
            let browser = try await console.signedIn()
            let page = try await browser.get("/lookup")
            let token = try #require(Browser.csrf(in: page.body))
            let forged = try await browser.post("/lookup", form: [("csrf", "forged"), ("code", "QZA000000000000000001")])
            #expect(forged.status == 403)
            #expect(forged.body.contains("security token"))
            #expect(try await browser.post("/lookup", form: [("code", "QZA000000000000000001")]).status == 403)
            #expect(try await browser.post("/logout", form: []).status == 403)
            #expect(try await browser.get("/").status == 200)  // still signed in

            // A sign-in posted from elsewhere carries no sign-in cookie of this browser.
            let other = console.browser()
            let login = try await other.get("/login")
            let loginToken = try #require(Browser.csrf(in: login.body))
            other.forget("qz_registrar_login")
            #expect(try await other.post("/login", form: [("csrf", loginToken), ("token", console.tokens["registrar"]!)]).status == 403)

            // With the right token the same posts work.
            #expect(try await browser.post("/lookup", form: [("csrf", token), ("code", "QZA000000000000000001")]).status == 404)
            let out = try await browser.post("/logout", form: [("csrf", token)])
            #expect(out.status == 303)
            #expect(try await browser.get("/").status == 303)
        }
    }

    @Test("the overview charts activations per participant per hour and lists the last activations once codes are activated")
    func overview() async throws {
        try await withConsole { console in
            let browser = try await console.signedIn()
            let before = try await browser.get("/")
            #expect(before.body.contains(#"id="chart-empty""#))
            let a = try await console.issue(6, to: producerA, prefix: "QZA", series: "AA", name: "Alpha <Distillery> & Co")
            let b = try await console.issue(2, to: producerB, prefix: "QZB", series: "BB", name: "Beta Spirits")
            try await console.activate(Array(a.prefix(4)))
            try await console.activate(b, as: "producerB")
            let page = try await browser.get("/")
            #expect(page.status == 200)
            #expect(page.body.contains("<svg class=\"chart\""))
            #expect(page.body.contains("\(producerA) · Alpha &lt;Distillery&gt; &amp; Co"))
            #expect(page.body.contains("\(producerB) · Beta Spirits"))
            #expect(!page.body.contains("<Distillery>"))
            #expect(page.body.contains(#"<div class="value" id="act-24h">6</div>"#))
            #expect(page.body.contains(a[3]))  // the last events list the codes
            #expect(!page.body.contains(#"id="chart-empty""#))
            // The chart alone, as the page's script re-fetches it.
            let chart = try await browser.get("/console/chart")
            #expect(chart.status == 200)
            #expect(chart.body.hasPrefix("<svg"))
            #expect(chart.body.contains(": 4</title>"))  // producer A's bar of this hour
            #expect(chart.body.contains(producerA.rawValue))
        }
    }

    @Test("code look-up: a real code shows its record; an injected script is escaped and answered with a clear error; garbage too")
    func lookUp() async throws {
        try await withConsole { console in
            let codes = try await console.issue(2, to: producerA, prefix: "QZA", series: "AA", name: "Alpha Distillery")
            try await console.activate([codes[0]])
            let browser = try await console.signedIn()
            let token = try #require(Browser.csrf(in: try await browser.get("/").body))

            let found = try await browser.post("/lookup", form: [("csrf", token), ("code", codes[0])])
            #expect(found.status == 200)
            #expect(found.body.contains(#"<dd id="info-code">\#(codes[0])</dd>"#))
            #expect(found.body.contains("активирован"))
            #expect(found.body.contains("\(producerA) · Alpha Distillery"))
            let link = try await browser.post("/lookup?lang=en", form: [("csrf", token), ("code", "https://qr.example.kz/c/\(codes[1])")])
            #expect(link.status == 200)
            #expect(link.body.contains(">issued<"))

            let injected = try await browser.post("/lookup?lang=ru", form: [("csrf", token), ("code", "<script>alert(1)</script>")])
            #expect(injected.status == 400)
            #expect(!injected.body.contains("<script>alert(1)"))
            #expect(injected.body.contains("«&lt;script&gt;alert(1)&lt;/script&gt;» — не код марки"))
            #expect(injected.body.contains(#"value="&lt;script&gt;alert(1)&lt;/script&gt;""#))

            let quoted = try await browser.post("/lookup?lang=en", form: [("csrf", token), ("code", #""><img src=x onerror=alert(1)>"#)])
            #expect(quoted.status == 400)
            #expect(!quoted.body.contains("<img"))
            #expect(quoted.body.contains("is not a stamp code"))

            let long = try await browser.post("/lookup?lang=en", form: [("csrf", token), ("code", String(repeating: "Z", count: 5000))])
            #expect(long.status == 400)
            #expect(long.body.contains("longer than any stamp code"))
            #expect(try await browser.post("/lookup", form: [("csrf", token), ("code", "  ")]).status == 400)
            let unknown = try await browser.post("/lookup?lang=kk", form: [("csrf", token), ("code", "QZZ000000000000000009")])
            #expect(unknown.status == 404)
            #expect(unknown.body.contains("QZZ000000000000000009 кодын тіркеуші бермеген."))
        }
    }

    @Test("reports: every participant's App. 9/10 of a chosen month, with JSON, CSV and printable forms served to the session")
    func reports() async throws {
        try await withConsole { console in
            let codes = try await console.issue(5, to: producerA, prefix: "QZA", series: "AA", name: "Alpha Distillery")
            try await console.activate(Array(codes.prefix(3)))
            let month = ReportingMonth.containing(Date())
            let browser = try await console.signedIn("revenue")
            let page = try await browser.get("/reports?month=\(month)")
            #expect(page.status == 200)
            #expect(page.body.contains(#"<tr id="p-\#(producerA)">"#))
            let json = "/reports/app9?bin=\(producerA)&month=\(month)&format=json"
            #expect(page.body.contains(json.replacingOccurrences(of: "&", with: "&amp;")))

            let app9 = try await browser.get(json)
            #expect(app9.status == 200)
            let report = try WireCoding.decoder().decode(QRActivationReport.self, from: Data(app9.body.utf8))
            #expect(report.activated == 3 && report.participant == producerA && report.month == month)
            let csv = try await browser.get("/reports/app10?bin=\(producerA)&month=\(month)&format=csv")
            #expect(csv.status == 200)
            #expect(csv.headers.first(name: "Content-Disposition") == "attachment; filename=\"app10-qr-usage-\(producerA)-\(month).csv\"")
            #expect(csv.body.hasPrefix(QRUsageReport.csvHeader))
            let printable = try await browser.get("/reports/app10?bin=\(producerA)&month=\(month)&format=html")
            #expect(printable.status == 200)
            // App. 10's title as order No 288 prints it (ReportFormTests checks every line against the seed text).
            #expect(printable.body.contains("алынған QR-кодын пайдалану туралы есеп"))
            #expect(printable.headers.first(name: "Content-Security-Policy")?.contains("script-src") == false)

            #expect(try await browser.get("/reports/app9?bin=123&month=\(month)&format=json").status == 400)
            #expect(try await browser.get("/reports/app11?bin=\(producerA)&month=\(month)").status == 404)
            let bad = try await browser.get("/reports?month=%3Cb%3E")
            #expect(bad.status == 400)
            #expect(bad.body.contains("«&lt;b&gt;» — не месяц"))
            // The same link without a session leads to the sign-in page, which leads back to it.
            let anonymous = try await console.browser().get(json)
            #expect(anonymous.status == 303)
            #expect(anonymous.location?.hasPrefix("/login?next=%2Freports%2Fapp9%3Fbin%3D") == true)
        }
    }

    @Test("the live stream sends LiveUpdate JSON at once and the new figures after an activation, without reloading")
    func liveStream() async throws {
        try await withConsole { console in
            let codes = try await console.issue(4, to: producerA, prefix: "QZA", series: "AA", name: "Alpha Distillery")
            try await console.activate([codes[0]])
            let browser = try await console.signedIn()
            let response = try await console.client.execute(browser.request(.GET, "/console/live", form: nil), timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true)
            var lines = LineReader(response.body.makeAsyncIterator())
            let first = try #require(try await lines.nextEvent())
            #expect(first.text["ev-latest"] == "1")
            #expect(first.text["act-24h"] == "1")
            #expect(first.rows["events"]?.first?[3].t == codes[0])
            try await console.activate(Array(codes[1...2]))
            var latest = first
            let deadline = ContinuousClock.now + .seconds(10)
            while latest.text["ev-latest"] != "3", ContinuousClock.now < deadline {
                latest = try #require(try await lines.nextEvent())
            }
            #expect(latest.text["ev-latest"] == "3")
            #expect(latest.text["act-24h"] == "3")
            #expect(latest.text["chart-version"] != first.text["chart-version"])
            #expect(latest.rows["events"]?.map { $0[3].t } == [codes[2], codes[1], codes[0]])
            #expect(console.console.liveListeners == 1)
        }
    }
}

/// The JSON of a live update, as the page's script reads it.
struct LiveJSON: Decodable {
    struct Cell: Decodable { var t: String; var c: String? }
    var text: [String: String]
    var cls: [String: String]
    var rows: [String: [[Cell]]]
    var show: [String: Bool]
}

/// Reads `data:` events from a streamed body.
struct LineReader {
    var iterator: HTTPClientResponse.Body.AsyncIterator
    var buffer = ""
    init(_ iterator: HTTPClientResponse.Body.AsyncIterator) { self.iterator = iterator }

    mutating func nextEvent() async throws -> LiveJSON? {
        while true {
            if let end = buffer.range(of: "\n\n") {
                let block = String(buffer[..<end.lowerBound])
                buffer.removeSubrange(..<end.upperBound)
                for line in block.split(separator: "\n") where line.hasPrefix("data: ") {
                    return try JSONDecoder().decode(LiveJSON.self, from: Data(line.dropFirst(6).utf8))
                }
                continue
            }
            guard let chunk = try await iterator.next() else { return nil }
            buffer += String(buffer: chunk)
        }
    }
}
