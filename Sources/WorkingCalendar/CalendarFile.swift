import ConfigKit
import LineCore

/// The calendar file as written (docs/working-calendar.md). Dates stay text here so that validation can say exactly
/// what is wrong with one (`2025-02-30 is not a date: February 2025 has 28 days`); ``CalendarCompiler`` reads them.
struct CalendarFile: Decodable, ValidatableConfig {
    /// The format's version: 1.
    var version: Int
    /// The public and religious holidays that fall on the same date every year.
    var holidays: [Holiday]
    /// One section per covered year, keyed by the year (`2025:`); the years must be consecutive.
    var years: [String: Year]

    /// A holiday on the same month and day every year.
    struct Holiday: Decodable {
        /// `MM-DD`.
        var date: String
        var name: String
        /// A religious day off: it does not move when it falls on a Saturday or Sunday.
        var religious: Bool?
        /// The first year it is a holiday (inclusive), when the law added it in a covered year.
        var from: Int?
        /// The last year it is a holiday (inclusive), when the law removed it.
        var until: Int?
    }

    /// What one year adds to the rules.
    struct Year: Decodable {
        /// The year's calendar is a forecast (no order, no production calendar yet).
        var provisional: Bool?
        /// Religious days off on a date of that year only (Kurban Ait).
        var religious: [NamedDay]?
        /// The authorised body's orders moving a day off to another day.
        var transfers: [Transfer]?
        /// One-off days off declared for that year only.
        var extraDaysOff: [NamedDay]?
    }

    /// A date (`YYYY-MM-DD`) and what it is.
    struct NamedDay: Decodable {
        var date: String
        var name: String
    }

    /// One order: `workday` (a Saturday or Sunday, or a moved day off) becomes a working day and `dayOff` (a working
    /// day) becomes a day off.
    struct Transfer: Decodable {
        var dayOff: String
        var workday: String
        /// The order or decree, for people (`order of the Minister of Labour of 17 April 2024`).
        var decree: String
    }

    func validate(_ validator: inout ConfigValidator) {
        _ = CalendarCompiler.compile(self, &validator)
    }
}

/// What a calendar day is, after the rules, the transfers and the one-off days off.
enum DayKind: Sendable, Equatable {
    case working
    /// A working Saturday or Sunday: `workday` of a transfer.
    case transferredWorkday(decree: String)
    case weekend(String)
    /// A public holiday (moves when on a weekend).
    case holiday(String)
    /// A religious day off (never moves).
    case religious(String)
    /// The next working day after a public holiday on a weekend.
    case moved(String)
    /// `dayOff` of a transfer.
    case transferredDayOff(String)
    /// A one-off day off.
    case extra(String)

    var isWorking: Bool {
        switch self {
        case .working, .transferredWorkday: true
        default: false
        }
    }

    /// Why the day is off, for people; nil for a working day.
    var reason: String? {
        switch self {
        case .working, .transferredWorkday: nil
        case .weekend(let text), .holiday(let text), .religious(let text), .moved(let text), .transferredDayOff(let text),
             .extra(let text): text
        }
    }
}

/// The day table a valid file describes.
struct CompiledCalendar: Sendable {
    var firstYear: Int
    var lastYear: Int
    /// Days since 1970-01-01 of 1 January of `firstYear`.
    var firstDay: Int
    /// One entry per day of the covered years.
    var days: [DayKind]
    var provisionalYears: Set<Int>
}

/// Checks a ``CalendarFile`` and turns it into a ``CompiledCalendar``: every problem is recorded with its key path,
/// and a table is returned only when there were none.
enum CalendarCompiler {
    static func compile(_ file: CalendarFile, _ v: inout ConfigValidator) -> CompiledCalendar? {
        let problemsBefore = v.problems.count
        v.check(file.version == 1, at: "version", "unsupported version \(file.version): this build reads calendar files of version 1")

        // The yearly holidays.
        struct Yearly { var month: Int, day: Int, name: String, religious: Bool, years: ClosedRange<Int>, index: Int }
        var yearly: [Yearly] = []
        v.each("holidays", Array(file.holidays.enumerated())) { v, item in
            let (position, holiday) = item
            v.check(!holiday.name.trimmed.isEmpty, at: "name", "a holiday needs a name")
            let from = holiday.from ?? Int.min, until = holiday.until ?? Int.max
            if let year = holiday.from { v.checkRange(year, 1970...9999, at: "from", what: "a year") }
            if let year = holiday.until { v.checkRange(year, 1970...9999, at: "until", what: "a year") }
            guard from <= until else {
                v.error(at: "until", "the holiday ends (\(until)) before it begins (from: \(from))")
                return
            }
            guard let (month, day) = parseMonthDay(holiday.date, &v, at: "date") else { return }
            if let earlier = yearly.first(where: { $0.month == month && $0.day == day && $0.years.overlaps(from...until) }) {
                v.error(at: "date", "\(holiday.date) is already a holiday: holidays[\(earlier.index)] \"\(earlier.name)\"")
                return
            }
            yearly.append(Yearly(month: month, day: day, name: holiday.name, religious: holiday.religious ?? false,
                                 years: from...until, index: position))
        }

        // The covered years: numbers, consecutive.
        var sections: [(year: Int, key: String, section: CalendarFile.Year)] = []
        v.nested("years") { v in
            for (key, section) in file.years {
                guard key.count == 4, key.allSatisfy(\.isASCIIDigitCharacter), let year = Int(key), (1970...9999).contains(year) else {
                    v.error(at: key, "a year section's key must be a year such as 2025, got \"\(key.prefix(32))\"")
                    continue
                }
                sections.append((year, key, section))
            }
        }
        sections.sort { $0.year < $1.year }
        guard let firstYear = sections.first?.year, let lastYear = sections.last?.year else {
            v.error(at: "years", "the calendar covers no year: add a section such as `2025:`")
            return nil
        }
        for (previous, next) in zip(sections, sections.dropFirst()) where next.year != previous.year + 1 {
            let missing = previous.year + 1 == next.year - 1 ? "\(previous.year + 1) is" : "\(previous.year + 1)-\(next.year - 1) are"
            v.error(at: "years", "the covered years must be consecutive: \(missing) missing between \(previous.year) and \(next.year)")
        }

        // The rules: weekends, holidays, religious days.
        let firstDay = civilDays(firstYear, 1, 1)
        let endDay = civilDays(lastYear + 1, 1, 1)
        var days: [DayKind] = (firstDay..<endDay).map { day in
            switch weekday(day) {
            case 5: .weekend("Saturday")
            case 6: .weekend("Sunday")
            default: .working
            }
        }
        func index(_ day: Int) -> Int? { (firstDay..<endDay).contains(day) ? day - firstDay : nil }
        func mark(_ day: Int, _ name: String, religious: Bool) {
            guard let i = index(day) else { return }
            switch days[i] {
            case .holiday(let other): days[i] = .holiday("\(other); \(name)")
            case .religious(let other): days[i] = religious ? .religious("\(other); \(name)") : .holiday("\(name); \(other)")
            default: days[i] = religious ? .religious(name) : .holiday(name)
            }
        }
        var publicHolidays: [(day: Int, name: String)] = []
        for (year, _, _) in sections {
            for holiday in yearly where holiday.years.contains(year) {
                let day = civilDays(year, holiday.month, holiday.day)
                mark(day, holiday.name, religious: holiday.religious)
                if !holiday.religious { publicHolidays.append((day, holiday.name)) }
            }
        }
        for (year, key, section) in sections {
            v.nested("years") { v in
                v.nested(key) { v in
                    var seen: Set<Int> = []
                    v.each("religious", section.religious ?? []) { v, named in
                        v.check(!named.name.trimmed.isEmpty, at: "name", "a religious day off needs a name")
                        guard let day = parseDate(named.date, &v, at: "date", year: year) else { return }
                        guard seen.insert(day).inserted else {
                            v.error(at: "date", "\(named.date) is listed twice")
                            return
                        }
                        if case .religious(let other)? = index(day).map({ days[$0] }) {
                            v.error(at: "date", "\(named.date) is already a religious day off (\(other))")
                            return
                        }
                        mark(day, named.name, religious: true)
                    }
                }
            }
        }

        // A public holiday on a Saturday or Sunday: the next working day after it is off (Labour Code art. 85 p. 2).
        for holiday in publicHolidays.sorted(by: { $0.day < $1.day }) where weekday(holiday.day) >= 5 {
            var day = holiday.day + 1
            while let i = index(day), !days[i].isWorking { day += 1 }
            // Past the last covered year the move is not recorded: no yearly holiday is late enough in December for it.
            guard let i = index(day) else { continue }
            days[i] = .moved("day off moved from \(weekdayName(holiday.day)) \(isoDate(holiday.day)) (\(holiday.name))")
        }

        // The year's orders, then its one-off days off.
        for (year, key, section) in sections {
            v.nested("years") { v in
                v.nested(key) { v in
                    var used: Set<Int> = []
                    v.each("transfers", section.transfers ?? []) { v, transfer in
                        v.check(!transfer.decree.trimmed.isEmpty, at: "decree", "a transfer needs the order or decree that made it")
                        let dayOff = parseDate(transfer.dayOff, &v, at: "dayOff", year: year)
                        let workday = parseDate(transfer.workday, &v, at: "workday", year: year)
                        guard let dayOff, let workday, let offIndex = index(dayOff), let workIndex = index(workday) else { return }
                        var fine = true
                        for (day, name) in [(dayOff, "dayOff"), (workday, "workday")] where !used.insert(day).inserted {
                            v.error(at: name, "\(isoDate(day)) is already in another transfer of \(year)")
                            fine = false
                        }
                        switch days[workIndex] {
                        case .weekend, .moved:
                            break
                        case .holiday(let name), .religious(let name):
                            v.error(at: "workday", "\(isoDate(workday)) is \(name): a holiday cannot become a working day")
                            fine = false
                        default:
                            v.error(at: "workday", "\(isoDate(workday)) is a \(weekdayName(workday)), already a working day: "
                                + "`workday` is the day off (a Saturday or Sunday) that the order makes a working day")
                            fine = false
                        }
                        if let reason = days[offIndex].reason {
                            v.error(at: "dayOff", "\(isoDate(dayOff)) is already a day off (\(reason)): "
                                + "`dayOff` is the working day that the order makes a day off")
                            fine = false
                        }
                        guard fine else { return }
                        days[workIndex] = .transferredWorkday(decree: transfer.decree)
                        days[offIndex] = .transferredDayOff(
                            "day off moved from \(weekdayName(workday)) \(isoDate(workday)) (\(transfer.decree))")
                    }
                    var extras: Set<Int> = []
                    v.each("extraDaysOff", section.extraDaysOff ?? []) { v, named in
                        v.check(!named.name.trimmed.isEmpty, at: "name", "a day off needs a name")
                        guard let day = parseDate(named.date, &v, at: "date", year: year), let i = index(day) else { return }
                        guard extras.insert(day).inserted else {
                            v.error(at: "date", "\(named.date) is listed twice")
                            return
                        }
                        if let reason = days[i].reason {
                            v.error(at: "date", "\(named.date) is already a day off (\(reason))")
                            return
                        }
                        days[i] = .extra(named.name)
                    }
                }
            }
        }

        guard v.problems.count == problemsBefore else { return nil }
        let provisional = Set(sections.filter { $0.section.provisional == true }.map(\.year))
        return CompiledCalendar(firstYear: firstYear, lastYear: lastYear, firstDay: firstDay, days: days, provisionalYears: provisional)
    }

    /// Reads `MM-DD`, recording what is wrong with it.
    private static func parseMonthDay(_ text: String, _ v: inout ConfigValidator, at key: String) -> (Int, Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigitCharacter) }),
              let month = Int(parts[0]), let day = Int(parts[1]) else {
            v.error(at: key, "expected a month and day MM-DD such as \"03-21\", got \"\(text.prefix(32))\"")
            return nil
        }
        guard (1...12).contains(month) else {
            v.error(at: key, "\(text) is not a date: there is no month \(month)")
            return nil
        }
        if month == 2, day == 29 {
            v.error(at: key, "02-29 is not a date every year: list it under the years it falls in (extraDaysOff)")
            return nil
        }
        let length = daysIn(month: month, year: 2001)
        guard (1...length).contains(day) else {
            v.error(at: key, "\(text) is not a date: \(monthNames[month - 1]) has \(length) days")
            return nil
        }
        return (month, day)
    }

    /// Reads `YYYY-MM-DD` of `year`'s section, recording what is wrong with it.
    private static func parseDate(_ text: String, _ v: inout ConfigValidator, at key: String, year section: Int) -> Int? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigitCharacter) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else {
            v.error(at: key, "expected a date YYYY-MM-DD such as \"\(section)-03-21\", got \"\(text.prefix(32))\"")
            return nil
        }
        guard (1...12).contains(month) else {
            v.error(at: key, "\(text) is not a date: there is no month \(month)")
            return nil
        }
        let length = daysIn(month: month, year: year)
        guard (1...length).contains(day) else {
            v.error(at: key, "\(text) is not a date: \(monthNames[month - 1]) \(year) has \(length) days")
            return nil
        }
        guard year == section else {
            v.error(at: key, "\(text) is not in \(section): it belongs in the section of \(year)")
            return nil
        }
        return civilDays(year, month, day)
    }
}

// MARK: Calendar arithmetic on day numbers (days since 1970-01-01)

let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December"]
let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

func civilDays(_ year: Int, _ month: Int, _ day: Int) -> Int { CivilDateTime.daysFromCivil(year: year, month: month, day: day) }

/// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
func weekday(_ day: Int) -> Int { ((day + 3) % 7 + 7) % 7 }

func weekdayName(_ day: Int) -> String { weekdayNames[weekday(day)] }

/// `2025-03-22`.
func isoDate(_ day: Int) -> String {
    let (year, month, dayOfMonth) = CivilDateTime.civilFromDays(day)
    return "\(year)-\(month < 10 ? "0" : "")\(month)-\(dayOfMonth < 10 ? "0" : "")\(dayOfMonth)"
}

func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

extension String {
    var trimmed: Substring {
        var slice = self[...]
        while slice.first?.isWhitespace == true { slice = slice.dropFirst() }
        while slice.last?.isWhitespace == true { slice = slice.dropLast() }
        return slice
    }
}
