import LineConfig
import LineCore

/// A point in image coordinates (pixels).
public struct Point: Hashable, Sendable, Codable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// A symbology the decoders read. The stamps on caps are QR codes; a case's label carries a GS1 SSCC as a GS1
/// DataMatrix or a GS1-128 (Code 128) symbol.
public enum SymbolFormat: String, Hashable, Sendable, Codable, CaseIterable {
    /// QR Code (model 2): the excise stamp's code.
    case qr
    /// Data Matrix (ECC 200), GS1 DataMatrix on case labels.
    case dataMatrix
    /// Code 128, GS1-128 on case labels.
    case code128
}

/// What the decoder says about a symbol beyond its payload (zxing-cpp reports these; ZBar does not).
public struct SymbolInfo: Hashable, Sendable, Codable {
    /// The symbol names its character set with an ECI designator.
    public var hasECI: Bool
    /// Light modules on a dark background.
    public var inverted: Bool
    /// Mirrored (printed or seen through the back of a film).
    public var mirrored: Bool
    /// QR version (1–40), when the decoder reports it.
    public var version: Int?
    /// Error correction level (L, M, Q, H), when the decoder reports it.
    public var errorCorrection: String?
    /// The decoder gave the payload converted to UTF-8 text instead of the symbol's own bytes (ZBar beyond ASCII).
    public var bytesConverted: Bool
    /// The symbol is a GS1 symbol (FNC1 in first position: GS1 DataMatrix, GS1-128): its text is GS1 element strings,
    /// "00" + 18 digits for an SSCC (zxing-cpp reports it; ZBar does not).
    public var gs1: Bool

    public init(hasECI: Bool = false, inverted: Bool = false, mirrored: Bool = false, version: Int? = nil, errorCorrection: String? = nil,
                bytesConverted: Bool = false, gs1: Bool = false) {
        self.bytesConverted = bytesConverted
        self.gs1 = gs1
        self.hasECI = hasECI
        self.inverted = inverted
        self.mirrored = mirrored
        self.version = version
        self.errorCorrection = errorCorrection
    }

    private enum CodingKeys: String, CodingKey {
        case hasECI, inverted, mirrored, version, errorCorrection, bytesConverted, gs1
    }

    /// Decodes what an earlier version wrote too (without `gs1`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hasECI = try c.decode(Bool.self, forKey: .hasECI)
        inverted = try c.decode(Bool.self, forKey: .inverted)
        mirrored = try c.decode(Bool.self, forKey: .mirrored)
        version = try c.decodeIfPresent(Int.self, forKey: .version)
        errorCorrection = try c.decodeIfPresent(String.self, forKey: .errorCorrection)
        bytesConverted = try c.decode(Bool.self, forKey: .bytesConverted)
        gs1 = try c.decodeIfPresent(Bool.self, forKey: .gs1) ?? false
    }
}

/// How well a code read: a falling contrast or reads moving to later steps show a failing lamp or a dirty lens
/// before reads fail.
public struct ReadQuality: Hashable, Sendable, Codable {
    /// Symbol contrast: the spread between the code's light and dark pixels (95th − 5th percentile) over the full
    /// 0–255 scale, measured in the frame as the camera delivered it (0…1; a clean print under good light ≥ 0.5).
    public var contrast: Double
    /// Pixels per module (the code's side over its module count), when the decoder reports the version.
    public var modulePx: Double?
    /// The position in the chain of the step that read it (0 = the first step).
    public var stepIndex: Int

    public init(contrast: Double, modulePx: Double?, stepIndex: Int) {
        self.contrast = contrast
        self.modulePx = modulePx
        self.stepIndex = stepIndex
    }
}

/// One symbol read from an image: a QR code (the stamps), or a Data Matrix or Code 128 (case labels) from a reader
/// asked for those formats.
public struct DecodedCode: Hashable, Sendable {
    /// The symbol's raw payload bytes (parsed by `PayloadRules`, never trusted as text).
    public var bytes: [UInt8]
    /// The payload as text, converted from the character set the symbol's ECI names (or the decoder's guess).
    public var text: String
    /// Which decoder read it.
    public var decoder: DecoderName
    /// The symbol's four corners (top-left, top-right, bottom-right, bottom-left) in frame coordinates.
    public var corners: [Point]
    /// What the decoder says about the symbol.
    public var symbol: SymbolInfo
    /// The chain step that read it (`zxing@cap×1.5`, `zbar@unread+invert`, …); empty outside a chain.
    public var step: String
    /// How well it read (set by the chain).
    public var quality: ReadQuality?
    /// The symbology (QR unless the decoder was asked for other formats).
    public var format: SymbolFormat

    public init(bytes: [UInt8], text: String? = nil, decoder: DecoderName, corners: [Point], symbol: SymbolInfo = SymbolInfo(),
                step: String = "", quality: ReadQuality? = nil, format: SymbolFormat = .qr) {
        self.format = format
        self.bytes = bytes
        self.text = text ?? String(decoding: bytes, as: UTF8.self)
        self.decoder = decoder
        self.corners = corners
        self.symbol = symbol
        self.step = step
        self.quality = quality
    }

    /// The centre of the corners.
    public var center: Point {
        guard !corners.isEmpty else { return Point(x: 0, y: 0) }
        return Point(x: corners.map(\.x).reduce(0, +) / Double(corners.count),
                     y: corners.map(\.y).reduce(0, +) / Double(corners.count))
    }

    /// The longest side of the quadrilateral, in pixels.
    public var sidePx: Double { Quad.longestSide(corners) }
}

/// A quadrilateral (four corners) in image coordinates.
public enum Quad {
    static func longestSide(_ corners: [Point]) -> Double {
        guard corners.count >= 2 else { return 0 }
        var longest = 0.0
        for index in corners.indices {
            let a = corners[index], b = corners[(index + 1) % corners.count]
            longest = max(longest, ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot())
        }
        return longest
    }

    /// The bounding rectangle, grown by `margin` pixels on every side.
    static func bounds(_ corners: [Point], margin: Double = 0) -> Rect {
        let xs = corners.map(\.x), ys = corners.map(\.y)
        let x0 = (xs.min() ?? 0) - margin, y0 = (ys.min() ?? 0) - margin
        let x1 = (xs.max() ?? 0) + margin, y1 = (ys.max() ?? 0) + margin
        return Rect(x: Int(x0.rounded(.down)), y: Int(y0.rounded(.down)), width: Int((x1 - x0).rounded(.up)), height: Int((y1 - y0).rounded(.up)))
    }
}

/// What one decoder run found: the codes it read, and where it saw a symbol it could not decode.
public struct DecoderOutput: Sendable {
    public var codes: [DecodedCode] = []
    /// Corners of symbols found but not decoded (zxing-cpp with `reportUnread`); later steps look there.
    public var unread: [[Point]] = []
    public init(codes: [DecodedCode] = [], unread: [[Point]] = []) {
        self.codes = codes
        self.unread = unread
    }
}

/// The decoder seam: reads QR symbols (and, where the decoder was asked for them, other formats) from a gray image. Implementations hold reusable native state, so one
/// instance belongs to one camera pipeline (not `Sendable`).
public protocol CodeDecoder: AnyObject {
    /// The decoder's name in reports and calibration files.
    var name: DecoderName { get }
    /// Reads every QR symbol in the image; corners are in the image's own coordinates.
    func read(_ image: GrayImage) throws(VisionError) -> DecoderOutput
}

extension CodeDecoder {
    /// The codes `read` finds.
    public func decode(_ image: GrayImage) throws(VisionError) -> [DecodedCode] { try read(image).codes }
}

/// Makes the decoder a calibration step names.
public func makeDecoder(_ step: DecoderStep) throws(VisionError) -> any CodeDecoder {
    // In a chain zxing reports the symbols it found but could not decode, for the `unread` steps after it. Those count
    // towards zxing's symbol limit, so the limit stays zxing's own (the chain reports at most `maxCodesPerFrame`): a
    // frame must read at least what plain zxing-cpp reads.
    var options = step.tryHarder ? ZXingOptions.library() : ZXingOptions(maxSymbols: 255)
    options.reportUnread = true
    switch step.name {
    case .zxing: return try ZXingDecoder(engine: .best, options: options)
    case .zxing14: return try ZXingDecoder(engine: .debian, options: options)
    case .zbar: return try ZBarDecoder()
    }
}
