import Foundation

/// Time conventions: store UTC, show Astana time, count reporting months in Astana's calendar.
///
/// Kazakhstan has one time zone, UTC+5, since 1 March 2024 (before that Astana was UTC+6). The pilot began on
/// 10 May 2024, so a fixed offset is right for all its data, and it does not depend on the tz database of the
/// machine (an old one still says +6 for Asia/Almaty).
public enum AstanaTime {
    /// Astana's offset from UTC in seconds (+05:00).
    public static let utcOffsetSeconds = 5 * 3600
    /// A fixed-offset time zone for Astana.
    public static let timeZone = TimeZone(secondsFromGMT: utcOffsetSeconds)!

    /// The Astana civil date and time of an instant.
    public static func components(of date: Date) -> CivilDateTime {
        CivilDateTime(secondsSinceEpoch: Int(date.timeIntervalSince1970.rounded(.down)) + utcOffsetSeconds)
    }

    /// `2026-11-21 22:10:05` in Astana time (for people: logs, reports, the CLI).
    public static func display(_ date: Date) -> String {
        components(of: date).formatted(separator: " ")
    }

    /// ISO 8601 with the Astana offset: `2026-11-21T22:10:05+05:00`.
    public static func iso8601(_ date: Date) -> String {
        components(of: date).formatted(separator: "T") + "+05:00"
    }
}

/// UTC instants in storage and on the wire.
public enum UTCTime {
    /// ISO 8601 in UTC with milliseconds: `2026-11-21T17:10:05.123Z`.
    public static func iso8601(_ date: Date) -> String {
        let millis = Int((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = millis.floorDiv(1000)
        let civil = CivilDateTime(secondsSinceEpoch: seconds)
        return civil.formatted(separator: "T") + "." + String(millis.floorMod(1000)).leftPadded(to: 3) + "Z"
    }

    /// Parses ISO 8601 date-times with an offset (`Z`, `+05:00`, `-0300`) and optional fractional seconds.
    /// Returns nil for anything else, including a time without an offset (it would be ambiguous).
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 40 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), bytes[4] == UInt8(ascii: "-"), let month = number(5..<7),
              bytes[7] == UInt8(ascii: "-"), let day = number(8..<10),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
              let hour = number(11..<13), bytes[13] == UInt8(ascii: ":"), let minute = number(14..<16),
              bytes[16] == UInt8(ascii: ":"), let second = number(17..<19),
              (1...12).contains(month), (1...CivilDateTime.daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, (48...57).contains(bytes[index]) {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start, index - start <= 9 else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = bytes[index] == UInt8(ascii: "+") ? 1 : -1
            index += 1
            guard let hours = number(index..<min(index + 2, bytes.count)), index + 2 <= bytes.count else { return nil }
            index += 2
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") { index += 1 }
            guard index + 2 <= bytes.count, let minutes = number(index..<index + 2) else { return nil }
            index += 2
            guard hours <= 14, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        default:
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = CivilDateTime.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}

/// A calendar date and time of day with no zone attached (the result of applying an offset).
public struct CivilDateTime: Hashable, Sendable {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    /// Splits seconds since 1970-01-01T00:00:00 (in whatever zone the caller shifted into).
    public init(secondsSinceEpoch: Int) {
        let days = secondsSinceEpoch.floorDiv(86_400)
        let secondOfDay = secondsSinceEpoch.floorMod(86_400)
        (year, month, day) = Self.civilFromDays(days)
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
    }

    func formatted(separator: String) -> String {
        "\(String(year).leftPadded(to: 4))-\(String(month).leftPadded(to: 2))-\(String(day).leftPadded(to: 2))"
            + "\(separator)\(String(hour).leftPadded(to: 2)):\(String(minute).leftPadded(to: 2)):\(String(second).leftPadded(to: 2))"
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDiv(400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    public static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = z.floorDiv(146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// A reporting month: a calendar month in Astana time (App. 10 «есептік кезең»).
public struct ReportingMonth: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    /// Fails for a month outside 1…12 or a year outside 1970…9999.
    public init?(year: Int, month: Int) {
        guard (1970...9999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    /// Parses `YYYY-MM`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              let year = Int(parts[0]), let month = Int(parts[1]) else { return nil }
        self.init(year: year, month: month)
    }

    /// The reporting month an instant falls in (Astana calendar).
    public static func containing(_ date: Date) -> ReportingMonth {
        let civil = AstanaTime.components(of: date)
        return ReportingMonth(year: civil.year, month: civil.month) ?? ReportingMonth(year: 1970, month: 1)!
    }

    /// The first instant of the month: 00:00 Astana time on its first day.
    public var start: Date {
        let days = CivilDateTime.daysFromCivil(year: year, month: month, day: 1)
        return Date(timeIntervalSince1970: Double(days * 86_400 - AstanaTime.utcOffsetSeconds))
    }

    /// The first instant of the next month (the end of this one, exclusive).
    public var end: Date { next.start }

    /// Whether an instant falls in this month.
    public func contains(_ date: Date) -> Bool { date >= start && date < end }

    /// The following month.
    public var next: ReportingMonth {
        month == 12 ? ReportingMonth(year: year + 1, month: 1)! : ReportingMonth(year: year, month: month + 1)!
    }

    /// The preceding month.
    public var previous: ReportingMonth {
        month == 1 ? ReportingMonth(year: year - 1, month: 12)! : ReportingMonth(year: year, month: month - 1)!
    }

    public var description: String { "\(year)-\(String(month).leftPadded(to: 2))" }
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected a month YYYY-MM, got \"\(text.prefix(32))\""))
        }
        self = value
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Int {
    func floorDiv(_ divisor: Int) -> Int { (self - floorMod(divisor)) / divisor }
    func floorMod(_ divisor: Int) -> Int { ((self % divisor) + divisor) % divisor }
}
