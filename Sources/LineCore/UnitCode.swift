/// The code of a logistic unit — a case or a pallet — as printed on its label.
///
/// The standard form is a GS1 SSCC-18 (``SSCC``): extension digit, GS1 company prefix, serial reference and a mod-10
/// check digit, 18 digits in all, printed with application identifier (00). Plants that already label their cases
/// differently may configure another pattern; such codes are kept verbatim (``UnitCode/init(other:)``).
public struct UnitCode: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The code's characters (for an SSCC, the 18 digits without the "(00)").
    public let rawValue: String

    /// Wraps a string already known to be a unit code (read from our own storage or the registrar).
    public init(trusted rawValue: String) { self.rawValue = rawValue }

    /// Parses a unit code as a scanner or camera delivers it: 18 digits, optionally preceded by the application
    /// identifier "00" (as "(00)…", or "00…" in a 20-digit GS1 element string, or after a leading FNC1/GS), must carry
    /// a valid SSCC check digit; anything else must be 4–64 characters from `A–Z a–z 0–9 . _ - / :`.
    /// - Throws: ``UnitCodeError`` naming what is wrong.
    public init(parsing text: String) throws(UnitCodeError) {
        var digits = Substring(text)
        while let first = digits.first, first == "\u{1D}" || first == "]" {
            // GS (FNC1 as transmitted) or a symbology identifier such as "]d2" / "]C1" in front of the data.
            digits = first == "]" ? digits.dropFirst(min(3, digits.count)) : digits.dropFirst()
        }
        if digits.hasPrefix("(00)") { digits = digits.dropFirst(4) }
        else if digits.count == 20, digits.hasPrefix("00"), digits.allSatisfy(\.isASCIIDigit) { digits = digits.dropFirst(2) }
        if digits.allSatisfy(\.isASCIIDigit), digits.count == 18 {
            let sscc = String(digits)
            guard SSCC.isValid(sscc) else {
                throw .checkDigit(code: sscc, expected: SSCC.checkDigit(of: sscc.dropLast()))
            }
            self.init(trusted: sscc)
            return
        }
        if digits.allSatisfy(\.isASCIIDigit), (17...19).contains(digits.count) || text.hasPrefix("(00)") {
            throw .ssccLength(String(digits))
        }
        try self.init(other: text)
    }

    /// Accepts a code that follows a plant's own pattern: 4–64 characters from `A–Z a–z 0–9 . _ - / :`.
    public init(other text: String) throws(UnitCodeError) {
        guard (4...64).contains(text.utf8.count) else { throw .length(text.utf8.count) }
        guard text.unicodeScalars.allSatisfy(UnitCode.allowed) else { throw .characters(text) }
        self.init(trusted: text)
    }

    /// Whether this is an SSCC (18 digits with a valid check digit).
    public var isSSCC: Bool { SSCC.isValid(rawValue) }

    /// The GS1 human-readable form: "(00) 0 4870001 000000123 4" for an SSCC, the code itself otherwise.
    public var humanReadable: String { isSSCC ? "(00)" + rawValue : rawValue }

    public var description: String { rawValue }
    public static func < (lhs: UnitCode, rhs: UnitCode) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", ".", "_", "-", "/", ":": true
        default: false
        }
    }
}

/// Why a text is not a unit code.
public enum UnitCodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 18 digits whose last is not the SSCC check digit of the first 17.
    case checkDigit(code: String, expected: Int)
    /// Digits after AI (00), or nearly 18 digits, but not 18.
    case ssccLength(String)
    /// Not 4–64 characters long.
    case length(Int)
    /// A character outside `A–Z a–z 0–9 . _ - / :`.
    case characters(String)

    public var description: String {
        switch self {
        case let .checkDigit(code, expected):
            "SSCC \(code) fails its check digit (the last digit should be \(expected))"
        case let .ssccLength(digits): "an SSCC has 18 digits, not \(digits.count) (\(digits))"
        case let .length(count): "a unit code has 4 to 64 characters, not \(count)"
        case let .characters(text):
            "unit code \(text.debugDescription) has characters outside A–Z, a–z, 0–9, '.', '_', '-', '/', ':'"
        }
    }
}

/// GS1 Serial Shipping Container Code (SSCC-18): making and checking them.
public enum SSCC {
    /// The GS1 mod-10 check digit of 17 digits (weights 3,1,3,… from the right).
    public static func checkDigit<S: StringProtocol>(of digits: S) -> Int {
        var sum = 0
        for (index, character) in digits.reversed().enumerated() {
            let value = Int(character.asciiValue ?? 48) - 48
            sum += index % 2 == 0 ? value * 3 : value
        }
        return (10 - sum % 10) % 10
    }

    /// Whether `text` is 18 digits with a valid check digit.
    public static func isValid(_ text: String) -> Bool {
        guard text.utf8.count == 18, text.allSatisfy(\.isASCIIDigit) else { return false }
        return checkDigit(of: text.dropLast()) == Int(text.last!.asciiValue! - 48)
    }

    /// Makes an SSCC: extension digit (0–9), the GS1 company prefix (7–10 digits), the serial reference filling the
    /// remaining 16 − prefix length digits, and the check digit.
    /// - Throws: ``SSCCError`` when a part does not fit.
    public static func make(extensionDigit: Int, companyPrefix: String, serial: Int64) throws(SSCCError) -> UnitCode {
        guard (0...9).contains(extensionDigit) else { throw .extensionDigit(extensionDigit) }
        guard (7...10).contains(companyPrefix.count), companyPrefix.allSatisfy(\.isASCIIDigit) else {
            throw .companyPrefix(companyPrefix)
        }
        let serialDigits = 16 - companyPrefix.count
        guard serial >= 0, serial < capacity(companyPrefixLength: companyPrefix.count) else {
            throw .serialOutOfRange(serial, digits: serialDigits)
        }
        let text = String(serial)
        let body = String(extensionDigit) + companyPrefix + String(repeating: "0", count: serialDigits - text.count) + text
        return UnitCode(trusted: body + String(checkDigit(of: body)))
    }

    /// How many serial references one extension digit and company prefix of this length give.
    public static func capacity(companyPrefixLength: Int) -> Int64 {
        var result: Int64 = 1
        for _ in 0..<(16 - companyPrefixLength) { result *= 10 }
        return result
    }
}

/// Why an SSCC cannot be made from the configured parts.
public enum SSCCError: Error, Equatable, Sendable, CustomStringConvertible {
    case extensionDigit(Int)
    case companyPrefix(String)
    case serialOutOfRange(Int64, digits: Int)

    public var description: String {
        switch self {
        case let .extensionDigit(digit): "the SSCC extension digit is 0–9, not \(digit)"
        case let .companyPrefix(prefix): "a GS1 company prefix is 7–10 digits, not \(prefix.debugDescription)"
        case let .serialOutOfRange(serial, digits):
            "serial reference \(serial) does not fit the \(digits) digits left after the company prefix"
        }
    }
}
