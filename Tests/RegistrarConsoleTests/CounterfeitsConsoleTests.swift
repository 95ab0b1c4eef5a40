import CounterfeitAnalytics
import AsyncHTTPClient
import ConsoleKit
@testable import CounterfeitAnalytics
import Foundation
import LineCore
import NIOCore
import NIOHTTP1
import QazAPI
import QazServer
@testable import RegistrarConsole
import Testing

/// Almaty and Astana as a phone reports them: 970 km apart, so two scans of one code a minute apart cannot be one bottle.
let almaty = ScanLocation(latitude: 43.2389, longitude: 76.8897, accuracy: 25)
let astanaCentre = ScanLocation(latitude: 51.1283, longitude: 71.4305, accuracy: 30)

extension Console {
    /// A consumer's scan through the public `POST /v1/verify` (no token), as the stamp-check page sends it.
    func verify(_ code: String, at location: ScanLocation? = nil) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/verify")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try WireCoding.encoder().encode(VerifyRequest(code: code, location: location))))
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        try #require(response.status == .ok, "verify answered \(response.status): \(String(buffer: body))")
    }

    var retail: any RetailStore { store as! any RetailStore }

    /// Records a scan straight in the store with one alert of `kind` (the store's evaluator decides what it is told).
    @discardableResult
    func seedAlert(_ kind: AlertKind, code: String, at time: Timestamp, region: String?, location: ScanLocation? = nil,
                   message: String = "seeded") async throws -> ScanOutcome {
        try await retail.recordScan(ScanCommand(id: UUID(), code: code, at: time, location: location, region: region)) { scan, _, _, _ in
            [NewAlert(kind: kind, message: message, evidence: AlertEvidence(scans: [scan]))]
        }
    }
}

/// Counts the occurrences of `needle`.
func occurrences(of needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

/// The counterfeits page (`/alerts`) over real HTTP: alerts raised by real scans, filters, paging, escaping, the map and
/// the live feed.
@Suite("Registrar console: counterfeits")
struct CounterfeitsConsoleTests {
    @Test("the page, its list, its map and its live feed need a session")
    func needsSignIn() async throws {
        try await withConsole { console in
            let anonymous = console.browser()
            let page = try await anonymous.get("/alerts?kind=unknownScanned")
            #expect(page.status == 303)
            #expect(page.location == "/login?next=%2Falerts%3Fkind%3DunknownScanned")
            #expect(try await anonymous.get("/console/alerts").status == 401)
            #expect(try await anonymous.get("/console/alerts/map").status == 401)
            #expect(try await anonymous.get("/console/alerts/live").status == 401)
            // The assets are public, like ConsoleKit's (they hold no data).
            #expect(try await anonymous.get("/console/assets/counterfeits.css").status == 200)
            #expect(try await anonymous.get("/console/assets/counterfeits.js").status == 200)
            let browser = try await console.signedIn("registrar")
            let signed = try await browser.get("/alerts")
            #expect(signed.status == 200)
            #expect(signed.body.contains(#"<a href="/alerts" class="active">"#))
        }
    }

    @Test("a revenue-body session sees the alerts real scans raised: an unknown code, and a code scanned in Almaty then in Astana")
    func alertsFromRealScans() async throws {
        try await withConsole { console in
            let codes = try await console.issue(2, to: producerA, prefix: "QZA", series: "AA", name: "Alpha Distillery")
            try await console.activate([codes[0]])
            try await console.verify("QZZ000000000000000009")  // never issued, no location
            try await console.verify(codes[0], at: almaty)
            try await console.verify(codes[0], at: astanaCentre)
            let alerts = try await console.retail.alerts(AlertQuery()).items
            try #require(alerts.map(\.kind) == [.impossibleTravel, .unknownScanned])

            let browser = try await console.signedIn("revenue")
            let page = try await browser.get("/alerts?lang=en")
            #expect(page.status == 200)
            #expect(page.headers.first(name: "Content-Security-Policy")?.contains("script-src 'self'") == true)
            #expect(!page.body.contains("<script>"))  // only the page's own script files
            #expect(page.body.contains(#"<script src="/console/assets/counterfeits.js" defer></script>"#))
            // Newest first, in Astana time, the kind in words on a coloured badge, the code a look-up button.
            let travel = try #require(page.body.range(of: #"id="alert-2""#)), unknown = try #require(page.body.range(of: #"id="alert-1""#))
            #expect(travel.lowerBound < unknown.lowerBound)
            #expect(page.body.contains(#"<span class="badge small-badge cf-kind impossibleTravel">Copied stamp: impossible travel</span>"#))
            #expect(page.body.contains(#"<span class="badge small-badge cf-kind unknownScanned">Unknown stamp</span>"#))
            #expect(page.body.contains(AstanaTime.display(alerts[0].at.date)))
            #expect(page.body.contains(#"<input type="hidden" name="code" value="\#(codes[0])"><button class="cf-code""#))
            #expect(page.body.contains("\(producerA) · Alpha Distillery"))
            #expect(page.body.contains("<td>Astana (city)</td>"))
            #expect(page.body.contains(HTML.escape(alerts[0].message)))
            // The evidence: both scans with times and places, the distance and the speed it would need.
            #expect(page.body.contains(#"<details class="cf-evidence" data-alert="2"><summary>Evidence · 2 scans</summary>"#))
            let km = try #require(alerts[0].evidence.distanceKm)
            #expect(page.body.contains("\(RegistrarConsole.decimal(km, places: 1)) km apart"))
            #expect(page.body.contains("km/h needed, at most 250 km/h allowed."))
            #expect(page.body.contains("43.2389, 76.8897 ±25 m"))
            #expect(page.body.contains("51.1283, 71.4305 ±30 m"))
            #expect(page.body.contains("no location shared"))
            for scan in alerts[0].evidence.scans { #expect(page.body.contains(AstanaTime.display(scan.at.date))) }

            // The map: Kazakhstan's outline, one point per region, sized by scans and coloured by alerts.
            #expect(page.body.contains(#"<svg class="cf-map""#))
            #expect(page.body.contains(#"<path class="land" d="M"#))
            #expect(occurrences(of: #"<circle class="region alerts-"#, in: page.body) == 20 + 4)  // + the legend's four
            #expect(occurrences(of: "data-region=", in: page.body) >= 20)
            #expect(page.body.contains(#"<circle class="region alerts-1" cx="#))
            let astanaPoint = try #require(circle("Astana (city)", in: page.body))
            #expect(astanaPoint.contains(#"class="region alerts-1""#) && astanaPoint.contains(#"data-scans="1" data-alerts="1""#))
            #expect(astanaPoint.contains(#"r="26""#))  // the busiest region of the period (tied with Almaty)
            let almatyPoint = try #require(circle("Almaty (city)", in: page.body))
            #expect(almatyPoint.contains(#"class="region alerts-0""#) && almatyPoint.contains(#"data-scans="1" data-alerts="0""#))
            let shymkent = try #require(circle("Shymkent (city)", in: page.body))
            #expect(shymkent.contains("empty") && shymkent.contains(#"r="3.5""#))
            #expect(page.body.contains(#">Astana</text>"#) && page.body.contains(#">Almaty</text>"#))
            // Beside it the table: scans by verdict, alerts by kind; the unlocated scan is off the map but counted.
            #expect(page.body.contains(#"<div class="value" id="scans-total">3</div>"#))
            #expect(page.body.contains(#"<div class="value" id="alerts-total">2</div>"#))
            #expect(page.body.contains(#"<tr data-region="Astana (city)"><td><a href="/alerts?region=Astana%20%28city%29&amp;from="#))
            #expect(page.body.contains(#"<span class="cf-chip impossibleTravel" title="Copied stamp: impossible travel">1</span>"#))
            #expect(page.body.contains(#"<tr data-region="unknown"><td>no location</td>"#))

            // The registrar sees the same page; in Russian and Kazakh the page speaks them.
            let registrar = try await console.signedIn("registrar")
            let russian = try await registrar.get("/alerts?lang=ru")
            #expect(russian.status == 200)
            #expect(russian.body.contains(#"<a href="/alerts" class="active">Контрафакт</a>"#))
            #expect(russian.body.contains("Неизвестная марка") && russian.body.contains("<td>г. Астана</td>"))
            let kazakh = try await registrar.get("/alerts?lang=kk")
            #expect(kazakh.body.contains("Жалған өнім") && kazakh.body.contains("Белгісіз марка") && kazakh.body.contains(">Астана</text>"))
        }
    }

    @Test("filters (kind, region, period in Astana dates, code) and paging with the store's cursor; a wrong filter is 400")
    func filtersAndPaging() async throws {
        try await withConsole { console in
            // 02:00 in Astana on 16 January is still the 15th in UTC: the period is in Astana dates.
            let early = Timestamp(UTCTime.parse("2026-01-16T02:00:00+05:00")!)
            try await console.seedAlert(.unknownScanned, code: "QZZ000000000000000009", at: early, region: "Almaty (city)",
                                        location: ScanLocation(latitude: 43.24, longitude: 76.89))
            let now = Timestamp(console.clock.now)
            for index in 0..<60 {
                try await console.seedAlert(.frequentScans, code: "QZA000000000000000001", at: Timestamp(milliseconds: now.milliseconds - Int64(index)),
                                            region: "Karaganda Region")
            }
            let browser = try await console.signedIn("revenue")
            func rows(_ path: String) async throws -> [String] {
                let page = try await browser.get(path)
                #expect(page.status == 200, "\(path): \(page.status)")
                return page.body.components(separatedBy: #"<tr id="alert-"#).dropFirst().map { String($0.prefix(while: { $0 != "\"" })) }
            }

            // The first page: the last 30 days, 50 alerts, newest first, and a link to older ones by the cursor.
            let first = try await browser.get("/alerts?lang=en")
            let firstRows = first.body.components(separatedBy: #"<tr id="alert-"#).dropFirst().map { String($0.prefix(while: { $0 != "\"" })) }
            #expect(firstRows == (12...61).reversed().map(String.init))
            let today = AlertFilter.today(console.clock.now)
            let monthAgo = AlertFilter.day(today, plus: -29)
            #expect(first.body.contains(#"<input id="from" name="from" type="date" value="\#(monthAgo)">"#))
            #expect(first.body.contains(#"<a id="older" href="/alerts?from=\#(monthAgo)&amp;to=\#(today)&amp;before=12">"#))
            #expect(!first.body.contains(#"id="newer""#))
            let second = try await browser.get("/alerts?from=\(monthAgo)&to=\(today)&before=12")
            #expect(second.body.contains(#"<a id="newer" href="/alerts?from=\#(monthAgo)&amp;to=\#(today)">"#))
            #expect(!second.body.contains(#"id="older""#))
            #expect(try await rows("/alerts?from=\(monthAgo)&to=\(today)&before=12") == (2...11).reversed().map(String.init))
            // An older page does not follow new alerts (it would show the same rows).
            #expect(second.body.contains(#"<div id="alert-list" data-fragment="/console/alerts?from=\#(monthAgo)&amp;to=\#(today)&amp;before=12&amp;fresh=61">"#))

            // Kind, region, code, and no period (the dates left empty).
            #expect(try await rows("/alerts?kind=unknownScanned") == [])
            #expect(try await rows("/alerts?kind=unknownScanned&from=&to=") == ["1"])
            #expect(try await rows("/alerts?region=Almaty%20(city)&from=&to=") == ["1"])
            #expect(try await rows("/alerts?region=Karaganda%20Region&kind=frequentScans&from=&to=&before=5") == ["4", "3", "2"])
            #expect(try await rows("/alerts?code=QZZ000000000000000009&from=&to=") == ["1"])
            // A QR link is looked up by its code, as the look-up box does.
            #expect(try await rows("/alerts?code=https%3A%2F%2Fqr.example.kz%2Fc%2FQZZ000000000000000009&from=&to=") == ["1"])
            // Astana dates: the 16th holds the alert, the 15th (its UTC date) does not.
            #expect(try await rows("/alerts?from=2026-01-16&to=2026-01-16") == ["1"])
            #expect(try await rows("/alerts?from=2026-01-15&to=2026-01-15") == [])
            #expect(try await rows("/alerts?from=&to=2026-01-16") == ["1"])
            // The map follows the period: one scan in Almaty that day.
            let map = try await browser.get("/console/alerts/map?from=2026-01-16&to=2026-01-16")
            #expect(map.status == 200)
            #expect(try #require(circle("Almaty (city)", in: map.body)).contains(#"data-scans="1" data-alerts="1""#))
            #expect(map.body.contains(#"<div class="value" id="scans-total">1</div>"#))

            // Wrong filters: 400 with a sentence naming the field, the value echoed escaped, no results.
            let kind = try await browser.get("/alerts?lang=en&kind=%3Cscript%3Ealert(1)%3C/script%3E")
            #expect(kind.status == 400)
            #expect(kind.body.contains(#"Kind: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; is not an alert kind."#))
            #expect(!kind.body.contains("<script>alert"))
            #expect(!kind.body.contains(#"id="alert-list""#))
            let date = try await browser.get("/alerts?lang=en&from=2026-13-01&to=")
            #expect(date.status == 400)
            #expect(date.body.contains(#"From: &quot;2026-13-01&quot; is not a date (expected YYYY-MM-DD)."#))
            #expect(date.body.contains(#"value="2026-13-01""#))
            let period = try await browser.get("/alerts?lang=en&from=2026-02-01&to=2026-01-01")
            #expect(period.status == 400)
            #expect(period.body.contains("The period ends before it begins."))
            #expect(try await browser.get("/alerts?region=Mars").status == 400)
            #expect(try await browser.get("/alerts?before=abc").status == 400)
            #expect(try await browser.get("/console/alerts?kind=nope").status == 400)
            let long = try await browser.get("/alerts?lang=en&code=" + String(repeating: "Z", count: 700))
            #expect(long.status == 400)
            #expect(long.body.contains("longer than any stamp code"))
        }
    }

    @Test("hostile text in a code, a message, a region and the code filter is shown as text, never as markup")
    func escaping() async throws {
        try await withConsole { console in
            let hostileCode = "<script>alert(1)</script>"
            let hostileRegion = #""><img src=x onerror=alert(2)>"#
            try await console.seedAlert(.unknownScanned, code: hostileCode, at: Timestamp(console.clock.now), region: hostileRegion,
                                        message: #"<b>bold</b> & "quotes" <script>alert(3)</script>"#)
            let browser = try await console.signedIn("revenue")
            let page = try await browser.get("/alerts?lang=en")
            #expect(page.status == 200)
            #expect(!page.body.contains("<script>alert"))
            #expect(!page.body.contains("<img src=x"))
            #expect(!page.body.contains("<b>bold"))
            #expect(page.body.contains(#"value="&lt;script&gt;alert(1)&lt;/script&gt;"><button class="cf-code""#))
            #expect(page.body.contains("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot; &lt;script&gt;alert(3)&lt;/script&gt;"))
            #expect(page.body.contains("<td>&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</td>"))
            #expect(page.body.contains(#"<tr data-region="&quot;&gt;&lt;img src=x onerror=alert(2)&gt;">"#))
            // A region the analytics never give is not a filter: its row has no link.
            #expect(page.body.contains("<td>&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</td><td class=\"num\">1</td>"))

            // The code filter takes the text as is (alerts may carry text that is no code) and echoes it escaped,
            // percent-encoded in the links.
            let filtered = try await browser.get("/alerts?lang=en&from=&to=&code=" + AlertFilter.encode(hostileCode))
            #expect(filtered.status == 200)
            #expect(filtered.body.contains(#"<input id="code" name="code" value="&lt;script&gt;alert(1)&lt;/script&gt;""#))
            #expect(filtered.body.contains(#"<tr id="alert-1""#))
            #expect(filtered.body.contains("code=%3Cscript%3Ealert%281%29%3C%2Fscript%3E"))
            #expect(!filtered.body.contains("<script>alert"))
            let fragment = try await browser.get("/console/alerts?from=&to=&fresh=0")
            #expect(fragment.status == 200)
            #expect(!fragment.body.contains("<script>alert") && !fragment.body.contains("<img src=x"))
        }
    }

    @Test("live: the feed names the newest alert at once and again when a scan raises one; the list fetched again marks it new")
    func live() async throws {
        try await withConsole { console in
            let browser = try await console.signedIn("revenue")
            let page = try await browser.get("/alerts?lang=en")
            #expect(page.body.contains(#"<body data-live="/console/alerts/live">"#))
            #expect(page.body.contains(#"<span id="alerts-latest">0</span>"#))
            let listURL = try #require(attribute("data-fragment", of: #"id="alert-list""#, in: page.body))
            #expect(listURL.hasSuffix("&amp;fresh=0"))
            #expect(page.body.contains(#"data-fragment="\#(listURL)" data-refresh-on="alerts-latest""#))

            let response = try await console.client.execute(browser.request(.GET, "/console/alerts/live", form: nil), timeout: .seconds(30))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true)
            var lines = LineReader(response.body.makeAsyncIterator())
            let first = try #require(try await lines.nextEvent())
            #expect(first.text["alerts-latest"] == "0")
            #expect(first.text["alerts-last-at"] == "-")

            try await console.verify("QZZ000000000000000009", at: almaty)
            var latest = first
            let deadline = ContinuousClock.now + .seconds(10)
            while latest.text["alerts-latest"] != "1", ContinuousClock.now < deadline {
                latest = try #require(try await lines.nextEvent())
            }
            #expect(latest.text["alerts-latest"] == "1")
            #expect(latest.text["alerts-last-at"] != "-")

            // What the page's script fetches then: the same filters, the new alert highlighted.
            let list = try await browser.get(listURL.replacingOccurrences(of: "&amp;", with: "&"))
            #expect(list.status == 200)
            #expect(list.body.contains(#"<tr id="alert-1" class="cf-alert new">"#))
            #expect(list.body.contains("Almaty (city)"))
            let again = try await browser.get("/console/alerts?fresh=1")
            #expect(again.body.contains(#"<tr id="alert-1" class="cf-alert">"#))
            let map = try await browser.get("/console/alerts/map")
            #expect(try #require(circle("Almaty (city)", in: map.body)).contains(#"class="region alerts-1""#))
        }
    }

    @Test("every text of the page exists in Russian, Kazakh and English, for every region, alert kind and verdict")
    func texts() {
        let localizer = Localizer(RegistrarConsoleTexts.table, RegistrarConsoleTexts.counterfeits)
        for language in ConsoleLanguage.allCases { #expect(localizer.missing(in: language) == [], "\(language)") }
        let keys = (KazakhstanRegions.names + [KazakhstanRegions.abroad, KazakhstanRegions.unknown]).map { "region." + $0 }
            + AlertKind.allCases.map { "kind." + $0.rawValue } + VerifyVerdict.allCases.map { "verdict." + $0.rawValue }
        for key in keys { #expect(RegistrarConsoleTexts.counterfeits[key] != nil, "\(key)") }
        for (key, texts) in RegistrarConsoleTexts.counterfeits {
            let holes = Set(texts.values.map { occurrences(of: "%@", in: $0) })
            #expect(holes.count == 1, "\(key): every language fills as many values")
        }
    }

    @Test("the map draws CounterfeitAnalytics' Kazakhstan: each centre is its own region, and every point lies on the drawing")
    func mapGeometry() {
        #expect(KazakhstanMapGeometry.outline.count > 50 && KazakhstanMapGeometry.centres.map(\.name) == KazakhstanRegions.names)
        for (name, latitude, longitude) in KazakhstanMapGeometry.centres {
            #expect(KazakhstanRegions.region(of: ScanLocation(latitude: latitude, longitude: longitude)) == name)
        }
        let points = KazakhstanMapGeometry.outline.map { CounterfeitMap.project(latitude: $0.latitude, longitude: $0.longitude) }
            + KazakhstanMapGeometry.cities.map { CounterfeitMap.project(latitude: $0.latitude, longitude: $0.longitude) }
        for point in points {
            #expect((0...CounterfeitMap.width).contains(point.x) && (0...CounterfeitMap.height).contains(point.y))
        }
        #expect(CounterfeitMap.width == 760 && CounterfeitMap.height == 422)
        #expect(CounterfeitMap.radius(scans: 0, most: 10) == CounterfeitMap.emptyRadius)
        #expect(CounterfeitMap.radius(scans: 10, most: 10) == CounterfeitMap.largestRadius)
        #expect(CounterfeitMap.radius(scans: 1, most: 100) < CounterfeitMap.radius(scans: 25, most: 100))
        #expect([0, 1, 9, 10, 99, 100, 5000].map(CounterfeitMap.level(alerts:)) == [0, 1, 1, 2, 2, 3, 3])
        #expect(AlertFilter.start(of: CalendarDate("2026-01-16")!) == Timestamp(UTCTime.parse("2026-01-15T19:00:00Z")!))
    }
}

/// The `<circle …>` element of a region on the map.
func circle(_ region: String, in html: String) -> String? {
    guard let marker = html.range(of: #"data-region="\#(region)" data-scans"#) else { return nil }
    guard let start = html[..<marker.lowerBound].range(of: "<circle", options: .backwards) else { return nil }
    guard let end = html[marker.upperBound...].range(of: ">") else { return nil }
    return String(html[start.lowerBound..<end.upperBound])
}

/// The value of `name` on the element that carries `marker`.
func attribute(_ name: String, of marker: String, in html: String) -> String? {
    guard let at = html.range(of: marker) else { return nil }
    let rest = html[at.upperBound...]
    guard let value = rest.range(of: "\(name)=\"") else { return nil }
    let tail = rest[value.upperBound...]
    return tail.firstIndex(of: "\"").map { String(tail[..<$0]) }
}
