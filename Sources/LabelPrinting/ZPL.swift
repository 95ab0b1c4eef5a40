import LineCore

/// Renders a ``UnitLabel`` as one ZPL II label format (`^XA … ^XZ`), as Zebra and ZPL-compatible industrial printers
/// take it on raw TCP port 9100.
///
/// The format selects UTF-8 (`^CI28`), sets the label size (`^PW`, `^LL`) from ``Settings``, prints the text lines
/// from the top, then the code's symbol and its human-readable text under it:
/// - GS1 DataMatrix: `^BXN,<module>,200,,,,_` and `^FD_100<SSCC>` — ECC 200, the escape character set to `_`
///   explicitly (its default differs between firmware versions) and `_1` for FNC1 in first position.
/// - GS1-128: `^BCN,<height>,N,N,N,D` and `^FD(00)<SSCC>` — UCC/EAN mode D starts in subset C with FNC1 and strips
///   the parentheses from the encoded data.
///
/// Every text line (and the human-readable code) goes through `^FH` with `^`, `~`, `_` and control characters written as `_XX` hex escapes, so a
/// product name cannot end its field or inject commands.
public struct ZPL: Sendable, Hashable {
    /// The printer's resolution.
    public enum Density: Int, Sendable, Hashable, Codable, CaseIterable {
        /// 203 dpi (8 dots/mm).
        case dpi203 = 203
        /// 300 dpi (12 dots/mm).
        case dpi300 = 300
        /// 600 dpi (24 dots/mm).
        case dpi600 = 600

        /// Dots per millimetre, as ZPL printers count them.
        public var dotsPerMillimetre: Int {
            switch self {
            case .dpi203: 8
            case .dpi300: 12
            case .dpi600: 24
            }
        }
    }

    /// The label stock and how the code is printed.
    public struct Settings: Sendable, Hashable, Codable {
        /// Label width in millimetres (default 100).
        public var widthMillimetres: Int
        /// Label length in millimetres (default 150).
        public var heightMillimetres: Int
        /// Printer resolution (default 203 dpi).
        public var density: Density
        /// The symbol for labels that do not choose one (default GS1 DataMatrix).
        public var symbology: LabelSymbology
        /// A font stored on the printer for the text lines, as `device:NAME.EXT` (e.g. `E:TT0003M_.FNT`), or nil
        /// for the built-in scalable font 0. Cyrillic and Kazakh text needs a font that has those letters.
        public var font: String?

        /// Creates settings; the defaults are a 100×150 mm label at 203 dpi with a GS1 DataMatrix.
        public init(widthMillimetres: Int = 100, heightMillimetres: Int = 150, density: Density = .dpi203,
                    symbology: LabelSymbology = .dataMatrix, font: String? = nil) {
            self.widthMillimetres = widthMillimetres
            self.heightMillimetres = heightMillimetres
            self.density = density
            self.symbology = symbology
            self.font = font
        }

        /// Checks that the settings make a printable label.
        /// - Throws: ``PrinterError/invalidSettings(_:)`` naming the setting.
        public func validate() throws(PrinterError) {
            guard (25...400).contains(widthMillimetres) else {
                throw .invalidSettings("widthMillimetres must be 25–400, not \(widthMillimetres)")
            }
            guard (25...1000).contains(heightMillimetres) else {
                throw .invalidSettings("heightMillimetres must be 25–1000, not \(heightMillimetres)")
            }
            if let font {
                let path = font.utf8
                let valid = path.count >= 4 && path.count <= 40 && path.dropFirst(2).contains(UInt8(ascii: "."))
                    && font.dropFirst().hasPrefix(":") && font.unicodeScalars.allSatisfy(Self.fontCharacter)
                guard valid else {
                    throw .invalidSettings("font must be a printer path such as E:TT0003M_.FNT, not \(font.debugDescription)")
                }
            }
        }

        static func fontCharacter(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", "_", ":", ".", "-": true
            default: false
            }
        }
    }

    /// The label stock and symbol settings.
    public var settings: Settings

    /// Creates a renderer for one printer's labels.
    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// The label as one ZPL II format, commands one per line, ending in `^XZ` and a newline.
    public func render(_ label: UnitLabel) -> String {
        let layout = Layout(settings)
        var out = "^XA\n^CI28\n"
        out += "^PW\(layout.dots(settings.widthMillimetres))\n^LL\(layout.dots(settings.heightMillimetres))\n"
        var y = layout.margin
        for line in label.lines {
            out += "^FO\(layout.margin),\(y)\(layout.textFont(height: layout.textHeight))^FH^FD\(Self.escapeFieldData(line))^FS\n"
            y += layout.lineStep
        }
        if !label.lines.isEmpty { y += layout.gap }

        let code = label.code
        let symbolHeight: Int
        var symbolX = layout.margin
        switch label.symbology ?? settings.symbology {
        case .dataMatrix:
            let modules = code.isSSCC ? 16 : Self.dataMatrixSide(for: code.rawValue)
            symbolHeight = modules * layout.matrixModule
            let data = code.isSSCC ? "_100" + code.rawValue : code.rawValue.replacing("_", with: "__")
            out += "^FO\(layout.margin),\(y)^BXN,\(layout.matrixModule),200,,,,_^FD\(data)^FS\n"
        case .gs1_128:
            symbolHeight = layout.barHeight
            if code.isSSCC {
                // Start C, FNC1, 10 digit pairs, check character: 11 modules each, and the 13-module stop.
                let width = 11 * 13 + 13
                symbolX = max(layout.margin, (layout.dots(settings.widthMillimetres) - width * layout.barModule) / 2)
                out += "^FO\(symbolX),\(y)^BY\(layout.barModule)^BCN,\(layout.barHeight),N,N,N,D^FD(00)\(code.rawValue)^FS\n"
            } else {
                out += "^FO\(layout.margin),\(y)^BY\(layout.barModule)^BCN,\(layout.barHeight),N,N,N,A^FD\(code.rawValue)^FS\n"
            }
        }
        y += symbolHeight + layout.hriGap
        let humanReadable = code.isSSCC ? "(00) " + code.rawValue : code.rawValue
        out += "^FO\(symbolX),\(y)\(layout.textFont(height: layout.hriHeight))^FH^FD\(Self.escapeFieldData(humanReadable))^FS\n"
        out += "^XZ\n"
        return out
    }

    /// Field data for `^FH^FD…^FS`: `^`, `~`, `_` and control characters as `_XX` (hex of the UTF-8 byte); every
    /// other character, non-ASCII included, as UTF-8 (the format selects `^CI28`).
    public static func escapeFieldData(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5E, 0x7E, 0x5F, 0..<0x20, 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "_" + (hex.count == 1 ? "0" + hex : hex)
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The side (in modules) of the smallest square ECC 200 symbol that holds `text` in ASCII encodation (digit
    /// pairs one codeword, other characters one): an upper bound for laying the text out under it.
    static func dataMatrixSide(for text: String) -> Int {
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        var codewords = 0
        var bytes = text.utf8[...]
        while let first = bytes.first {
            let pair = digits.contains(first) && bytes.dropFirst().first.map(digits.contains) == true
            codewords += first >= 128 ? 2 : 1  // a byte above 127 takes an upper shift
            bytes = bytes.dropFirst(pair ? 2 : 1)
        }
        let squares: [(side: Int, capacity: Int)] = [
            (10, 3), (12, 5), (14, 8), (16, 12), (18, 18), (20, 22), (22, 30), (24, 36), (26, 44), (32, 62), (36, 86),
            (40, 114), (44, 144), (48, 174), (52, 204), (64, 280),
        ]
        return squares.first { $0.capacity >= codewords }?.side ?? 64
    }

    /// Positions and sizes in dots, from millimetres and the printer's dots per millimetre.
    struct Layout {
        let dotsPerMillimetre: Int
        let font: String?

        init(_ settings: Settings) {
            dotsPerMillimetre = settings.density.dotsPerMillimetre
            font = settings.font.flatMap { $0.unicodeScalars.allSatisfy(Settings.fontCharacter) ? $0 : nil }
        }

        func dots(_ millimetres: Int) -> Int { millimetres * dotsPerMillimetre }

        /// 5 mm from the edges.
        var margin: Int { dots(5) }
        /// Text lines 5 mm high, one every 7 mm.
        var textHeight: Int { dots(5) }
        var lineStep: Int { dots(7) }
        /// 3 mm between the text and the symbol.
        var gap: Int { dots(3) }
        /// DataMatrix module 0.75 mm (a 16×16 SSCC symbol is 12 mm square).
        var matrixModule: Int { dotsPerMillimetre * 3 / 4 }
        /// GS1-128 narrow bar 0.5 mm, bars 32 mm high (the GS1 logistic label's SSCC symbol).
        var barModule: Int { dotsPerMillimetre / 2 }
        var barHeight: Int { dots(32) }
        /// The human-readable line: 2 mm under the symbol, 4 mm high.
        var hriGap: Int { dots(2) }
        var hriHeight: Int { dots(4) }

        /// `^A0N,h,h` (the built-in scalable font) or `^A@N,h,h,E:FONT.FNT`.
        func textFont(height: Int) -> String {
            if let font { "^A@N,\(height),\(height),\(font)" } else { "^A0N,\(height),\(height)" }
        }
    }
}
