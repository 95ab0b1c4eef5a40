/// The series printed on an excise stamp (ЕБМ), e.g. `AB` or `0042`: 1–8 upper-case Latin or Cyrillic letters
/// and digits. Waybills list stamps by series and number range (seed digest A.4, clause 16).
public struct StampSeries: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts 1–8 characters, each an upper-case letter (Latin or Cyrillic, including Kazakh letters) or a digit.
    public init?(_ text: String) {
        guard (1...8).contains(text.count),
              text.allSatisfy({ $0.isNumber && $0.isASCII || $0.isLetter && $0.isUppercase })
        else { return nil }
        rawValue = text
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "stamp series must be 1-8 upper-case letters or digits, got \"\(text.prefix(32))\""))
        }
        self = value
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The nine-digit number printed on every stamp (App. 6/7 element 1), `000000001` … `999999999`.
public struct StampNumber: Hashable, Comparable, Strideable, Sendable, Codable, CustomStringConvertible {
    public let value: Int

    /// The valid range of stamp numbers.
    public static let range = 0...999_999_999

    /// Accepts a value in ``range``.
    public init?(_ value: Int) {
        guard Self.range.contains(value) else { return nil }
        self.value = value
    }

    /// Accepts exactly nine ASCII digits.
    public init?(text: String) {
        guard text.utf8.count == 9, text.allSatisfy(\.isASCIIDigit), let number = Int(text) else { return nil }
        value = number
    }

    /// The nine-digit form with leading zeros.
    public var description: String { String(value).leftPadded(to: 9) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
    public func distance(to other: Self) -> Int { other.value - value }
    public func advanced(by n: Int) -> Self { Self(value + n) ?? self }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(text: text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "stamp number must be exactly 9 digits, got \"\(text.prefix(32))\""))
        }
        self = value
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A stamp's printed identity: series and nine-digit number.
public struct StampID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let series: StampSeries
    public let number: StampNumber
    public init(series: StampSeries, number: StampNumber) {
        self.series = series
        self.number = number
    }
    public var description: String { "\(series) \(number)" }
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.series, lhs.number) < (rhs.series, rhs.number) }
}

/// An inclusive range of stamp numbers within one series, as a waybill lists them.
public struct StampRange: Hashable, Sendable, Codable, CustomStringConvertible {
    public let series: StampSeries
    public let first: StampNumber
    public let last: StampNumber

    /// Fails when `last` precedes `first`.
    public init?(series: StampSeries, first: StampNumber, last: StampNumber) {
        guard first <= last else { return nil }
        self.series = series
        self.first = first
        self.last = last
    }

    /// How many stamps the range holds.
    public var count: Int { last.value - first.value + 1 }

    /// Whether a stamp lies in the range.
    public func contains(_ stamp: StampID) -> Bool {
        stamp.series == series && (first...last).contains(stamp.number)
    }

    public var description: String { "\(series) \(first)–\(last)" }
}
