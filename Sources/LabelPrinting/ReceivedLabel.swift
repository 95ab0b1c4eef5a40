import LineCore

/// One label format (`^XA … ^XZ`) as a printer received it, read back into its fields: what tests and the demo check
/// about what was printed.
///
/// The reader understands what ``ZPL`` writes and common hand-written ZPL: `^FD…^FS` fields with `^FH` hex escapes
/// (any indicator), `^BX` (its escape character, `_` when not given) and `^BC` (mode D, or `>;`/`>8` invocation
/// codes). Commands are read in upper case only.
public struct ReceivedLabel: Sendable, Hashable {
    /// One `^FD…^FS` field.
    public struct Field: Sendable, Hashable {
        /// The barcode command in force for the field (`BX`, `BC`, …), nil for text.
        public var barcode: String?
        /// The barcode command's parameters as sent (`N,6,200,,,,_`), empty for text.
        public var parameters: String
        /// The field data, with `^FH` hex escapes decoded (barcode escapes are left as sent).
        public var data: String
    }

    /// The format's text, `^XA` to `^XZ`.
    public let zpl: String
    /// Every field, in order.
    public let fields: [Field]

    /// Reads a format's fields.
    public init(zpl: String) {
        self.zpl = zpl
        self.fields = Self.parse(zpl)
    }

    /// The data of the text fields, in order.
    public var texts: [String] { fields.filter { $0.barcode == nil }.map(\.data) }

    /// The first barcode field.
    public var barcode: Field? { fields.first { $0.barcode != nil } }

    /// The GS1 element string the barcode carries (FNC1 in first position removed, later FNC1s as GS),
    /// e.g. `00048700010000001234`; nil when there is no barcode or it is not a GS1 symbol.
    public var gs1ElementString: String? {
        guard let barcode else { return nil }
        let parameters = barcode.parameters.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        switch barcode.barcode {
        case "BX":
            let escape = parameters.count > 6 ? parameters[6].first ?? "_" : "_"
            let decoded = Self.decodeDataMatrix(barcode.data, escape: escape)
            guard decoded.hasPrefix("\u{1D}") else { return nil }
            return String(decoded.dropFirst())
        case "BC":
            if parameters.count > 5, parameters[5] == "D" {
                return String(barcode.data.filter { $0 != "(" && $0 != ")" && $0 != " " })
            }
            var data = Substring(barcode.data)
            if data.hasPrefix(">;") { data = data.dropFirst(2) }
            guard data.hasPrefix(">8") else { return nil }
            return String(data.dropFirst(2).replacing(">8", with: "\u{1D}"))
        default:
            return nil
        }
    }

    /// The unit code the barcode carries: the SSCC of a GS1 symbol with AI (00), or a plain symbol's data.
    public var unitCode: UnitCode? {
        if let element = gs1ElementString { return try? UnitCode(parsing: element) }
        guard let barcode else { return nil }
        let data = barcode.barcode == "BX" ? Self.decodeDataMatrix(barcode.data, escape: "_") : barcode.data
        return try? UnitCode(parsing: data)
    }

    private static func parse(_ zpl: String) -> [Field] {
        var fields: [Field] = []
        var barcode: (command: String, parameters: String)?
        var hexIndicator: Character?
        // Each command starts at a ^ or ~; field data runs to the next ^ (which ^FH-escaped data cannot contain).
        for chunk in zpl.split(whereSeparator: { $0 == "^" || $0 == "~" }) {
            let command = String(chunk.prefix(2))
            let rest = chunk.dropFirst(2)
            switch command {
            case "FH": hexIndicator = rest.first ?? "_"
            case "FD":
                let data = hexIndicator.map { decodeHex(rest, indicator: $0) } ?? String(rest)
                fields.append(Field(barcode: barcode?.command, parameters: barcode?.parameters ?? "", data: data))
            case "FS":
                barcode = nil
                hexIndicator = nil
            case _ where command.first == "B" && command != "BY":
                barcode = (command, String(rest).trimmingNewlines)
            default: break
            }
        }
        return fields
    }

    /// `^FH` decoding: indicator + two hex digits → that byte; the bytes read as UTF-8.
    static func decodeHex(_ text: Substring, indicator: Character) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        let mark = indicator.asciiValue ?? UInt8(ascii: "_")
        var index = 0
        while index < utf8.count {
            if utf8[index] == mark, index + 2 < utf8.count, let high = hexValue(utf8[index + 1]),
               let low = hexValue(utf8[index + 2]) {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// ECC 200 field data: escape + `1` → FNC1 (as GS), escape + escape → the escape character.
    static func decodeDataMatrix(_ data: String, escape: Character) -> String {
        var out = ""
        var iterator = data.makeIterator()
        while let character = iterator.next() {
            guard character == escape, let next = iterator.next() else {
                out.append(character)
                continue
            }
            switch next {
            case "1": out.append("\u{1D}")
            case escape: out.append(escape)
            default: out.append(character); out.append(next)
            }
        }
        return out
    }
}

extension StringProtocol {
    var trimmingNewlines: String {
        String(self.filter { $0 != "\n" && $0 != "\r" })
    }

}
