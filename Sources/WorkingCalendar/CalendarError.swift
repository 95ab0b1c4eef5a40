/// Why a working calendar could not be read, or could not answer.
public enum CalendarError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The calendar file is wrong: every problem, each naming the file, line and key and what is wrong
    /// (`kz-calendar.yaml:57 years.2025.transfers[0].workday: 2025-01-06 is a Monday, already a working day; …`).
    /// Also thrown for a question about a date that does not exist (`2025-02-30`).
    case invalid([String])
    /// The calendar file is missing or cannot be read (its path).
    case unreadable(String)
    /// A question or a deadline falls in a year the calendar does not cover. The calendar never guesses: add the
    /// year to the file (docs/working-calendar.md).
    case notCovered(year: Int)

    public var description: String {
        switch self {
        case .invalid(let problems):
            "the working calendar is invalid:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        case .unreadable(let path):
            "cannot read the working calendar file \(path)"
        case .notCovered(let year):
            "the working calendar does not cover \(year): add the year's holidays and transfers to the calendar file"
        }
    }
}
