import Foundation
import LineCore

/// The contract's version prefix: every operation lives under `/v1`.
public enum APIVersion {
    /// The path prefix of this contract version.
    public static let prefix = "/v1"
}

/// An instant on the wire: RFC 3339 with an offset (`2026-11-21T17:10:05.123Z`, `2026-11-21T22:10:05+05:00`),
/// kept to the millisecond. Always written back in UTC (`Z`); people see it in Astana time.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let milliseconds: Int64

    /// Wraps a count of milliseconds since the epoch.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// Rounds a `Date` to the millisecond.
    public init(_ date: Date) { milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    /// Parses RFC 3339 text with an offset; nil for anything else (a time without an offset is ambiguous).
    public init?(text: String) {
        guard let date = UTCTime.parse(text) else { return nil }
        self.init(date)
    }

    /// The current instant.
    public static var now: Timestamp { Timestamp(Date()) }

    /// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the instants RFC 3339 can write.
    static let earliest: Int64 = -62_167_219_200_000
    static let latest: Int64 = 253_402_300_799_999

    /// The instant as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    /// UTC with milliseconds: `2026-11-21T17:10:05.123Z` (written byte by byte: it is on the ingest hot path).
    public var description: String {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let millis = Int(milliseconds - seconds * 1000)
        let c = CivilDateTime(secondsSinceEpoch: Int(seconds))
        guard (0...9999).contains(c.year) else { return "\(c.year)-01-01T00:00:00.000Z" }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(48 + value % 10)
                    value /= 10
                }
            }
            put(c.year, 4, at: 0); buffer[4] = 45
            put(c.month, 2, at: 5); buffer[7] = 45
            put(c.day, 2, at: 8); buffer[10] = 84
            put(c.hour, 2, at: 11); buffer[13] = 58
            put(c.minute, 2, at: 14); buffer[16] = 58
            put(c.second, 2, at: 17); buffer[19] = 46
            put(millis, 3, at: 20); buffer[23] = 90
            return 24
        }
    }

    /// The same instant in Astana time, for people: `2026-11-21T22:10:05+05:00`.
    public var astana: String { AstanaTime.iso8601(date) }

    /// The Astana reporting month this instant falls in.
    public var reportingMonth: ReportingMonth { ReportingMonth.containing(date) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        // Years 0000-9999 in UTC only: an offset can push 0000-01-01T00:00:00+05:00 into year -1, which has no
        // RFC 3339 form to answer with.
        // RFC 3339 separates date and time with `T` (a space is only a note in the RFC; JSON Schema's date-time refuses
        // it) and writes a numeric offset `±hh:mm` (`UTCTime.parse` also reads `±hhmm`).
        let utf8 = Array(text.utf8)
        let separator = utf8.count > 10 ? utf8[10] : 0
        let zulu = utf8.last == UInt8(ascii: "Z") || utf8.last == UInt8(ascii: "z")
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t"), zulu || (utf8.count > 3 && utf8[utf8.count - 3] == UInt8(ascii: ":")),
              let value = Timestamp(text: text), (Self.earliest...Self.latest).contains(value.milliseconds) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "expected a date-time with an offset such as 2026-11-21T22:10:05+05:00, got \"\(text.prefix(48))\""))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A calendar date with no time (`2026-11-21`), as the waybill prints it. Read as an Astana calendar date.
public struct CalendarDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Parses `YYYY-MM-DD`; nil for anything else or a day that does not exist.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1970...9999).contains(y), (1...12).contains(m), d >= 1 else { return nil }
        // Round-trip through the day count to refuse 2026-02-30.
        let days = CivilDateTime.daysFromCivil(year: y, month: m, day: d)
        let back = CivilDateTime.civilFromDays(days)
        guard back.year == y, back.month == m, back.day == d else { return nil }
        year = y; month = m; day = d
    }

    /// The reporting month (Astana calendar) of this date.
    public var reportingMonth: ReportingMonth { ReportingMonth(year: year, month: month)! }

    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = CalendarDate(text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "expected a date YYYY-MM-DD, got \"\(text.prefix(32))\""))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Who a bearer token speaks for.
public enum Role: String, Codable, Sendable, CaseIterable {
    /// A domestic producer: activates, looks up and writes off only its own codes.
    case producer
    /// An importer: the same rights as a producer over its own codes.
    case importer
    /// The Banknote Factory: submits waybills (clause 16).
    case banknoteFactory = "banknote-factory"
    /// The state revenue body: reads everything, changes nothing.
    case revenueBody = "revenue-body"
    /// The registrar itself: every operation.
    case registrar
    /// A wholesaler: buys and sells products under orders and counter-orders (cl. 21); owns no codes of its own.
    case wholesaler
    /// A retailer (a shop): buys under counter-orders and redeems at the till (cl. 21–22).
    case retailer
    /// A fiscal data operator (order No 626): relays cash registers' receipts, whose marking codes redeem (cl. 22).
    case fiscalDataOperator = "fdo"

    /// Whether the role owns codes (producer or importer).
    public var ownsCodes: Bool { self == .producer || self == .importer }

    /// Whether the role trades under orders (a participant of cl. 21: producer, importer, wholesaler, retailer).
    public var trades: Bool { ownsCodes || self == .wholesaler || self == .retailer }
}

/// A stable, machine-readable error code. Clients switch on it; the message is for people.
///
/// A struct rather than an enum so that a client built against this version still decodes codes added later.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The body is not JSON (400).
    public static let invalidJSON = ErrorCode(rawValue: "invalid_json")
    /// A field has the wrong type or an invalid value (422); `details.field` names it.
    public static let invalidField = ErrorCode(rawValue: "invalid_field")
    /// A required field is missing (422); `details.field` names it.
    public static let missingField = ErrorCode(rawValue: "missing_field")
    /// The request body is larger than the server accepts (413).
    public static let bodyTooLarge = ErrorCode(rawValue: "body_too_large")
    /// An activation batch has more items than the server accepts (413); `details.limit` says how many.
    public static let batchTooLarge = ErrorCode(rawValue: "batch_too_large")
    /// A code's text is longer than any stamp payload can be (422).
    public static let codeTooLong = ErrorCode(rawValue: "code_too_long")
    /// The same code appears twice in one request (422).
    public static let duplicateCode = ErrorCode(rawValue: "duplicate_code")
    /// No token, an unknown token or a revoked token (401).
    public static let unauthenticated = ErrorCode(rawValue: "unauthenticated")
    /// The token has expired (401).
    public static let tokenExpired = ErrorCode(rawValue: "token_expired")
    /// The token's role may not do this (403).
    public static let forbidden = ErrorCode(rawValue: "forbidden")
    /// The request concerns codes or a pool of another participant (403).
    public static let notOwner = ErrorCode(rawValue: "not_owner")
    /// An importer's token on `POST /v1/activations` (403): an importer's codes come into operation through its App. 8
    /// report on affixing stamps (cl. 20), `POST /v1/import-reports`; `details.endpoint` names it.
    public static let useImportReport = ErrorCode(rawValue: "use_import_report")
    /// No such resource (404).
    public static let notFound = ErrorCode(rawValue: "not_found")
    /// The method is not allowed on this path (405).
    public static let methodNotAllowed = ErrorCode(rawValue: "method_not_allowed")
    /// The idempotency key (batchId, waybill number) was used before with a different body (409).
    public static let idempotencyConflict = ErrorCode(rawValue: "idempotency_conflict")
    /// Codes of a waybill were already issued (409).
    public static let alreadyIssued = ErrorCode(rawValue: "already_issued")
    /// A waybill's quantity, ranges and code list disagree (422); `details.reason` says how.
    public static let waybillMismatch = ErrorCode(rawValue: "waybill_mismatch")
    /// The body is not `application/json` (415).
    public static let unsupportedMediaType = ErrorCode(rawValue: "unsupported_media_type")
    /// Over the participant's rate limit (429); the `Retry-After` header says when to try again.
    public static let rateLimited = ErrorCode(rawValue: "rate_limited")
    /// The request took longer than the server allows (503); retry.
    public static let timeout = ErrorCode(rawValue: "timeout")
    /// The server is shutting down or its storage is unavailable (503); retry.
    public static let unavailable = ErrorCode(rawValue: "unavailable")
    /// A receipt's fiscal sign (or autonomous fiscal sign) was used before by another receipt of the register (409).
    public static let fiscalSignReused = ErrorCode(rawValue: "fiscal_sign_reused")
    /// An unexpected server failure (500); the details are in the server's log, never in the answer.
    public static let `internal` = ErrorCode(rawValue: "internal")
}

/// The one error shape of the API: `{"error": {"code": …, "message": …, "details": {…}}}`.
public struct ErrorResponse: Codable, Sendable, Equatable {
    /// The error.
    public var error: ErrorBody
    public init(error: ErrorBody) { self.error = error }
}

/// The body of ``ErrorResponse``.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// The stable machine code.
    public var code: ErrorCode
    /// A sentence for people.
    public var message: String
    /// Extra facts, e.g. `field`, `limit`, `reason`, `codes`.
    public var details: [String: String]?

    public init(code: ErrorCode, message: String, details: [String: String]? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }
}

/// The JSON coders every party of the contract uses (keys as written, no key strategy, sorted output).
public enum WireCoding {
    /// A new encoder for wire bodies (keys in declaration order; sorting them costs time on every answer).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    /// An encoder with sorted keys, for canonical forms that are hashed.
    public static func canonicalEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
    /// A new decoder for wire bodies.
    public static func decoder() -> JSONDecoder { JSONDecoder() }
}
