import Foundation
import Testing
import WorkingCalendar

/// A small valid calendar; each test breaks one thing in it.
let sampleCalendar = """
    version: 1
    holidays:
      - { date: "01-01", name: "New Year" }
      - { date: "01-02", name: "New Year" }
      - { date: "01-07", name: "Orthodox Christmas", religious: true }
      - { date: "03-08", name: "International Women's Day" }
      - { date: "03-21", name: "Nauryz" }
      - { date: "03-22", name: "Nauryz" }
      - { date: "03-23", name: "Nauryz" }
    years:
      2025:
        religious: [ { date: 2025-06-06, name: "Kurban Ait" } ]
        transfers:
          - { dayOff: 2025-01-03, workday: 2025-01-05, decree: "order of 2024" }
        extraDaysOff: []
      2026:
        religious: [ { date: 2026-05-27, name: "Kurban Ait" } ]

    """

/// The problems a calendar text has (empty when it is valid).
func problems(_ yaml: String) -> [String] {
    do {
        _ = try WorkingCalendar(yaml: yaml)
        return []
    } catch {
        guard case .invalid(let problems) = error else { return ["unexpected \(error)"] }
        return problems
    }
}

/// `sampleCalendar` with one piece of text replaced.
func sample(_ replacements: (String, String)...) -> String {
    var text = sampleCalendar
    for (old, new) in replacements {
        precondition(text.contains(old), "the sample has no \(old)")
        text = text.replacingOccurrences(of: old, with: new)
    }
    return text
}

@Suite("Calendar files: format and validation")
struct CalendarFileTests {
    @Test("the sample is valid and describes its years")
    func sampleIsValid() throws {
        let calendar = try WorkingCalendar(yaml: sampleCalendar)
        #expect(calendar.coveredYears == 2025...2026)
        #expect(calendar.provisionalYears.isEmpty)
        #expect(try calendar.dayOffReason(year: 2025, month: 3, day: 24) == "day off moved from Saturday 2025-03-22 (Nauryz)")
        #expect(try calendar.dayOffReason(year: 2025, month: 1, day: 3) == "day off moved from Sunday 2025-01-05 (order of 2024)")
        // Not a holiday in this file.
        #expect(try calendar.isWorkingDay(year: 2025, month: 5, day: 9))
    }

    /// Each broken file: what is replaced, and the problem it must produce (file, line, key and what is wrong).
    static let broken: [(String, (String, String), String)] = [
        ("an impossible date in a year",
         ("{ date: 2025-06-06,", "{ date: 2025-02-30,"),
         "calendar.yaml:12 years.2025.religious[0].date: 2025-02-30 is not a date: February 2025 has 28 days"),
        ("an impossible month-day",
         (#"date: "03-08""#, #"date: "13-01""#),
         "calendar.yaml:6 holidays[3].date: 13-01 is not a date: there is no month 13"),
        ("a day of the month too large",
         (#"date: "03-08""#, #"date: "04-31""#),
         "holidays[3].date: 04-31 is not a date: April has 30 days"),
        ("29 February as a yearly holiday",
         (#"date: "03-08""#, #"date: "02-29""#),
         "holidays[3].date: 02-29 is not a date every year"),
        ("a date that is not a date",
         ("workday: 2025-01-05", "workday: 5 January"),
         #"years.2025.transfers[0].workday: expected a date YYYY-MM-DD such as "2025-03-21", got "5 January""#),
        ("a date outside its year's section",
         ("{ date: 2025-06-06,", "{ date: 2026-06-06,"),
         "years.2025.religious[0].date: 2026-06-06 is not in 2025: it belongs in the section of 2026"),
        ("a transfer whose workday already works",
         ("workday: 2025-01-05", "workday: 2025-01-06"),
         "calendar.yaml:14 years.2025.transfers[0].workday: 2025-01-06 is a Monday, already a working day"),
        ("a transfer whose workday is a holiday",
         ("workday: 2025-01-05", "workday: 2025-03-22"),
         "years.2025.transfers[0].workday: 2025-03-22 is Nauryz: a holiday cannot become a working day"),
        ("a transfer whose day off is already off",
         ("dayOff: 2025-01-03", "dayOff: 2025-01-04"),
         "years.2025.transfers[0].dayOff: 2025-01-04 is already a day off (Saturday)"),
        ("a transfer whose day off is a moved day off",
         ("dayOff: 2025-01-03", "dayOff: 2025-03-24"),
         "years.2025.transfers[0].dayOff: 2025-03-24 is already a day off (day off moved from Saturday 2025-03-22 (Nauryz))"),
        ("a transfer without its decree",
         (#"decree: "order of 2024""#, #"decree: """#),
         "years.2025.transfers[0].decree: a transfer needs the order or decree that made it"),
        ("a holiday listed twice",
         (#"date: "03-08", name: "International Women's Day""#, #"date: "01-02", name: "International Women's Day""#),
         #"holidays[3].date: 01-02 is already a holiday: holidays[1] "New Year""#),
        ("a religious day listed twice",
         ("religious: [ { date: 2025-06-06, name: \"Kurban Ait\" } ]",
          "religious: [ { date: 2025-06-06, name: \"Kurban Ait\" }, { date: 2025-06-06, name: \"Kurban Ait\" } ]"),
         "years.2025.religious[1].date: 2025-06-06 is listed twice"),
        ("a one-off day off on a day that is already off",
         ("extraDaysOff: []", "extraDaysOff: [ { date: 2025-01-07, name: \"Mourning\" } ]"),
         "years.2025.extraDaysOff[0].date: 2025-01-07 is already a day off (Orthodox Christmas)"),
        ("an unknown key",
         ("    transfers:\n", "    transfer:\n"),
         #"years.2025.transfer: unknown key "transfer" (did you mean "transfers"?)"#),
        ("an unknown key in a transfer",
         ("decree: \"order of 2024\"", "order: \"order of 2024\""),
         #"years.2025.transfers[0].order: unknown key "order""#),
        ("the version missing",
         ("version: 1\n", ""),
         "calendar.yaml:1 version: required key is missing"),
        ("a version this build does not read",
         ("version: 1\n", "version: 2\n"),
         "calendar.yaml:1 version: unsupported version 2: this build reads calendar files of version 1"),
        ("a gap in the years",
         ("  2026:\n", "  2028:\n"),
         "years: the covered years must be consecutive: 2026-2027 are missing between 2025 and 2028"),
        ("a year key that is not a year",
         ("  2026:\n", "  20x6:\n"),
         #"years.20x6: a year section's key must be a year such as 2025, got "20x6""#),
        ("a year given twice",
         ("  2026:\n", "  2025:\n"),
         "appears more than once"),
    ]

    @Test("every kind of mistake is named with its line and key", arguments: broken)
    func mistakes(what: String, replacement: (String, String), expected: String) {
        let found = problems(sample(replacement))
        #expect(found.contains { $0.contains(expected) }, "\(what): got \(found)")
    }

    @Test("every problem of a file is reported at once")
    func everyProblem() {
        let found = problems(sample(
            ("version: 1\n", "version: 3\n"),
            ("{ date: 2025-06-06,", "{ date: 2025-02-30,"),
            ("workday: 2025-01-05", "workday: 2025-01-06"),
            (#"date: "03-08""#, #"date: "13-01""#)))
        #expect(found.count == 4, "\(found)")
    }

    @Test("a covered year with no holidays of its own, and a provisional year")
    func minimalYears() throws {
        let calendar = try WorkingCalendar(yaml: """
            version: 1
            holidays: []
            years:
              2030: {}
              2031:
                provisional: true
            """)
        #expect(calendar.coveredYears == 2030...2031)
        #expect(calendar.provisionalYears == [2031])
        #expect(try calendar.workingDayCount(year: 2030) == 261)
    }

    @Test("no years at all is refused")
    func noYears() {
        #expect(problems("version: 1\nholidays: []\nyears: {}\n").contains { $0.contains("the calendar covers no year") })
    }

    @Test("a holiday can begin or end in a covered year (a change of the law)")
    func holidayYears() throws {
        let calendar = try WorkingCalendar(yaml: """
            version: 1
            holidays:
              - { date: "12-16", name: "Independence Day" }
              - { date: "12-17", name: "Independence Day", until: 2021 }
              - { date: "10-25", name: "Republic Day", from: 2022 }
            years:
              2021: {}
              2022: {}
            """)
        #expect(try calendar.dayOffReason(year: 2021, month: 12, day: 17) == "Independence Day")
        #expect(try calendar.isWorkingDay(year: 2022, month: 12, day: 16) == false)
        #expect(try calendar.isWorkingDay(year: 2021, month: 10, day: 25))
        #expect(try calendar.dayOffReason(year: 2022, month: 10, day: 25) == "Republic Day")
        #expect(problems(sample((#"name: "New Year" }"#, #"name: "New Year", from: 2026, until: 2025 }"#)))
            .contains { $0.contains("holidays[0].until: the holiday ends (2025) before it begins (from: 2026)") })
    }

    @Test("one-off days off are days off, and deadlines skip them")
    func extraDaysOff() throws {
        let calendar = try WorkingCalendar(yaml: sample(
            ("extraDaysOff: []", #"extraDaysOff: [ { date: 2025-02-12, name: "Election day" } ]"#)))
        #expect(try calendar.dayOffReason(year: 2025, month: 2, day: 12) == "Election day")
        // Friday 7 February 15:42 + 3 working days: Wednesday 12 February is off, so Thursday 13th 15:42.
        let friday = astana(2025, 2, 7, 15, 42)
        #expect(try calendar.adding(workingDays: 3, to: friday) == astana(2025, 2, 13, 15, 42))
    }

    @Test("a configured file is read from disk; a missing one is unreadable")
    func files() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("calendar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("registrar-calendar.yaml")
        try sampleCalendar.write(to: url, atomically: true, encoding: .utf8)
        #expect(try WorkingCalendar(contentsOf: url).coveredYears == 2025...2026)

        try sample(("workday: 2025-01-05", "workday: 2025-01-06")).write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: CalendarError.self) { try WorkingCalendar(contentsOf: url) }
        #expect(problems(try String(contentsOf: url, encoding: .utf8)).count == 1)
        do {
            _ = try WorkingCalendar(contentsOf: url)
        } catch {
            guard case .invalid(let found) = error else { Issue.record("\(error)"); return }
            #expect(found.first?.hasPrefix("registrar-calendar.yaml:14 years.2025.transfers[0].workday:") == true)
        }

        let missing = directory.appendingPathComponent("absent.yaml")
        #expect(throws: CalendarError.unreadable(missing.path)) { try WorkingCalendar(contentsOf: missing) }
    }

    @Test("errors describe themselves for people")
    func descriptions() {
        #expect(CalendarError.notCovered(year: 2028).description.contains("does not cover 2028"))
        #expect(CalendarError.unreadable("/etc/qaz/calendar.yaml").description.contains("/etc/qaz/calendar.yaml"))
        #expect(CalendarError.invalid(["a", "b"]).description == "the working calendar is invalid:\n  a\n  b")
    }
}
