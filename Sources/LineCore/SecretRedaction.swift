import Foundation

/// Hides passwords in text that may hold a URL or a pipeline description (a camera's `rtsp://user:password@host/…`,
/// a GStreamer `rtspsrc … user-pw=…`, a database URL) before the text becomes a name, an error, a log line or a
/// printed summary.
public enum SecretRedaction {
    /// `scheme://user:password@host` → `scheme://user:***@host`; `user-pw=…`, `password=…`, `passwd=…` and `pwd=…`
    /// properties → `…=***`. Everything else is kept as it is.
    public static func redactingPasswords(_ text: String) -> String {
        var result = text
        for (pattern, template) in rules {
            result = pattern.stringByReplacingMatches(in: result, range: NSRange(result.startIndex..., in: result), withTemplate: template)
        }
        return result
    }

    private nonisolated(unsafe) static let rules: [(NSRegularExpression, String)] = [
        (try! NSRegularExpression(pattern: #"([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*):[^\s/@]+@"#), "$1:***@"),
        (try! NSRegularExpression(pattern: #"\b((?:user-pw|password|passwd|pwd)\s*=\s*)("[^"]*"|[^\s!,;&]+)"#, options: [.caseInsensitive]), "$1***"),
    ]
}
