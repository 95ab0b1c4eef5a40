/// A Kazakh individual or business identification number (ЖСН/БСН, ИИН/БИН): 12 digits, the last a check digit.
///
/// The check digit is the weighted sum of the first eleven digits modulo 11 with weights 1…11; if that is 10,
/// the weights 3…11, 1, 2 are used; a second 10 means no valid number has these eleven digits.
public struct TaxpayerID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Why a text is not an IIN/BIN.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        /// Not exactly twelve ASCII digits.
        case notTwelveDigits
        /// The twelfth digit is not the check digit of the first eleven.
        case checkDigit(expected: Int?)
        public var description: String {
            switch self {
            case .notTwelveDigits: "expected 12 digits"
            case .checkDigit(let expected?): "check digit is wrong (expected \(expected))"
            case .checkDigit(nil): "the first 11 digits have no valid check digit"
            }
        }
    }

    /// Validates the text; use ``check(_:)`` to learn why a text is refused.
    public init?(_ text: String) {
        guard case .success = Self.check(text) else { return nil }
        rawValue = text
    }

    /// Validates the text and says what is wrong with it.
    public static func check(_ text: String) -> Result<Void, Problem> {
        let digits = text.utf8.map { Int($0) - 48 }
        guard digits.count == 12, digits.allSatisfy({ (0...9).contains($0) }) else { return .failure(.notTwelveDigits) }
        let expected = checkDigit(Array(digits.prefix(11)))
        return expected == digits[11] ? .success(()) : .failure(.checkDigit(expected: expected))
    }

    /// The check digit for eleven digits, or nil when none exists.
    public static func checkDigit(_ digits: [Int]) -> Int? {
        precondition(digits.count == 11)
        let first = zip(digits, 1...11).reduce(0) { $0 + $1.0 * $1.1 } % 11
        if first != 10 { return first }
        let second = zip(digits, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]).reduce(0) { $0 + $1.0 * $1.1 } % 11
        return second == 10 ? nil : second
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        switch Self.check(text) {
        case .success: rawValue = text
        case .failure(let problem):
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "IIN/BIN \"\(text.prefix(32))\": \(problem)"))
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
