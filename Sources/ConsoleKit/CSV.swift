import Foundation

/// RFC 4180 CSV with protection against formula injection: a cell starting with `= + - @` (or a tab/CR) is prefixed
/// with `'` so that a spreadsheet shows it as text instead of running it.
public enum CSV {
    /// One line per row, CRLF-terminated.
    public static func render(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(cell).joined(separator: ",") + "\r\n" }.joined()
    }

    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@\t\r".contains(first), Double(text) == nil { text = "'" + text }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}
