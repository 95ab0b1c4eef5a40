/// A value written as one YAML scalar that knows how to read itself and how to say what it expects.
///
/// The configuration decoder reads these itself, so a bad value becomes an issue such as
/// `expected an integer 1-65535, got "50x2"` and decoding goes on to find the file's other problems.
public protocol ConfigScalar: Decodable, Sendable {
    /// What a valid value looks like, for error messages: `an integer 1-65535`, `a duration such as 5ms or 2s`.
    static var expectation: String { get }
    /// Parses the scalar's text; nil when it is not valid.
    init?(configScalar text: String)
    /// A value used in place of an invalid one while the rest of the file is checked; never reaches the caller.
    static var placeholder: Self { get }
}

extension ConfigScalar {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(configScalar: text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "expected \(Self.expectation), got \"\(text.prefix(64))\""))
        }
        self = value
    }
}

/// A closed set of words, e.g. `transport: tcp | rtu`. Errors list the allowed words and suggest the nearest.
public protocol ConfigEnum: ConfigScalar, CaseIterable, RawRepresentable<String> {}

extension ConfigEnum {
    public static var expectation: String {
        "one of " + allCases.map(\.rawValue).joined(separator: ", ")
    }
    public init?(configScalar text: String) { self.init(rawValue: text) }
    public static var placeholder: Self { allCases.first! }
}

/// A duration written with a unit: `5ms`, `2s`, `1.5s`, `500us`, `10m`, `1h`.
public struct ConfigDuration: ConfigScalar, Encodable, Hashable, Comparable, CustomStringConvertible {
    /// The duration.
    public var duration: Duration

    public init(_ duration: Duration) { self.duration = duration }

    public static let expectation = "a duration with a unit, such as 5ms, 2s or 10m"
    public static let placeholder = ConfigDuration(.zero)

    public init?(configScalar text: String) {
        let units: [(String, Double)] = [("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        let trimmed = text.trimmingCharacters(in: " ")
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isNumber && $0.isASCII || $0 == "." }),
                  let value = Double(number), value.isFinite, value >= 0, value * scale < 1e9 else { return nil }
            duration = .nanoseconds(Int64((value * scale * 1e9).rounded()))
            return
        }
        return nil
    }

    /// Seconds as a floating-point number.
    public var seconds: Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.duration < rhs.duration }

    /// The shortest exact form: `5ms`, `2s`, `250us`.
    public var description: String {
        let nanos = Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
        if nanos >= 1e9, nanos.truncatingRemainder(dividingBy: 1e9) == 0 { return "\(Int(nanos / 1e9))s" }
        if nanos >= 1e6, nanos.truncatingRemainder(dividingBy: 1e6) == 0 { return "\(Int(nanos / 1e6))ms" }
        if nanos >= 1e3, nanos.truncatingRemainder(dividingBy: 1e3) == 0 { return "\(Int(nanos / 1e3))us" }
        return "\(nanos / 1e6)ms"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A size in bytes written with a unit: `512`, `64KiB`, `16MiB`, `2GiB` (also `KB`, `MB`, `GB` as powers of 1000).
public struct ConfigByteSize: ConfigScalar, Encodable, Hashable, Comparable {
    /// The size in bytes.
    public var bytes: Int64

    public init(bytes: Int64) { self.bytes = bytes }

    public static let expectation = "a size such as 512, 64KiB, 16MiB or 2GiB"
    public static let placeholder = ConfigByteSize(bytes: 0)

    public init?(configScalar text: String) {
        let units: [(String, Int64)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
            ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1), ("", 1),
        ]
        let trimmed = text.trimmingCharacters(in: " ")
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: " ")
            guard !number.isEmpty, number.allSatisfy({ $0.isNumber && $0.isASCII }), let value = Int64(number),
                  value <= Int64.max / scale else { continue }
            bytes = value * scale
            return
        }
        return nil
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.bytes < rhs.bytes }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(bytes)
    }
}

/// A TCP or UDP port, 1–65535.
public struct ConfigPort: ConfigScalar, Encodable, Hashable {
    public var value: Int
    public init?(_ value: Int) {
        guard (1...65_535).contains(value) else { return nil }
        self.value = value
    }
    public static let expectation = "an integer 1-65535"
    public static let placeholder = ConfigPort(1)!
    public init?(configScalar text: String) {
        guard text.allSatisfy({ $0.isNumber && $0.isASCII }), let value = Int(text) else { return nil }
        self.init(value)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var slice = self[...]
        while slice.first == set { slice = slice.dropFirst() }
        while slice.last == set { slice = slice.dropLast() }
        return String(slice)
    }
}

/// The optimal-string-alignment distance (Levenshtein plus adjacent transpositions) between two short strings,
/// for "did you mean" suggestions: `prot` → `port` is one edit.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1)
            }
        }
    }
    return d[a.count][b.count]
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(1, min(3, word.count / 3)) ? best.0 : nil
}
