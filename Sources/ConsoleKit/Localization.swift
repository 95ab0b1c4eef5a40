import Foundation
import Hummingbird

/// The languages the consoles speak.
public enum ConsoleLanguage: String, CaseIterable, Sendable, Codable {
    case ru, kk, en

    /// The language's own name (for the switcher).
    public var ownName: String {
        switch self {
        case .ru: "Русский"
        case .kk: "Қазақша"
        case .en: "English"
        }
    }

    /// The cookie that remembers the choice.
    public static let cookieName = "qz_lang"

    /// The request's language: `?lang=` first, then the cookie, then `Accept-Language`, then `fallback`.
    public static func of(_ request: Request, fallback: ConsoleLanguage) -> ConsoleLanguage {
        if let asked = request.uri.queryParameters["lang"].flatMap({ ConsoleLanguage(rawValue: String($0)) }) { return asked }
        if let kept = request.cookies[cookieName].flatMap({ ConsoleLanguage(rawValue: $0.value) }) { return kept }
        if let header = request.headers[.acceptLanguage] {
            for part in header.split(separator: ",") {
                let tag = part.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased().prefix(2)
                if let language = ConsoleLanguage(rawValue: String(tag)) { return language }
            }
        }
        return fallback
    }

    /// The cookie to set when the request chose a language with `?lang=`.
    public static func cookie(for request: Request) -> Cookie? {
        guard let asked = request.uri.queryParameters["lang"].flatMap({ ConsoleLanguage(rawValue: String($0)) }) else { return nil }
        return Cookie(name: cookieName, value: asked.rawValue, maxAge: 365 * 86_400, path: "/", httpOnly: true, sameSite: .strict)
    }
}

/// Translated texts by key. A console merges the shared table with its own; a key missing in a language falls back
/// to Russian, then English, then the key itself (so a missing text is visible, not blank).
public struct Localizer: Sendable {
    public typealias Table = [String: [ConsoleLanguage: String]]
    private let table: Table

    public init(_ tables: Table...) {
        var merged = Localizer.shared
        for table in tables { merged.merge(table) { _, new in new } }
        table = merged
    }

    /// The text of `key` in `language`.
    public func text(_ key: String, _ language: ConsoleLanguage) -> String {
        guard let entry = table[key] else { return key }
        return entry[language] ?? entry[.ru] ?? entry[.en] ?? key
    }

    /// Every key's text in `language` (for templates: `{{t.key}}`).
    public func all(_ language: ConsoleLanguage) -> [String: String] {
        var out: [String: String] = [:]
        for key in table.keys { out[key] = text(key, language) }
        return out
    }

    /// Keys some language lacks (a test keeps this empty for the languages a console promises).
    public func missing(in language: ConsoleLanguage) -> [String] {
        table.filter { $0.value[language] == nil }.map(\.key).sorted()
    }

    /// Texts both consoles use.
    public static let shared: Table = [
        "signIn": [.en: "Sign in", .ru: "Войти", .kk: "Кіру"],
        "signOut": [.en: "Sign out", .ru: "Выйти", .kk: "Шығу"],
        "user": [.en: "User", .ru: "Пользователь", .kk: "Пайдаланушы"],
        "password": [.en: "Password", .ru: "Пароль", .kk: "Құпиясөз"],
        "token": [.en: "Access token", .ru: "Токен доступа", .kk: "Қолжетімділік токені"],
        "wrongPassword": [.en: "Wrong user name or password.", .ru: "Неверное имя пользователя или пароль.",
                          .kk: "Пайдаланушы аты немесе құпиясөз қате."],
        "wrongToken": [.en: "This token is not valid for the console.", .ru: "Этот токен не даёт доступа к консоли.",
                       .kk: "Бұл токен консольге кіруге жарамайды."],
        "tooManyAttempts": [.en: "Too many failed attempts. Try again in %@ s.",
                            .ru: "Слишком много неудачных попыток. Повторите через %@ с.",
                            .kk: "Сәтсіз әрекет тым көп. %@ с кейін қайталаңыз."],
        "sessionExpired": [.en: "Your session expired. Sign in again.", .ru: "Сеанс истёк. Войдите снова.",
                           .kk: "Сеанс мерзімі бітті. Қайта кіріңіз."],
        "signInNeeded": [.en: "Sign in to do this.", .ru: "Для этого действия нужно войти.",
                         .kk: "Бұл әрекет үшін жүйеге кіру керек."],
        "notAllowed": [.en: "Your role may not do this.", .ru: "Вашей роли это действие не разрешено.",
                       .kk: "Сіздің рөліңізге бұл әрекетке рұқсат жоқ."],
        "connectionLost": [.en: "Connection to the server lost — figures are not live. Reconnecting…",
                           .ru: "Связь с сервером потеряна — данные не обновляются. Переподключение…",
                           .kk: "Сервермен байланыс үзілді — деректер жаңармайды. Қайта қосылуда…"],
        "astanaTime": [.en: "Astana time", .ru: "время Астаны", .kk: "Астана уақыты"],
        "print": [.en: "Print", .ru: "Печать", .kk: "Басып шығару"],
        "downloadCSV": [.en: "Download CSV", .ru: "Скачать CSV", .kk: "CSV жүктеу"],
        "none": [.en: "None.", .ru: "Нет.", .kk: "Жоқ."],
        "time": [.en: "Time", .ru: "Время", .kk: "Уақыт"],
        "action": [.en: "Action", .ru: "Действие", .kk: "Әрекет"],
        "details": [.en: "Details", .ru: "Подробности", .kk: "Толығырақ"],
        "code": [.en: "Code", .ru: "Код", .kk: "Код"],
        "status": [.en: "Status", .ru: "Статус", .kk: "Мәртебе"],
        "language": [.en: "Language", .ru: "Язык", .kk: "Тіл"],
    ]
}
