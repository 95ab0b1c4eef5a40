import Foundation
import HTTPTypes
import Hummingbird

/// Escaping for text put into HTML outside a template (templates escape `{{value}}` themselves).
public enum HTML {
    /// Escapes `& < > " '`: safe in element content and in quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// What a console's access check gives: the way on, or the response that refuses it (a redirect to sign in, a 403).
public enum ConsoleAccess<Granted> {
    case granted(Granted)
    case refused(Response)
}

/// How the consoles write numbers and paths.
public enum ConsoleFormat {
    /// `12 345` (thin no-break spaces between thousands, readable from two metres).
    public static func count(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0, character != "-" { out.append("\u{202F}") }
            out.append(character)
        }
        return String(out.reversed())
    }

    /// A local path to go to after signing in, or `/` (never another site, a header break or an overlong value).
    public static func localPath(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.count < 300,
              !next.contains(where: { $0.isNewline }) else { return "/" }
        return next
    }
}

/// Responses every console page shares: HTML with a strict Content-Security-Policy (scripts and styles only from the
/// binary itself, no inline script), redirects, CSV downloads, plain errors.
public enum ConsoleResponse {
    /// Headers on every console response: no framing, no sniffing, no referrer, scripts only from this origin.
    public static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            + "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .referrerPolicy: "no-referrer",
        .cacheControl: "no-store",
    ]

    /// An HTML page.
    public static func html(_ body: String, status: HTTPResponse.Status = .ok, cookies: [Cookie] = []) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie.description)) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// A redirect after a form post (303: the browser follows with GET).
    public static func redirect(to location: String, cookies: [Cookie] = []) -> Response {
        var headers = securityHeaders
        headers[.location] = location
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie.description)) }
        return Response(status: .seeOther, headers: headers)
    }

    /// A CSV download (UTF-8 with a byte-order mark, so that spreadsheet programs read Cyrillic right).
    public static func csv(_ text: String, filename: String) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/csv; charset=utf-8"
        let safe = filename.filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        headers[.contentDisposition] = "attachment; filename=\"\(safe.isEmpty ? "export.csv" : safe)\""
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: "\u{FEFF}" + text)))
    }

    /// Bytes with a content type (images, JSON).
    public static func bytes(_ data: some Sequence<UInt8>, contentType: String, cache: String = "no-store") -> Response {
        var headers = securityHeaders
        headers[.contentType] = contentType
        headers[.cacheControl] = cache
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A short plain-text error that says what was wrong.
    public static func error(_ status: HTTPResponse.Status, _ message: String, headers extra: HTTPFields = [:]) -> Response {
        var headers = securityHeaders
        headers[.contentType] = "text/plain; charset=utf-8"
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}

extension HTTPField.Name {
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
