import Foundation
import LineCore
import QazAPI

/// The page a consumer sees on scanning a bottle's stamp QR (order No 288 cl. 19, 27): `GET /c/{code}` renders the
/// registrar's ``VerifyAnswer`` with ``page(_:language:)``, and ``script`` (served as `/c/verify.js`) lets the buyer
/// send the place of the scan, only when they press the button.
///
/// Pure rendering: no I/O, no clock. Every value is escaped (product and producer names come from waybills). The page
/// carries no inline script, so it works under ``contentSecurityPolicy``. Text is in Kazakh, Russian and English;
/// the language links are relative (`?lang=ru`), so they keep the code (and work behind a path prefix).
enum VerifyHTML {
    /// The header the routes send with the page and the error pages.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; img-src 'self' data:"
    /// Where the routes serve ``script``.
    static let scriptPath = "/c/verify.js"

    // MARK: Language

    /// The page's language: Kazakh, Russian or English.
    enum Language: String, CaseIterable, Sendable {
        case kk, ru, en

        /// The language's own name, for the switcher.
        var ownName: String {
            switch self {
            case .kk: "Қазақша"
            case .ru: "Русский"
            case .en: "English"
            }
        }

        /// `?lang=kk|ru|en` when it names one of ours; else the most preferred supported tag of `Accept-Language`
        /// (by `q`, then by order; `ru-RU` is Russian, `kk-KZ` Kazakh); else Kazakh, the state language.
        static func from(acceptLanguage: String?, query: String?) -> Language {
            if let query, let asked = Language(tag: query) { return asked }
            guard let header = acceptLanguage, header.utf8.count <= 1_024 else { return .kk }
            var ranked: [(q: Double, order: Int, language: Language)] = []
            for (order, item) in header.split(separator: ",").enumerated() {
                let parts = item.split(separator: ";")
                guard let first = parts.first, let language = Language(tag: String(first)) else { continue }
                var q = 1.0
                for parameter in parts.dropFirst() {
                    let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard pair.count == 2, pair[0].lowercased() == "q" else { continue }
                    q = Double(pair[1]).flatMap { (0...1).contains($0) ? $0 : nil } ?? 0
                }
                if q > 0 { ranked.append((q, order, language)) }
            }
            return ranked.min { ($0.q, -$0.order) > ($1.q, -$1.order) }?.language ?? .kk
        }

        /// A language tag's primary subtag, when it is one of ours (`kz`, a common mistake for Kazakh, too).
        init?(tag: String) {
            let primary = tag.trimmingCharacters(in: .whitespaces).split(separator: "-", maxSplits: 1).first.map { $0.lowercased() }
            switch primary {
            case "kk", "kz": self = .kk
            case "ru": self = .ru
            case "en": self = .en
            default: return nil
            }
        }
    }

    /// One text in the three languages.
    private struct Text {
        let kk: String, ru: String, en: String
        init(_ kk: String, _ ru: String, _ en: String) { self.kk = kk; self.ru = ru; self.en = en }
        func callAsFunction(_ language: Language) -> String {
            switch language {
            case .kk: kk
            case .ru: ru
            case .en: en
            }
        }
    }

    // MARK: Texts

    private enum T {
        static let service = Text("Акциздік марканы тексеру", "Проверка акцизной марки", "Excise stamp check")
        static let languages = Text("Тіл", "Язык", "Language")
        static let stampCode = Text("Марка коды", "Код марки", "Stamp code")
        static let product = Text("Өнім", "Продукция", "Product")
        static let productCode = Text("ДСН-коды", "ПИН-код (ДСН)", "Product PIN (ДСН)")
        static let producer = Text("Өндіруші немесе импорттаушы", "Производитель или импортёр", "Producer or importer")
        static let bin = Text("БСН", "БИН", "BIN")
        static let status = Text("Мәртебесі", "Статус", "Status")
        static let activatedOn = Text("Белсендірілген күні", "Дата активации", "Activated on")
        static let redeemedOn = Text("Өтелген күні", "Дата погашения", "Redeemed on")
        static let registrarSays = Text("Тізілімнің жауабы", "Ответ реестра", "The register says")
        static let whatToDo = Text("Не істеу керек", "Что делать", "What to do")
        static let hotline = Text("Мемлекеттік кірістер органдарының байланыс орталығы:", "Контакт-центр органов государственных доходов:",
                                  "State revenue contact centre:")
        static let privacy = Text(
            "Біз жеке деректерді сақтамаймыз: тексерумен бірге аты-жөніңіз, құрылғыңыз және IP-мекенжайыңыз сақталмайды. "
                + "Орныңыз тек батырманы бассаңыз ғана сақталады.",
            "Мы не храним персональные данные: вместе с проверкой не сохраняются ни имя, ни устройство, ни IP-адрес. "
                + "Местоположение сохраняется, только если вы нажмёте кнопку.",
            "We keep no personal data: no name, no device and no IP address is stored with the check. "
                + "Your location is stored only if you press the button.")

        static let helpHeading = Text("Жалған өнімді табуға көмектесіңіз", "Помогите найти подделки", "Help find counterfeits")
        static let helpExplain = Text(
            "Тексеру орны жалған өнім қайда сатылатынын табуға көмектеседі. Орныңыз тек батырманы бассаңыз ғана жіберіледі.",
            "Место проверки помогает найти, где продают подделки. Местоположение отправляется, только если вы нажмёте кнопку.",
            "The place of a check helps find where counterfeits are sold. Your location is sent only if you press the button.")
        static let share = Text("Жалған өнімді табу үшін орнымды жіберу", "Отправить моё местоположение, чтобы помочь найти подделки",
                                "Share my location to help find counterfeits")

        /// The script's messages, carried by the button's `data-msg-*` attributes (the script holds no text).
        static let scriptMessages: [(key: String, text: Text)] = [
            ("asking", Text("Орныңыз анықталуда…", "Определяем местоположение…", "Finding your location…")),
            ("sending", Text("Жіберілуде…", "Отправляем…", "Sending…")),
            ("thanks", Text("Рақмет! Орныңыз жіберілді.", "Спасибо! Местоположение отправлено.", "Thank you! Your location was sent.")),
            ("denied", Text("Орынға рұқсат берілмеді. Ештеңе жіберілмеді.", "Доступ к местоположению не разрешён. Ничего не отправлено.",
                            "Location access was not allowed. Nothing was sent.")),
            ("timeout", Text("Орын уақытында анықталмады. Қайталап көріңіз.", "Не удалось вовремя определить местоположение. Попробуйте ещё раз.",
                             "Your location could not be found in time. Try again.")),
            ("unavailable", Text("Орынды анықтау мүмкін болмады. Ештеңе жіберілмеді.", "Не удалось определить местоположение. Ничего не отправлено.",
                                 "Your location could not be found. Nothing was sent.")),
            ("unsupported", Text("Бұл браузер орынды анықтай алмайды.", "Этот браузер не может определить местоположение.",
                                 "This browser cannot share a location.")),
            ("imprecise", Text("Орын тым дәл емес, ол жіберілмеді.", "Местоположение слишком неточное, оно не отправлено.",
                               "The location is too imprecise; it was not sent.")),
            ("failed", Text("Орын қабылданбады.", "Местоположение не принято.", "The location was not accepted.")),
            ("network", Text("Байланыс қатесі. Қайталап көріңіз.", "Ошибка связи. Попробуйте ещё раз.", "Connection error. Try again.")),
        ]

        static let doNotBuy = Text("Сатып алмаңыз және ішпеңіз.", "Не покупайте и не пейте.", "Do not buy or drink it.")
        static let report = Text("Мемлекеттік кірістер органдарының байланыс орталығына 1414 нөмірі бойынша хабарлаңыз.",
                                 "Сообщите в контакт-центр органов государственных доходов по номеру 1414.",
                                 "Report it to the state revenue contact centre: call 1414.")
        static let call = Text("1414 нөміріне қоңырау шалу", "Позвонить 1414", "Call 1414")
        static let keepReceipt = Text("Сатып алып қойсаңыз, чекті және бөтелкені сақтаңыз.", "Если уже купили, сохраните чек и бутылку.",
                                      "If you have already bought it, keep the receipt and the bottle.")
    }

    /// A verdict's banner (title and one line) and what the buyer should do.
    private struct Verdict {
        let css: String, icon: String, title: Text, line: Text, advice: [Text]
    }

    private static func verdict(_ v: VerifyVerdict) -> Verdict {
        switch v {
        case .genuine:
            Verdict(css: "genuine", icon: "✓",
                    title: Text("Түпнұсқа марка", "Подлинная марка", "Genuine stamp"),
                    line: Text("Өнім тіркелген және әлі сатылмаған.", "Продукция зарегистрирована и ещё не продана.",
                               "The product is registered and not yet sold."),
                    advice: [Text("Өнім атауы бөтелкедегі жапсырмаға сәйкес келетінін тексеріңіз.",
                                  "Проверьте, что название совпадает с этикеткой на бутылке.",
                                  "Check that the product name matches the label on the bottle."),
                             Text("Сәйкес келмесе, сатып алмаңыз және 1414 нөміріне хабарласыңыз.",
                                  "Если не совпадает, не покупайте и позвоните по номеру 1414.",
                                  "If it does not match, do not buy it and call 1414.")])
        case .redeemed:
            Verdict(css: "redeemed", icon: "!",
                    title: Text("Марка өтелген", "Марка погашена", "Stamp redeemed"),
                    line: Text("Бұл бөтелке бөлшек саудада сатылған.", "Эта бутылка уже продана в рознице.",
                               "This bottle has been sold at retail."),
                    advice: [Text("Бөтелкені жаңа ғана сатып алсаңыз, бәрі дұрыс: сатқан кезде марка өтеледі.",
                                  "Если вы только что купили эту бутылку, всё в порядке: при продаже марка погашается.",
                                  "If you have just bought this bottle, all is well: the stamp is redeemed when it is sold."),
                             Text("Бөтелке әлі дүкен сөресінде тұрса, бұл күдікті: марка қайта пайдаланылуы мүмкін.",
                                  "Если бутылка ещё стоит на полке магазина, это подозрительно: марку могли использовать повторно.",
                                  "If the bottle is still on a shop shelf, this is suspicious: the stamp may have been reused."),
                             Text("Мұндай бөтелкені сатып алмаңыз және 1414 нөміріне хабарласыңыз.",
                                  "Не покупайте такую бутылку и позвоните по номеру 1414.",
                                  "Do not buy such a bottle; call 1414.")])
        case .notActivated:
            Verdict(css: "bad", icon: "✕",
                    title: Text("Марка белсендірілмеген", "Марка не активирована", "Stamp not activated"),
                    line: Text("Өнім өндірілді деп тіркелмеген.", "Продукция не заявлена как произведённая.",
                               "The product was never declared produced."),
                    advice: [T.doNotBuy, T.report, T.keepReceipt])
        case .writtenOff:
            Verdict(css: "bad", icon: "✕",
                    title: Text("Марка есептен шығарылған", "Марка списана", "Stamp written off"),
                    line: Text("Бұл марка өнімде болмауы тиіс.", "Этой марки не должно быть на продукции.",
                               "This stamp should not be on a product."),
                    advice: [T.doNotBuy, T.report, T.keepReceipt])
        case .unknown:
            Verdict(css: "bad", icon: "?",
                    title: Text("Марка табылмады", "Марка не найдена", "Stamp not found"),
                    line: Text("Бұл код тізілімде жоқ. Марка жалған болуы мүмкін.", "Этого кода нет в реестре. Марка может быть поддельной.",
                               "This code is not in the register. The stamp may be counterfeit."),
                    advice: [T.doNotBuy, T.report, T.keepReceipt])
        }
    }

    // MARK: Pages

    /// The answer to a scan: the verdict's banner, the product and its stamp, what to do, and (with a scan id) the
    /// opt-in button that sends the place of the scan.
    static func page(_ answer: VerifyAnswer, language l: Language) -> String {
        let v = verdict(answer.verdict)
        var facts = row(T.stampCode(l), "<span class=\"code\">\(e(answer.code))</span>")
        if let product = answer.product {
            facts += row(T.product(l), e(product.name))
            if let code = product.productCode { facts += row(T.productCode(l), e(code)) }
        }
        if answer.producer != nil || answer.producerName != nil {
            let bin = answer.producer.map { "<br><span class=\"muted\">\(T.bin(l)) \(e($0.rawValue))</span>" } ?? ""
            facts += row(T.producer(l), e(answer.producerName ?? "") + bin)
        }
        facts += row(T.status(l), "<span lang=\"kk\">\(e(answer.status))</span>")
        if let day = answer.activatedOn { facts += row(T.activatedOn(l), date(day)) }
        if answer.redeemed { facts += row(T.redeemedOn(l), answer.redeemedOn.map(date) ?? "—") }

        var advice = ""
        for item in v.advice { advice += "<li>\(e(item(l)))</li>" }
        let call = answer.verdict == .genuine ? "" : "<p class=\"call\"><a href=\"tel:1414\">\(e(T.call(l)))</a></p>"

        var share = ""
        var script = ""
        if let scan = answer.scan {
            var messages = ""
            for (key, text) in T.scriptMessages { messages += " data-msg-\(key)=\"\(e(text(l)))\"" }
            share = """
                <section id="help" class="help" hidden>
                <h2>\(e(T.helpHeading(l)))</h2>
                <p>\(e(T.helpExplain(l)))</p>
                <button type="button" id="share-location" data-scan="\(e(scan.uuidString.lowercased()))"\(messages)>\(e(T.share(l)))</button>
                <p id="location-status" class="location-status" role="status" aria-live="polite"></p>
                </section>

                """
            script = "<script src=\"\(scriptPath)\" defer></script>"
        }

        return document(language: l, title: "\(v.title(l)) — \(T.service(l))", script: script, body: """
            <div class="banner \(v.css)" id="verdict" data-verdict="\(answer.verdict.rawValue)">
            <span class="icon" aria-hidden="true">\(v.icon)</span>
            <div><h1>\(e(v.title(l)))</h1><p>\(e(v.line(l)))</p></div>
            </div>
            <section class="facts">
            <dl>
            \(facts)</dl>
            \(answer.message.isEmpty ? "" : "<p class=\"message\"><span class=\"muted\">\(e(T.registrarSays(l))):</span> \(e(answer.message))</p>")
            </section>
            <section class="advice" id="advice">
            <h2>\(e(T.whatToDo(l)))</h2>
            <ul>\(advice)</ul>
            \(call)
            </section>
            \(share)
            """)
    }

    /// A page for a scan that has no answer: `title` as the banner, `message` under it. ``errorPage(_:language:)``
    /// has the texts of the usual problems.
    static func errorPage(status: Int, title: String, message: String, language l: Language) -> String {
        let css = status == 429 || status >= 500 ? "wait" : "bad"
        return document(language: l, title: "\(title) — \(T.service(l))", script: "", body: """
            <div class="banner \(css)" id="verdict" data-status="\(status)">
            <span class="icon" aria-hidden="true">\(css == "wait" ? "…" : "✕")</span>
            <div><h1>\(e(title))</h1><p id="message">\(e(message))</p></div>
            </div>

            """)
    }

    /// What kept the registrar from answering a scan.
    enum Problem: Equatable, Sendable {
        /// The QR's text is not a stamp code or its link.
        case malformed
        /// Too many checks from this client: try again after the given number of seconds.
        case rateLimited(retryAfterSeconds: Int)
        /// The registrar cannot answer now (storage down, shutting down); optionally when to try again.
        case unavailable(retryAfterSeconds: Int?)

        /// The HTTP status to answer with (a malformed code is 422, as `POST /v1/verify` answers `invalid_field`).
        var status: Int {
            switch self {
            case .malformed: 422
            case .rateLimited: 429
            case .unavailable: 503
            }
        }
    }

    /// The error page for one of the usual problems, in `language`.
    static func errorPage(_ problem: Problem, language l: Language) -> String {
        let title: Text, message: String
        switch problem {
        case .malformed:
            title = Text("Бұл марка коды емес", "Это не код марки", "This is not a stamp code")
            message = Text("Бұл QR-код акциздік марканың коды емес. Марканың өзіндегі QR-кодты сканерлеңіз. "
                            + "Егер бұл код маркада болса, марка жалған болуы мүмкін: 1414 нөміріне хабарласыңыз.",
                           "Этот QR-код — не код акцизной марки. Отсканируйте QR-код на самой марке. "
                            + "Если этот код на марке, она может быть поддельной: позвоните по номеру 1414.",
                           "This QR code is not an excise stamp's code. Scan the QR code on the stamp itself. "
                            + "If this code is on a stamp, the stamp may be counterfeit: call 1414.")(l)
        case .rateLimited(let seconds):
            title = Text("Сұраулар тым көп", "Слишком много запросов", "Too many requests")
            message = Text("Тексеру біраз уақытқа тоқтатылды. \(after(seconds, .kk)) қайталап көріңіз.",
                           "Проверка ненадолго приостановлена. Попробуйте ещё раз \(after(seconds, .ru)).",
                           "Checking is paused for a moment. Try again \(after(seconds, .en)).")(l)
        case .unavailable(let seconds):
            title = Text("Тексеру уақытша қолжетімсіз", "Проверка временно недоступна", "Checking is temporarily unavailable")
            message = seconds.map {
                Text("\(after($0, .kk)) қайталап көріңіз.", "Попробуйте ещё раз \(after($0, .ru)).", "Try again \(after($0, .en)).")(l)
            } ?? Text("Кейінірек қайталап көріңіз.", "Попробуйте позже.", "Please try again later.")(l)
        }
        return errorPage(status: problem.status, title: title(l), message: message, language: l)
    }

    /// The page for a refusal `GET /c/{code}` met, by its HTTP status: 400 and 422 (not a stamp code), 429 and 503
    /// (with the `Retry-After` seconds) in the buyer's words and language; any other status with `title` and
    /// `message` as given.
    static func refusalPage(status: Int, retryAfter: String?, title: String, message: String, language: Language) -> String {
        let seconds = retryAfter.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map { max(1, $0) }
        switch status {
        case 400, 422: return errorPage(.malformed, language: language)
        case 429: return errorPage(.rateLimited(retryAfterSeconds: seconds ?? 1), language: language)
        case 503: return errorPage(.unavailable(retryAfterSeconds: seconds), language: language)
        default: return errorPage(status: status, title: title, message: message, language: language)
        }
    }

    /// "in 30 seconds", "через 2 минуты", "5 минуттан кейін": seconds below two minutes as seconds, else whole
    /// minutes rounded up.
    static func after(_ seconds: Int, _ l: Language) -> String {
        let s = max(1, seconds)
        let minutes = s < 120 ? nil : (s + 59) / 60
        switch l {
        case .kk:
            return minutes.map { "\($0) минуттан кейін" } ?? "\(s) секундтан кейін"
        case .ru:
            if let m = minutes { return "через \(m) \(russianPlural(m, "минуту", "минуты", "минут"))" }
            return "через \(s) \(russianPlural(s, "секунду", "секунды", "секунд"))"
        case .en:
            if let m = minutes { return "in \(m) minutes" }
            return s == 1 ? "in 1 second" : "in \(s) seconds"
        }
    }

    /// The Russian noun form after a number: 1, 21 минуту; 2–4, 22–24 минуты; 5–20, 25… минут.
    static func russianPlural(_ n: Int, _ one: String, _ few: String, _ many: String) -> String {
        let n100 = n % 100, n10 = n % 10
        if (11...14).contains(n100) { return many }
        if n10 == 1 { return one }
        if (2...4).contains(n10) { return few }
        return many
    }

    // MARK: Building blocks

    private static func e(_ text: String) -> String { ReportHTML.escape(text) }

    private static func row(_ label: String, _ valueHTML: String) -> String {
        "<dt>\(e(label))</dt><dd>\(valueHTML)</dd>\n"
    }

    /// A calendar day as people in Kazakhstan write it (05.03.2026), machine-readable in `datetime`.
    private static func date(_ day: CalendarDate) -> String {
        "<time datetime=\"\(day.description)\">\(String(format: "%02d.%02d.%04d", day.day, day.month, day.year))</time>"
    }

    /// The language links: relative (`?lang=ru`), so they keep the page's path, which holds the code.
    private static func languageLinks(_ current: Language) -> String {
        Language.allCases.map { language in
            language == current
                ? "<span lang=\"\(language.rawValue)\" aria-current=\"true\">\(language.ownName)</span>"
                : "<a href=\"?lang=\(language.rawValue)\" hreflang=\"\(language.rawValue)\" lang=\"\(language.rawValue)\">\(language.ownName)</a>"
        }.joined(separator: " ")
    }

    private static func document(language l: Language, title: String, script: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="\(l.rawValue)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex">
        <meta name="referrer" content="no-referrer">
        <title>\(e(title))</title>
        <link rel="icon" href="data:,">
        <style>\(style)</style>
        \(script)
        </head>
        <body>
        <header class="top">
        <span class="service">\(e(T.service(l)))</span>
        <nav class="lang" aria-label="\(e(T.languages(l)))">\(languageLinks(l))</nav>
        </header>
        <main>
        \(body)
        </main>
        <footer>
        <p class="hotline">\(e(T.hotline(l))) <a href="tel:1414">1414</a></p>
        <p id="privacy">\(e(T.privacy(l)))</p>
        </footer>
        </body>
        </html>

        """
    }

    /// Mobile first (a 360 px phone), wider on desktop; system fonts; colour always with an icon and words.
    private static let style = """
        *{box-sizing:border-box}[hidden]{display:none!important}html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
        body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif;
        font-size:17px;line-height:1.45;color:#1b1b1b;background:#f2f2ef}
        header.top,main,footer{max-width:38rem;margin:0 auto}
        header.top{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:4px 12px;padding:8px 14px;font-size:15px}
        .service{font-weight:600}
        nav.lang a,nav.lang span{display:inline-block;padding:8px 6px;color:#0b4fb3}
        nav.lang span{color:#1b1b1b;font-weight:600;text-decoration:underline}
        .banner{display:flex;align-items:center;gap:14px;padding:20px 16px;color:#fff}
        .banner .icon{flex:none;display:flex;align-items:center;justify-content:center;width:56px;height:56px;border-radius:50%;
        background:#fff;font-size:34px;font-weight:700;line-height:1}
        .banner h1{margin:0;font-size:26px;line-height:1.2}.banner p{margin:4px 0 0;font-size:18px}
        .genuine{background:#146c2e}.genuine .icon{color:#146c2e}
        .redeemed{background:#f2b705;color:#1d1600}.redeemed .icon{color:#7a4f00}
        .bad{background:#b3261e}.bad .icon{color:#b3261e}
        .wait{background:#4a4f57}.wait .icon{color:#4a4f57}
        section{background:#fff;margin:12px 10px 0;padding:12px 16px;border-radius:10px}
        h2{font-size:19px;margin:4px 0 8px}
        dl{margin:0}dt{color:#555;font-size:14px;margin-top:10px}dt:first-child{margin-top:0}
        dd{margin:0;font-weight:600;overflow-wrap:anywhere}
        .code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;letter-spacing:.04em}
        .muted{color:#555;font-weight:400;font-size:15px}.message{margin:12px 0 4px}
        ul{margin:0;padding-left:1.2em}li{margin:6px 0}
        button{display:block;width:100%;min-height:48px;padding:12px 16px;border:0;border-radius:8px;background:#0b4fb3;color:#fff;
        font:inherit;font-weight:600;cursor:pointer}
        button:disabled{opacity:.6;cursor:default}
        a:focus-visible,button:focus-visible{outline:3px solid #0b4fb3;outline-offset:2px}
        .location-status{font-weight:600;min-height:1.45em;margin:10px 0 2px}.location-status.done{color:#146c2e}.location-status.problem{color:#b3261e}
        .call a{display:block;margin:12px 0 4px;padding:11px 16px;min-height:48px;border:2px solid currentColor;border-radius:8px;
        text-align:center;font-weight:700;text-decoration:none;color:#8c1d18}
        footer{padding:10px 16px 24px;font-size:15px;color:#333}
        .hotline a{font-size:22px;font-weight:700;color:#0b4fb3}
        @media (min-width:640px){body{padding-top:16px}.banner{margin:0 10px;border-radius:10px;padding:24px}
        dl{display:grid;grid-template-columns:minmax(10rem,max-content) 1fr;gap:8px 16px}dt,dt:first-child{margin-top:0}}
        """

    // MARK: Script

    /// `/c/verify.js`: on the press of the button (never before), asks the browser for the position and posts it to
    /// `/v1/verify/scans/{scan}/location`; says thanks, or why nothing was sent. Its messages come from the button's
    /// `data-msg-*` attributes, so the page's language is the script's.
    static let script = #"""
        // QazLine: the stamp check page's opt-in "share my location" (order No 288 cl. 27). No data leaves the page
        // unless the button is pressed.
        (function () {
          "use strict";
          var section = document.getElementById("help");
          var button = document.getElementById("share-location");
          var status = document.getElementById("location-status");
          if (!section || !button || !status) return;
          var scan = button.getAttribute("data-scan");
          if (!scan) return;
          section.hidden = false;

          function say(key, kind, detail) {
            var text = button.getAttribute("data-msg-" + key) || key;
            if (detail) text += " " + detail;
            status.textContent = text;
            status.className = "location-status" + (kind ? " " + kind : "");
          }

          function send(position) {
            var c = position.coords;
            var body = { latitude: c.latitude, longitude: c.longitude };
            if (typeof c.accuracy === "number" && isFinite(c.accuracy) && c.accuracy >= 0) {
              // The registrar keeps accuracies up to 100 km; a coarser place would only mislead the analytics.
              if (c.accuracy > 100000) { say("imprecise", "problem"); button.disabled = false; return; }
              body.accuracy = c.accuracy;
            }
            say("sending");
            fetch("/v1/verify/scans/" + encodeURIComponent(scan) + "/location", {
              method: "POST",
              headers: { "Content-Type": "application/json" },
              body: JSON.stringify(body),
              credentials: "omit",
              cache: "no-store"
            }).then(function (response) {
              if (response.ok) {
                say("thanks", "done");
                button.hidden = true;
                return;
              }
              // Too many requests or a server fault may pass; a refusal (too late, already sent) will not.
              var retry = response.status === 429 || response.status >= 500;
              button.disabled = !retry;
              return response.json().then(function (answer) {
                var message = answer && answer.error && typeof answer.error.message === "string" ? answer.error.message : "";
                say("failed", "problem", message ? "(" + message + ")" : "(HTTP " + response.status + ")");
              }, function () {
                say("failed", "problem", "(HTTP " + response.status + ")");
              });
            }).catch(function () {
              button.disabled = false;
              say("network", "problem");
            });
          }

          function failed(error) {
            button.disabled = false;
            if (error && error.code === 1) say("denied", "problem");
            else if (error && error.code === 3) say("timeout", "problem");
            else say("unavailable", "problem");
          }

          button.addEventListener("click", function () {
            if (!navigator.geolocation || !window.fetch) { say("unsupported", "problem"); return; }
            button.disabled = true;
            say("asking");
            navigator.geolocation.getCurrentPosition(send, failed, { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 });
          });
        })();

        """#
}
