import Foundation

/// RFC 8785 JSON Canonicalization Scheme (JCS): the bytes a signature is made over.
///
/// - Objects: members sorted by their keys' UTF-16 code units, no whitespace anywhere.
/// - Strings: `"` and `\` escaped, the control characters U+0000…U+001F as `\b \t \n \f \r` or `\u00xx` (lower-case hex),
///   everything else as raw UTF-8 (including `/`, U+007F and U+2028/2029).
/// - Numbers: IEEE 754 doubles written as ECMAScript's `Number.prototype.toString` does: the shortest digits that read
///   back as the same double, integers without a fraction, `1e+21` and `1e-7` exponent forms outside 1e-6…1e21, `-0` → `0`.
///
/// The input must be I-JSON (RFC 7493): valid UTF-8, no duplicate keys, no lone surrogates, finite numbers. Anything
/// else throws ``SignatureError/notCanonicalizable(_:)`` naming the problem and its byte offset.
public enum CanonicalJSON {
    /// The deepest nesting of objects and arrays accepted (a guard against stack exhaustion).
    public static let maximumDepth = 256

    /// RFC 8785 (JCS) bytes of a JSON text: objects' keys sorted by UTF-16 code units, no whitespace, strings escaped per
    /// JCS, numbers in ECMAScript form (integers as integers). Throws ``SignatureError/notCanonicalizable(_:)`` for invalid
    /// JSON, duplicate keys, or non-finite numbers.
    public static func canonicalize(_ json: Data) throws(SignatureError) -> [UInt8] {
        try canonicalize(bytes: [UInt8](json))
    }

    /// ``canonicalize(_:)`` over bytes.
    public static func canonicalize(bytes: [UInt8]) throws(SignatureError) -> [UInt8] {
        var parser = JSONParser(bytes)
        let value = try parser.parseDocument()
        return value
    }

    /// Encodes with JSONEncoder then canonicalises.
    public static func encode<T: Encodable>(_ value: T) throws(SignatureError) -> [UInt8] {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw .notCanonicalizable("JSONEncoder failed: \(error)")
        }
        return try canonicalize(data)
    }

    /// ECMAScript's `Number.prototype.toString` for a finite double (RFC 8785 §3.2.2.3), e.g. `1e+21`, `0.000001`,
    /// `1e-7`, `333333333.3333333`; `-0` gives `0`. Precondition: `value.isFinite`.
    public static func numberText(_ value: Double) -> String {
        precondition(value.isFinite, "JCS has no form for \(value)")
        if value == 0 { return "0" }
        // Swift's description is the shortest digit string that reads back as the same double (and the closest of
        // those), which is what ECMAScript asks for; only the layout differs. Take its digits and decimal exponent.
        let text = value.magnitude.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...])!
        }
        let integerPart: Substring
        let fractionPart: Substring
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fractionPart = mantissa[mantissa.index(after: dot)...]
        } else {
            integerPart = mantissa
            fractionPart = ""
        }
        var digits = Array(integerPart.utf8) + Array(fractionPart.utf8)
        // value = 0.d1d2d3… × 10^n
        var n = integerPart.count + exponent
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            n -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        let k = digits.count
        let s = String(decoding: digits, as: UTF8.self)
        let sign = value < 0 ? "-" : ""
        if k <= n && n <= 21 {
            return sign + s + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            return sign + s.prefix(n) + "." + s.dropFirst(n)
        }
        if -6 < n && n <= 0 {
            return sign + "0." + String(repeating: "0", count: -n) + s
        }
        let e = n - 1
        let exponentText = (e < 0 ? "-" : "+") + String(e.magnitude)
        if k == 1 { return sign + s + "e" + exponentText }
        return sign + s.prefix(1) + "." + s.dropFirst() + "e" + exponentText
    }
}

/// A strict RFC 8259 parser that writes the canonical form as it goes. Offsets in messages are byte offsets.
struct JSONParser {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// One member of an object as it was parsed: the key, where its value's text lies, and the value's canonical bytes.
    struct Member {
        var key: String
        var keyUnits: [UInt16]
        var valueRange: Range<Int>
        var canonicalValue: [UInt8]
    }

    /// A whole JSON text: one value, whitespace around it.
    mutating func parseDocument() throws(SignatureError) -> [UInt8] {
        skipWhitespace()
        if position == bytes.count { throw .notCanonicalizable("empty JSON text") }
        let value = try parseValue(depth: 0)
        try expectEnd()
        return value
    }

    mutating func expectEnd() throws(SignatureError) {
        skipWhitespace()
        if position != bytes.count { throw fail("unexpected \(describeCurrent()) after the JSON value") }
    }

    /// The members of the object at the current position, in order of appearance, without the duplicate check.
    mutating func parseMembers(depth: Int) throws(SignatureError) -> [Member] {
        guard depth < CanonicalJSON.maximumDepth else { throw fail("nesting deeper than \(CanonicalJSON.maximumDepth)") }
        guard peek() == UInt8(ascii: "{") else { throw fail("expected an object, found \(describeCurrent())") }
        position += 1
        var members: [Member] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return members
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a member name (a string), found \(describeCurrent())") }
            let key = try parseString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw fail("expected ':' after a member name, found \(describeCurrent())") }
            position += 1
            skipWhitespace()
            let start = position
            let value = try parseValue(depth: depth + 1)
            members.append(Member(key: key, keyUnits: Array(key.utf16), valueRange: start..<position, canonicalValue: value))
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return members
            default: throw fail("expected ',' or '}' in an object, found \(describeCurrent())")
            }
        }
    }

    mutating func parseValue(depth: Int) throws(SignatureError) -> [UInt8] {
        guard let byte = peek() else { throw fail("expected a JSON value, found the end of the text") }
        switch byte {
        case UInt8(ascii: "{"):
            let start = position
            var members = try parseMembers(depth: depth)
            members.sort { $0.keyUnits.lexicographicallyPrecedes($1.keyUnits) }
            var out: [UInt8] = [UInt8(ascii: "{")]
            for (index, member) in members.enumerated() {
                if index > 0 {
                    if members[index - 1].keyUnits == member.keyUnits {
                        throw .notCanonicalizable("duplicate key \"\(member.key)\" in the object at byte \(start)")
                    }
                    out.append(UInt8(ascii: ","))
                }
                Self.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: member.canonicalValue)
            }
            out.append(UInt8(ascii: "}"))
            return out
        case UInt8(ascii: "["):
            guard depth < CanonicalJSON.maximumDepth else { throw fail("nesting deeper than \(CanonicalJSON.maximumDepth)") }
            position += 1
            var out: [UInt8] = [UInt8(ascii: "[")]
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                position += 1
                out.append(UInt8(ascii: "]"))
                return out
            }
            while true {
                skipWhitespace()
                out.append(contentsOf: try parseValue(depth: depth + 1))
                skipWhitespace()
                switch peek() {
                case UInt8(ascii: ","):
                    position += 1
                    out.append(UInt8(ascii: ","))
                case UInt8(ascii: "]"):
                    position += 1
                    out.append(UInt8(ascii: "]"))
                    return out
                default: throw fail("expected ',' or ']' in an array, found \(describeCurrent())")
                }
            }
        case UInt8(ascii: "\""):
            var out: [UInt8] = []
            Self.writeString(try parseString(), to: &out)
            return out
        case UInt8(ascii: "t"): return try literal("true")
        case UInt8(ascii: "f"): return try literal("false")
        case UInt8(ascii: "n"): return try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return Array(try parseNumber().utf8)
        default:
            throw fail("expected a JSON value, found \(describeCurrent())")
        }
    }

    /// The decoded text of the string at the current position.
    mutating func parseString() throws(SignatureError) -> String {
        let start = position
        position += 1  // the opening quote
        var utf8: [UInt8] = []
        while true {
            guard position < bytes.count else { throw .notCanonicalizable("unterminated string starting at byte \(start)") }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw .notCanonicalizable("the string starting at byte \(start) is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { throw .notCanonicalizable("unterminated string starting at byte \(start)") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): utf8.append(0x22)
                case UInt8(ascii: "\\"): utf8.append(0x5C)
                case UInt8(ascii: "/"): utf8.append(0x2F)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    let unit = try hex4()
                    var scalarValue = UInt32(unit)
                    if (0xD800...0xDBFF).contains(unit) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw fail("lone high surrogate \\u\(String(unit, radix: 16)) (not I-JSON)")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw fail("high surrogate \\u\(String(unit, radix: 16)) not followed by a low surrogate (not I-JSON)")
                        }
                        scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        throw fail("lone low surrogate \\u\(String(unit, radix: 16)) (not I-JSON)")
                    }
                    utf8.append(contentsOf: Array(String(Character(Unicode.Scalar(scalarValue)!)).utf8))
                default:
                    position -= 1
                    throw fail("invalid escape \\\(describeCurrent()) in a string")
                }
            case 0x00..<0x20:
                throw fail("unescaped control character U+\(String(format: "%04X", byte)) in a string")
            default:
                utf8.append(byte)
                position += 1
            }
        }
    }

    private mutating func hex4() throws(SignatureError) -> UInt16 {
        guard position + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt16
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt16(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt16(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt16(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit in a \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// The canonical text of the number at the current position (RFC 8259 grammar, then ECMAScript form).
    private mutating func parseNumber() throws(SignatureError) -> String {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        switch peek() {
        case UInt8(ascii: "0"):
            position += 1
            if let next = peek(), isDigit(next) { throw fail("leading zero in a number") }
        case let byte? where isDigit(byte):
            while let byte = peek(), isDigit(byte) { position += 1 }
        default:
            throw fail("expected a digit in a number, found \(describeCurrent())")
        }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard let byte = peek(), isDigit(byte) else { throw fail("expected a digit after '.', found \(describeCurrent())") }
            while let byte = peek(), isDigit(byte) { position += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard let byte = peek(), isDigit(byte) else { throw fail("expected a digit in an exponent, found \(describeCurrent())") }
            while let byte = peek(), isDigit(byte) { position += 1 }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw .notCanonicalizable("the number \(text.prefix(40)) at byte \(start) is outside the range of an IEEE 754 double")
        }
        return CanonicalJSON.numberText(value)
    }

    private mutating func literal(_ word: StaticString) throws(SignatureError) -> [UInt8] {
        let expected = Array(UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
        guard position + expected.count <= bytes.count, Array(bytes[position..<position + expected.count]) == expected else {
            throw fail("expected a JSON value, found \(describeCurrent())")
        }
        position += expected.count
        return expected
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    func describeCurrent() -> String {
        guard let byte = peek() else { return "the end of the text" }
        if (0x21...0x7E).contains(byte) { return "'\(Character(Unicode.Scalar(byte)))'" }
        return String(format: "byte 0x%02X", byte)
    }

    func fail(_ reason: String) -> SignatureError {
        .notCanonicalizable("\(reason) at byte \(position)")
    }

    /// JCS string form (RFC 8785 §3.2.2.2).
    static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
