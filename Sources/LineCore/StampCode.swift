/// The unique code carried by an excise stamp's QR (seed digest A.2 item 3), e.g. `7KQ2M9X4TZ8WB3N5JH6R`.
///
/// A value of this type has passed a ``PayloadRules`` check (or was read back from storage that only ever held
/// such values); it is the identity of one stamp for the registrar, the outbox and the duplicate filter.
public struct StampCode: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The code's characters exactly as printed in the QR payload.
    public let rawValue: String

    /// Wraps a string that is already known to be a code (read from our own storage or the registrar).
    public init(trusted rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
    public static func < (lhs: StampCode, rhs: StampCode) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
