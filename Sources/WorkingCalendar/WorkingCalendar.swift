import ConfigKit
import Foundation
import LineCore

/// Kazakhstan's working days, for the registrar's deadlines: a stamp application is decided within 2 working days
/// (15 for imports), a sale order expires 3 working days after it was saved.
///
/// The calendar is data: a validated YAML file the registrar maintains (docs/working-calendar.md). ``kazakhstan`` is
/// the bundled `kz-calendar.yaml`; a configured file replaces it whole. Every date is an Astana calendar date
/// (UTC+5, fixed: ``AstanaTime``), and a question about a year the file does not cover throws
/// ``CalendarError/notCovered(year:)``: the calendar never guesses.
public struct WorkingCalendar: Sendable {
    private let table: CompiledCalendar

    /// The embedded calendar (the bundled kz-calendar.yaml), validated; a bad bundled file is a programming error
    /// (the tests check it, so it never ships).
    public static let kazakhstan: WorkingCalendar = {
        guard let url = bundledFileURL else {
            fatalError("kz-calendar.yaml is missing from the WorkingCalendar resource bundle")
        }
        do {
            return try WorkingCalendar(contentsOf: url)
        } catch {
            fatalError("the bundled kz-calendar.yaml is invalid: \(error)")
        }
    }()

    /// Where the bundled `kz-calendar.yaml` is: a starting point for a registrar's own file.
    public static var bundledFileURL: URL? { Bundle.module.url(forResource: "kz-calendar", withExtension: "yaml") }

    /// Reads and validates a calendar file.
    public init(contentsOf url: URL) throws(CalendarError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadable(url.path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .invalid(["\(url.lastPathComponent): the file is not UTF-8 text"])
        }
        try self.init(yaml: text, file: url.lastPathComponent)
    }

    /// Reads and validates calendar text (errors name it `calendar.yaml`).
    public init(yaml: String) throws(CalendarError) {
        try self.init(yaml: yaml, file: "calendar.yaml")
    }

    private init(yaml: String, file name: String) throws(CalendarError) {
        let file: CalendarFile
        do {
            file = try ConfigLoader.decode(CalendarFile.self, yaml: yaml, file: name)
        } catch {
            throw .invalid(error.issues.map(\.description))
        }
        // The loader validated the file, so this compiles without a problem.
        var validator = ConfigValidator(baseDirectory: nil)
        guard let table = CalendarCompiler.compile(file, &validator) else {
            throw .invalid(validator.problems.map { "\(name) \($0.path): \($0.message)" })
        }
        self.table = table
    }

    /// The years the calendar covers, consecutive.
    public var coveredYears: ClosedRange<Int> { table.firstYear...table.lastYear }

    /// Covered years whose section is marked `provisional: true`: a forecast (no transfer order or production
    /// calendar yet), shown to people as such.
    public var provisionalYears: Set<Int> { table.provisionalYears }

    /// Whether an Astana calendar date (year, month, day) is a working day.
    /// Throws `.invalid` for a date that does not exist and `.notCovered` outside ``coveredYears``.
    public func isWorkingDay(year: Int, month: Int, day: Int) throws(CalendarError) -> Bool {
        try kind(ofDay: dayNumber(year: year, month: month, day: day)).isWorking
    }

    /// Why a date is a day off, for people: "Saturday", "Nauryz", "day off moved from Sunday 2025-01-05 (order of
    /// the Minister of Labour …)", "day off moved from Saturday 2025-03-22 (Nauryz)"; nil for a working day.
    public func dayOffReason(year: Int, month: Int, day: Int) throws(CalendarError) -> String? {
        try kind(ofDay: dayNumber(year: year, month: month, day: day)).reason
    }

    /// Whether the Astana calendar day that contains `instant` is a working day.
    public func isWorkingDay(containing instant: Date) throws(CalendarError) -> Bool {
        try kind(ofDay: Self.localMicros(instant).floorDivision(Self.microsPerDay)).isWorking
    }

    /// The number of working days in a covered year (the production calendar's figure for a five-day week).
    public func workingDayCount(year: Int) throws(CalendarError) -> Int {
        guard coveredYears.contains(year) else { throw .notCovered(year: year) }
        let first = civilDays(year, 1, 1) - table.firstDay, end = civilDays(year + 1, 1, 1) - table.firstDay
        return table.days[first..<end].count(where: \.isWorking)
    }

    /// The instant `days` working days after `start`: working time accrues only during the Astana calendar days that
    /// are working days (each a 24-hour block 00:00–24:00 Astana), and the deadline is when `days` × 24 hours of it
    /// have elapsed. So Friday 15:42 + 3 working days (no holidays) = Wednesday 15:42; Saturday 10:00 + 3 = Thursday
    /// 00:00; a holiday Monday shifts it by a day. When the time runs out exactly at the end of a working day, the
    /// deadline is 00:00 of the next day, whatever that day is. Exact to the microsecond; deterministic.
    ///
    /// - Parameters:
    ///   - days: How many working days; 0 gives `start`. Must not be negative.
    ///   - start: When the period begins (an application received, an order saved).
    /// - Throws: `.notCovered` when the period reaches a day outside ``coveredYears``.
    public func adding(workingDays days: Int, to start: Date) throws(CalendarError) -> Date {
        precondition(days >= 0, "adding(workingDays:to:) takes a count of working days ≥ 0, got \(days)")
        if days == 0 { return start }
        var position = Self.localMicros(start)
        var day = position.floorDivision(Self.microsPerDay)
        // More working days than the calendar has days cannot end inside it (and would overflow below).
        if days > table.days.count {
            _ = try kind(ofDay: day)
            throw .notCovered(year: table.lastYear + 1)
        }
        var remaining = Int64(days) * Self.microsPerDay
        while true {
            let dayEnd = (day + 1) * Self.microsPerDay
            if try kind(ofDay: day).isWorking {
                let available = dayEnd - position
                if remaining <= available { return Self.date(localMicros: position + remaining) }
                remaining -= available
            }
            day += 1
            position = dayEnd
        }
    }

    /// Whole working days between two instants: the working time (as ``adding(workingDays:to:)`` counts it) between
    /// them, divided by 24 hours and rounded down; negative when `to` is before `from`. For "overdue by N working
    /// days": `workingDays(from: deadline, to: now)`. `workingDays(from: s, to: adding(workingDays: n, to: s)) == n`.
    /// - Throws: `.notCovered` when the interval touches a day outside ``coveredYears``.
    public func workingDays(from: Date, to: Date) throws(CalendarError) -> Int {
        if to < from { return -(try workingDays(from: to, to: from)) }
        let start = Self.localMicros(from), end = Self.localMicros(to)
        var total: Int64 = 0
        var day = start.floorDivision(Self.microsPerDay)
        while day * Self.microsPerDay < end {
            if try kind(ofDay: day).isWorking {
                total += min(end, (day + 1) * Self.microsPerDay) - max(start, day * Self.microsPerDay)
            }
            day += 1
        }
        return Int(total / Self.microsPerDay)
    }

    // MARK: Days

    private func kind(ofDay day: Int64) throws(CalendarError) -> DayKind {
        try kind(ofDay: Int(day))
    }

    private func kind(ofDay day: Int) throws(CalendarError) -> DayKind {
        let index = day - table.firstDay
        guard table.days.indices.contains(index) else { throw .notCovered(year: CivilDateTime.civilFromDays(day).year) }
        return table.days[index]
    }

    private func dayNumber(year: Int, month: Int, day: Int) throws(CalendarError) -> Int {
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else {
            func two(_ number: Int) -> String { (0..<10).contains(number) ? "0\(number)" : "\(number)" }
            throw .invalid(["\(year)-\(two(month))-\(two(day)) is not a calendar date"])
        }
        return civilDays(year, month, day)
    }

    // MARK: Instants in Astana microseconds

    static let microsPerDay: Int64 = 86_400 * 1_000_000

    /// Microseconds since 1970-01-01 00:00 Astana time (so day boundaries are multiples of a day).
    static func localMicros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) + Int64(AstanaTime.utcOffsetSeconds) * 1_000_000
    }

    static func date(localMicros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(localMicros - Int64(AstanaTime.utcOffsetSeconds) * 1_000_000) / 1_000_000)
    }
}

extension Int64 {
    fileprivate func floorDivision(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return self % divisor < 0 ? quotient - 1 : quotient
    }
}
