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

    public init(tryHarder: Bool = false, tryRotate: Bool = false, tryInvert: Bool = false, tryDownscale: Bool = false,
                maxSymbols: Int = 4, reportUnread: Bool = true) {
        self.tryHarder = tryHarder
        self.tryRotate = tryRotate
        self.tryInvert = tryInvert
        self.tryDownscale = tryDownscale
        self.maxSymbols = maxSymbols
        self.reportUnread = reportUnread
    }

    /// The library's own defaults (every search on): what "plain zxing-cpp" does.
    public static func library(maxSymbols: Int = 255) -> ZXingOptions {
        ZXingOptions(tryHarder: true, tryRotate: true, tryInvert: true, tryDownscale: true, maxSymbols: maxSymbols, reportUnread: false)
    }
}

/// zxing-cpp through the C shim, QR only.
public final class ZXingDecoder: CodeDecoder {
    public let name: DecoderName
    public let engine: ZXingEngine
    public let options: ZXingOptions
    private let reader: OpaquePointer

    public init(engine: ZXingEngine = .best, options: ZXingOptions = ZXingOptions()) throws(VisionError) {
        var raw = czx_options(
            try_harder: options.tryHarder ? 1 : 0, try_rotate: options.tryRotate ? 1 : 0, try_invert: options.tryInvert ? 1 : 0,
            try_downscale: options.tryDownscale ? 1 : 0, binarizer: 0, max_symbols: Int32(max(1, min(255, options.maxSymbols))),
            return_errors: options.reportUnread ? 1 : 0)
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
                                   errorCorrection: info.ec_level == 0 ? nil : String(UnicodeScalar(UInt8(bitPattern: info.ec_level))))))
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
