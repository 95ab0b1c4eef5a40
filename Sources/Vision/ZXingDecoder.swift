import CZXing3Shim
import CZXingShim
import LineConfig
import LineCore

/// A zxing-cpp engine: Debian's 1.4, or a current one (3.x) built by `scripts/setup.sh`. Both sit behind the same
/// C function table; Swift never sees a C++ type.
public struct ZXingEngine: @unchecked Sendable, CustomStringConvertible {
    /// A static table of C function pointers: immutable, so sharing it across threads is safe.
    let table: UnsafePointer<czx_engine>
    /// The decoder name calibrations use for this engine.
    public let name: DecoderName

    /// Debian's zxing-cpp 1.4 (always linked).
    public static let debian = ZXingEngine(table: czx_engine_1(), name: .zxing14)
    /// The current zxing-cpp, when this build has it.
    public static let current: ZXingEngine? = czx_engine_3().map {
        ZXingEngine(table: $0.assumingMemoryBound(to: czx_engine.self), name: .zxing)
    }
    /// Why there is no current zxing-cpp ("" when there is).
    public static var currentUnavailableReason: String { String(cString: czx_engine_3_unavailable_reason()) }
    /// The engine a step named `zxing` gets: the current one, or Debian's 1.4 when this build has none.
    public static var best: ZXingEngine { current ?? debian }

    /// The library's version, e.g. "3.1.1".
    public var version: String { String(cString: table.pointee.version!()!) }
    public var description: String { "zxing-cpp \(version)" }
    var lastError: String { String(cString: table.pointee.last_error!()!) }
}

/// zxing-cpp's search options for one decoder step.
public struct ZXingOptions: Sendable, Hashable {
    /// zxing's harder search, rotations, inverted (light-on-dark) symbols and downscaled copies of large images.
    public var tryHarder: Bool
    public var tryRotate: Bool
    public var tryInvert: Bool
    public var tryDownscale: Bool
    /// At most this many symbols per image.
    public var maxSymbols: Int
    /// Report symbols found but not decoded, so later steps can look at exactly those places.
    public var reportUnread: Bool
    /// The symbologies to read: QR only unless asked (a case label's Data Matrix or Code 128 too). An empty set reads QR.
    public var formats: Set<SymbolFormat>

    public init(tryHarder: Bool = false, tryRotate: Bool = false, tryInvert: Bool = false, tryDownscale: Bool = false,
                maxSymbols: Int = 4, reportUnread: Bool = true, formats: Set<SymbolFormat> = [.qr]) {
        self.formats = formats
        self.tryHarder = tryHarder
        self.tryRotate = tryRotate
        self.tryInvert = tryInvert
        self.tryDownscale = tryDownscale
        self.maxSymbols = maxSymbols
        self.reportUnread = reportUnread
    }

    /// The library's own defaults (every search on): what "plain zxing-cpp" does.
    public static func library(maxSymbols: Int = 255, formats: Set<SymbolFormat> = [.qr]) -> ZXingOptions {
        ZXingOptions(tryHarder: true, tryRotate: true, tryInvert: true, tryDownscale: true, maxSymbols: maxSymbols, reportUnread: false,
                     formats: formats)
    }

    /// The formats as the shim's CZX_FORMAT_* flags.
    var formatFlags: Int32 {
        var flags: Int32 = 0
        for format in formats {
            switch format {
            case .qr: flags |= Int32(CZX_FORMAT_QR)
            case .dataMatrix: flags |= Int32(CZX_FORMAT_DATAMATRIX)
            case .code128: flags |= Int32(CZX_FORMAT_CODE128)
            }
        }
        return flags
    }
}

extension SymbolFormat {
    /// The format of a shim's CZX_FORMAT_* flag (QR for anything else: the shim reads nothing else).
    init(flag: Int32) {
        switch flag {
        case Int32(CZX_FORMAT_DATAMATRIX): self = .dataMatrix
        case Int32(CZX_FORMAT_CODE128): self = .code128
        default: self = .qr
        }
    }
}

/// zxing-cpp through the C shim: QR codes, and Data Matrix and Code 128 when the options ask for them.
public final class ZXingDecoder: CodeDecoder {
    public let name: DecoderName
    public let engine: ZXingEngine
    public let options: ZXingOptions
    private let reader: OpaquePointer

    public init(engine: ZXingEngine = .best, options: ZXingOptions = ZXingOptions()) throws(VisionError) {
        var raw = czx_options(
            try_harder: options.tryHarder ? 1 : 0, try_rotate: options.tryRotate ? 1 : 0, try_invert: options.tryInvert ? 1 : 0,
            try_downscale: options.tryDownscale ? 1 : 0, binarizer: 0, max_symbols: Int32(max(1, min(255, options.maxSymbols))),
            return_errors: options.reportUnread ? 1 : 0, formats: options.formatFlags)
        guard let reader = engine.table.pointee.reader_new!(&raw) else {
            throw .library(library: engine.description, operation: "create reader", message: engine.lastError)
        }
        self.reader = reader
        self.engine = engine
        self.options = options
        name = engine.name
    }

    deinit { engine.table.pointee.reader_free!(reader) }

    public func read(_ gray: GrayImage) throws(VisionError) -> DecoderOutput {
        guard gray.channels == 1 else {
            throw .formatMismatch(source: "zxing", reason: "expected a gray image, got \(gray.channels) channels")
        }
        guard !gray.isEmpty else { return DecoderOutput() }
        let api = engine.table.pointee
        let count = gray.withPixels { data, width, height, stride in
            api.decode!(reader, data, Int32(width), Int32(height), Int32(stride))
        }
        if count < 0 { throw .library(library: engine.description, operation: "decode", message: engine.lastError) }
        var output = DecoderOutput()
        var corners = [Float](repeating: 0, count: 8)
        for index in 0..<count {
            api.corners!(reader, index, &corners)
            let points = stride(from: 0, to: 8, by: 2).map { Point(x: Double(corners[$0]), y: Double(corners[$0 + 1])) }
            var info = czx_result_info()
            api.info!(reader, index, &info)
            guard info.valid == 1 else {
                output.unread.append(points)
                continue
            }
            var length: Int32 = 0
            let pointer = api.bytes!(reader, index, &length)
            let bytes = pointer.map { Array(UnsafeBufferPointer(start: $0, count: Int(length))) } ?? []
            let text = api.text!(reader, index).map { String(cString: $0) } ?? String(decoding: bytes, as: UTF8.self)
            output.codes.append(DecodedCode(
                bytes: bytes, text: text, decoder: name, corners: points,
                symbol: SymbolInfo(hasECI: info.has_eci == 1, inverted: info.inverted == 1, mirrored: info.mirrored == 1,
                                   version: info.version > 0 ? Int(info.version) : nil,
                                   errorCorrection: info.ec_level == 0 ? nil : String(UnicodeScalar(UInt8(bitPattern: info.ec_level))),
                                   gs1: info.gs1 == 1),
                format: SymbolFormat(flag: info.format)))
        }
        return output
    }
}

/// QR encoding (for the frame synthesizers and tests), through Debian's zxing-cpp 1.4 writer.
public enum QREncoder {
    /// The modules (side × side, 1 = dark) of a QR code for `text`, at error correction level `ecc` (0…8).
    /// `charset` nil writes the UTF-8 bytes in byte mode without ECI; a name ("UTF-8", "Shift_JIS", "ISO-8859-1", …)
    /// converts the text to that set and adds an ECI designator where zxing does (every set but ISO-8859-1).
    public static func modules(for text: String, charset: String? = nil, ecc: Int = 4) throws(VisionError) -> (modules: [UInt8], side: Int) {
        var buffer = [UInt8](repeating: 0, count: 177 * 177)
        var side: Int32 = 0
        let status = czx_encode_qr(text, charset, Int32(ecc), &buffer, Int32(buffer.count), &side)
        if status < 0 { throw .library(library: "zxing-cpp", operation: "encode", message: ZXingEngine.debian.lastError) }
        return (Array(buffer.prefix(Int(side * side))), Int(side))
    }
}

/// Data Matrix and Code 128 encoding (for the case frame synthesizer and tests): a case label's GS1 SSCC as GS1
/// DataMatrix or GS1-128. Code 128 and plain Data Matrix come from Debian's zxing-cpp 1.4 writer; 1.4 cannot write
/// FNC1 in a Data Matrix, so the shim writes GS1 DataMatrix itself from the standard (ISO/IEC 16022), checked by
/// reading every symbol back with zxing-cpp in the tests.
public enum SymbolEncoder {
    /// A symbol's modules: `width` × `height` bytes, row by row, 1 = dark, without quiet zone. A Code 128 symbol is one
    /// row (`height` 1) of bars and spaces, drawn as tall as wanted.
    public struct Modules: Sendable, Hashable {
        public var modules: [UInt8]
        public var width: Int
        public var height: Int
    }

    /// Encodes ASCII `text` as a Data Matrix (square) or Code 128 symbol. With `gs1` the symbol starts with FNC1 and
    /// each GS (U+001D) in `text` is written as FNC1: `text` is GS1 element strings without parentheses ("00" + the 18
    /// digits of an SSCC).
    /// - Throws: `VisionError.library` when the text cannot be encoded (not ASCII, too long), or for a QR format (use
    ///   `QREncoder`).
    public static func encode(_ text: String, as format: SymbolFormat, gs1: Bool = false) throws(VisionError) -> Modules {
        let flag: Int32
        switch format {
        case .qr:
            throw .library(library: "zxing-cpp", operation: "encode", message: "QR codes are encoded by QREncoder")
        case .dataMatrix: flag = Int32(CZX_FORMAT_DATAMATRIX)
        case .code128: flag = Int32(CZX_FORMAT_CODE128)
        }
        var buffer = [UInt8](repeating: 0, count: 144 * 144)
        var width: Int32 = 0, height: Int32 = 0
        let status = czx_encode(flag, text, gs1 ? 1 : 0, &buffer, Int32(buffer.count), &width, &height)
        if status < 0 {
            throw .library(library: "zxing-cpp", operation: "encode \(format.rawValue) \(text.debugDescription)", message: ZXingEngine.debian.lastError)
        }
        return Modules(modules: Array(buffer.prefix(Int(width * height))), width: Int(width), height: Int(height))
    }
}
