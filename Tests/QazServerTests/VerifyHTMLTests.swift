import Foundation
import LineCore
import QazAPI
@testable import QazServer
import Testing

/// The consumer's stamp-check page (`GET /c/{code}`): banners, advice, escaping, no inline script, languages.
struct VerifyHTMLTests {
    typealias Language = VerifyHTML.Language

    static let scan = UUID(uuidString: "6F1C2B7E-0D4A-4C3B-9E21-5A7D8C9B0E1F")!

    static func answer(_ verdict: VerifyVerdict, name: String = "Арақ «Дала» 0,5 л", scan: UUID? = VerifyHTMLTests.scan) -> VerifyAnswer {
        let known = verdict != .unknown
        return VerifyAnswer(
            code: "7KQ2M9X4TZ8WB3N5JH6R", verdict: verdict,
            status: ["genuine": "Белсендірілген", "redeemed": "Өтелген", "notActivated": "Берілген", "writtenOff": "Есептен шығарылған",
                     "unknown": "Белгісіз"][verdict.rawValue]!,
            product: known ? VerifiedProduct(name: name, productCode: "KZ-0042") : nil,
            producer: known ? TaxpayerID("980515400019") : nil, producerName: known ? "ТОО «Дала» & Co" : nil,
            activatedOn: [.genuine, .redeemed].contains(verdict) ? CalendarDate("2026-03-05") : nil,
            redeemed: verdict == .redeemed, redeemedOn: verdict == .redeemed ? CalendarDate("2026-04-01") : nil,
            message: "The registrar's sentence for \(verdict.rawValue).", scan: scan)
    }

    /// The banner's title and one sentence of the advice, per verdict and language (the texts a buyer must see).
    static let expected: [VerifyVerdict: [Language: (title: String, advice: String)]] = [
        .genuine: [.kk: ("Түпнұсқа марка", "жапсырмаға сәйкес"), .ru: ("Подлинная марка", "совпадает с этикеткой"),
                   .en: ("Genuine stamp", "matches the label")],
        .redeemed: [.kk: ("Марка өтелген", "дүкен сөресінде"), .ru: ("Марка погашена", "на полке магазина"),
                    .en: ("Stamp redeemed", "on a shop shelf")],
        .notActivated: [.kk: ("Марка белсендірілмеген", "Сатып алмаңыз және ішпеңіз"), .ru: ("Марка не активирована", "Не покупайте и не пейте"),
                        .en: ("Stamp not activated", "Do not buy or drink it")],
        .writtenOff: [.kk: ("Марка есептен шығарылған", "Сатып алмаңыз және ішпеңіз"), .ru: ("Марка списана", "Не покупайте и не пейте"),
                      .en: ("Stamp written off", "Do not buy or drink it")],
        .unknown: [.kk: ("Марка табылмады", "Сатып алмаңыз және ішпеңіз"), .ru: ("Марка не найдена", "Не покупайте и не пейте"),
                   .en: ("Stamp not found", "Do not buy or drink it")],
    ]

    static let banners: [VerifyVerdict: (css: String, icon: String)] = [
        .genuine: ("genuine", "✓"), .redeemed: ("redeemed", "!"), .notActivated: ("bad", "✕"), .writtenOff: ("bad", "✕"), .unknown: ("bad", "?"),
    ]

    @Test(arguments: VerifyVerdict.allCases, Language.allCases)
    func eachVerdictHasItsBannerAndAdvice(verdict: VerifyVerdict, language: Language) {
        // Given an answer with this verdict
        let html = VerifyHTML.page(Self.answer(verdict), language: language)
        let (title, advice) = Self.expected[verdict]![language]!
        let banner = Self.banners[verdict]!
        // Then its banner has the colour class, an icon and the words; the advice is there; the page is in the language
        #expect(html.contains("<html lang=\"\(language.rawValue)\">"))
        #expect(html.contains("<div class=\"banner \(banner.css)\" id=\"verdict\" data-verdict=\"\(verdict.rawValue)\">"))
        #expect(html.contains("<span class=\"icon\" aria-hidden=\"true\">\(banner.icon)</span>"))
        #expect(html.contains("<h1>\(title)</h1>"))
        #expect(html.contains(advice))
        #expect(html.contains("<title>\(title) — "))
        #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        // The hotline, where the advice sends a buyer, and the privacy statement
        #expect(html.contains("<a href=\"tel:1414\">1414</a>"))
        #expect(html.contains("id=\"privacy\""))
        // The registrar's status in Kazakh and its message
        #expect(html.contains("<span lang=\"kk\">\(Self.answer(verdict).status)</span>"))
        #expect(html.contains("The registrar&#39;s sentence for \(verdict.rawValue)."))
        if verdict == .unknown || verdict == .notActivated || verdict == .writtenOff {
            #expect(html.contains("1414"))
        }
    }

    @Test func theProductAndItsStampAreShown() {
        let html = VerifyHTML.page(Self.answer(.redeemed), language: .ru)
        #expect(html.contains("<span class=\"code\">7KQ2M9X4TZ8WB3N5JH6R</span>"))
        #expect(html.contains("<dd>Арақ «Дала» 0,5 л</dd>"))
        #expect(html.contains("<dt>ПИН-код (ДСН)</dt><dd>KZ-0042</dd>"))
        #expect(html.contains("ТОО «Дала» &amp; Co<br><span class=\"muted\">БИН 980515400019</span>"))
        #expect(html.contains("<dt>Дата активации</dt><dd><time datetime=\"2026-03-05\">05.03.2026</time></dd>"))
        #expect(html.contains("<dt>Дата погашения</dt><dd><time datetime=\"2026-04-01\">01.04.2026</time></dd>"))
        // An unknown code has no product, producer or days
        let unknown = VerifyHTML.page(Self.answer(.unknown), language: .en)
        #expect(!unknown.contains("<dt>Product</dt>"))
        #expect(!unknown.contains("<dt>Activated on</dt>"))
        #expect(!unknown.contains("<dt>Redeemed on</dt>"))
    }

    @Test func aHostileProductNameIsEscaped() {
        // Given names from a waybill that try to run a script or break out of an attribute
        let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>'&"
        var answer = Self.answer(.genuine, name: hostile)
        answer.producerName = hostile
        answer.message = hostile
        answer.status = hostile
        answer.code = hostile
        // When rendered, in every language
        for language in Language.allCases {
            let html = VerifyHTML.page(answer, language: language)
            // Then none of it is markup
            #expect(!html.contains("<script>"))
            #expect(!html.contains("<img"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;&#39;&amp;"))
        }
        let error = VerifyHTML.errorPage(status: 400, title: hostile, message: hostile, language: .en)
        #expect(!error.contains("<script>"))
        #expect(!error.contains("<img"))
    }

    @Test(arguments: Language.allCases)
    func thePageHasNoInlineScriptAndTheButtonCarriesTheScan(language: Language) throws {
        let html = VerifyHTML.page(Self.answer(.genuine), language: language)
        // The only script element is the external one, and there are no event-handler attributes
        let scripts = html.components(separatedBy: "<script").dropFirst()
        #expect(scripts.count == 1)
        #expect(html.contains("<script src=\"/c/verify.js\" defer></script>"))
        #expect(html.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) == nil)
        #expect(!html.lowercased().contains("javascript:"))
        // No external asset: every link and source is relative to the registrar or a tel:/data: URL
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"))
        // The button carries the scan and the script's messages, and is in a section the script reveals
        #expect(html.contains("data-scan=\"6f1c2b7e-0d4a-4c3b-9e21-5a7d8c9b0e1f\""))
        #expect(html.contains("<section id=\"help\" class=\"help\" hidden>"))
        for key in ["asking", "sending", "thanks", "denied", "timeout", "unavailable", "unsupported", "imprecise", "failed", "network"] {
            #expect(html.contains("data-msg-\(key)=\""), "message \(key)")
        }
        #expect(html.contains("id=\"location-status\" class=\"location-status\" role=\"status\""))
    }

    @Test func withoutAScanThereIsNoButtonAndNoScript() {
        let html = VerifyHTML.page(Self.answer(.unknown, scan: nil), language: .kk)
        #expect(!html.contains("share-location"))
        #expect(!html.contains("data-scan"))
        #expect(!html.contains("<script"))
        #expect(html.contains("id=\"privacy\""))
    }

    @Test(arguments: Language.allCases)
    func theLanguageLinksKeepTheCode(language: Language) {
        let html = VerifyHTML.page(Self.answer(.genuine), language: language)
        for other in Language.allCases {
            if other == language {
                #expect(html.contains("<span lang=\"\(other.rawValue)\" aria-current=\"true\">\(other.ownName)</span>"))
            } else {
                // Relative: `?lang=` on the page's own path, /c/{code}
                #expect(html.contains("<a href=\"?lang=\(other.rawValue)\" hreflang=\"\(other.rawValue)\""))
            }
        }
    }

    @Test func theScriptPostsTheLocationOnlyOnThePress() {
        let js = VerifyHTML.script
        #expect(js.contains("addEventListener(\"click\""))
        #expect(js.contains("navigator.geolocation.getCurrentPosition(send, failed, { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 })"))
        #expect(js.contains("\"/v1/verify/scans/\" + encodeURIComponent(scan) + \"/location\""))
        #expect(js.contains("method: \"POST\""))
        #expect(js.contains("\"Content-Type\": \"application/json\""))
        #expect(js.contains("answer.error.message"))
        // The position is asked for inside the click handler only
        let click = js.range(of: "addEventListener(\"click\"")!
        let ask = js.range(of: "getCurrentPosition(")!
        #expect(ask.lowerBound > click.lowerBound)
        #expect(js.components(separatedBy: "getCurrentPosition(").count == 2)
        // No text of its own: messages come from the button
        #expect(js.contains("getAttribute(\"data-msg-\" + key)"))
    }

    @Test func errorPagesSayWhatHappenedAndWhenToRetry() {
        let malformed = VerifyHTML.errorPage(.malformed, language: .ru)
        #expect(VerifyHTML.Problem.malformed.status == 422)
        #expect(malformed.contains("<h1>Это не код марки</h1>"))
        #expect(malformed.contains("data-status=\"422\""))
        #expect(malformed.contains("1414"))
        #expect(!malformed.contains("<script"))

        #expect(VerifyHTML.Problem.rateLimited(retryAfterSeconds: 30).status == 429)
        #expect(VerifyHTML.errorPage(.rateLimited(retryAfterSeconds: 30), language: .en).contains("Try again in 30 seconds."))
        #expect(VerifyHTML.errorPage(.rateLimited(retryAfterSeconds: 30), language: .ru).contains("Попробуйте ещё раз через 30 секунд."))
        #expect(VerifyHTML.errorPage(.rateLimited(retryAfterSeconds: 30), language: .kk).contains("30 секундтан кейін қайталап көріңіз."))
        #expect(VerifyHTML.errorPage(.rateLimited(retryAfterSeconds: 130), language: .ru).contains("через 3 минуты"))
        #expect(VerifyHTML.errorPage(.rateLimited(retryAfterSeconds: 300), language: .kk).contains("5 минуттан кейін"))
        #expect(VerifyHTML.errorPage(.rateLimited(retryAfterSeconds: 1), language: .ru).contains("через 1 секунду"))
        #expect(VerifyHTML.errorPage(.rateLimited(retryAfterSeconds: 22), language: .ru).contains("через 22 секунды"))

        let unavailable = VerifyHTML.errorPage(.unavailable(retryAfterSeconds: nil), language: .kk)
        #expect(VerifyHTML.Problem.unavailable(retryAfterSeconds: nil).status == 503)
        #expect(unavailable.contains("<h1>Тексеру уақытша қолжетімсіз</h1>"))
        #expect(unavailable.contains("<a href=\"?lang=ru\""))
        #expect(VerifyHTML.errorPage(.unavailable(retryAfterSeconds: 60), language: .en).contains("Try again in 60 seconds."))
    }

    @Test func aRefusalOfThePageRouteIsSaidInTheBuyersWords() {
        // Given the refusals the scan meets (the JSON API's code and English message as title and message)
        let malformed = VerifyHTML.refusalPage(status: 422, retryAfter: nil, title: "invalid_field", message: "code: not a stamp code", language: .kk)
        #expect(malformed.contains("<h1>Бұл марка коды емес</h1>") && !malformed.contains("invalid_field"))
        #expect(malformed.contains("data-status=\"422\""))
        let limited = VerifyHTML.refusalPage(status: 429, retryAfter: "90", title: "rate_limited", message: "too many", language: .ru)
        #expect(limited.contains("<h1>Слишком много запросов</h1>") && limited.contains("через 90 секунд"))
        let down = VerifyHTML.refusalPage(status: 503, retryAfter: "1", title: "unavailable", message: "storage", language: .en)
        #expect(down.contains("Try again in 1 second.") && down.contains("data-status=\"503\""))
        let garbled = VerifyHTML.refusalPage(status: 429, retryAfter: "soon", title: "rate_limited", message: "too many", language: .en)
        #expect(garbled.contains("Try again in 1 second."))
        // Anything else is shown as given, escaped
        let other = VerifyHTML.refusalPage(status: 500, retryAfter: nil, title: "internal", message: "<b>oops</b>", language: .en)
        #expect(other.contains("<h1>internal</h1>") && other.contains("&lt;b&gt;oops&lt;/b&gt;"))
    }

    @Test func russianPlurals() {
        let forms = [1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111].map { VerifyHTML.russianPlural($0, "минуту", "минуты", "минут") }
        #expect(forms == ["минуту", "минуты", "минуты", "минут", "минут", "минут", "минут", "минуту", "минуты", "минут", "минуту", "минут"])
    }

    @Test(arguments: [
        // (Accept-Language, ?lang=, expected)
        ("ru-RU,ru;q=0.9", nil, Language.ru),
        ("en-US", nil, .en),
        ("en-US,en;q=0.9", nil, .en),
        ("kk-KZ,kk;q=0.9,ru;q=0.8", nil, .kk),
        ("de", nil, .kk),
        ("de-DE,de;q=0.9,ru;q=0.8,en;q=0.7", nil, .ru),
        ("en;q=0.3, ru;q=0.8", nil, .ru),
        ("ru;q=0, en", nil, .en),
        ("*", nil, .kk),
        ("garbage;;;,=,q=x", nil, .kk),
        (";;;", nil, .kk),
        ("", nil, .kk),
        (nil, nil, .kk),
        ("ru-RU,ru;q=0.9", "en", .en),
        ("ru-RU", "kk", .kk),
        (nil, "ru", .ru),
        ("en-US", "xx", .en),
        ("en-US", "", .en),
    ] as [(String?, String?, Language)])
    func theLanguageComesFromTheQueryThenTheHeader(header: String?, query: String?, expected: Language) {
        #expect(Language.from(acceptLanguage: header, query: query) == expected)
    }
}
