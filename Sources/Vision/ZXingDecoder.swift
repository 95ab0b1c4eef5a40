import CZXingShim
import LineConfig

/// zxing-cpp 1.4 through the C shim, QR only. By default its rotate/downscale/invert searches are off: they doubled
/// the time and bought nothing on cap images.
public final class ZXingDecoder: CodeDecoder {
    public let name = DecoderName.zxing
    private let reader: OpaquePointer

    public init(tryHarder: Bool = false, maxCodes: Int = 4) throws(VisionError) {
        guard let reader = czx_reader_new(tryHarder ? 1 : 0, Int32(maxCodes)) else {
            throw .library(library: "zxing-cpp", operation: "create reader", message: String(cString: czx_last_error()))
        }
        self.reader = reader
    }

    deinit { czx_reader_free(reader) }

    public func decode(_ gray: GrayImage) throws(VisionError) -> [DecodedCode] {
        guard gray.channels == 1 else {
            throw .formatMismatch(source: "zxing", reason: "expected a gray image, got \(gray.channels) channels")
        }
        guard !gray.isEmpty else { return [] }
        let count = gray.withPixels { data, width, height, stride in
            czx_reader_decode(reader, data, Int32(width), Int32(height), Int32(stride))
        }
        if count < 0 { throw .library(library: "zxing-cpp", operation: "decode", message: String(cString: czx_last_error())) }
        var corners = [Float](repeating: 0, count: 8)
        return (0..<count).map { index in
            var length: Int32 = 0
            let pointer = czx_reader_bytes(reader, index, &length)
            let bytes = pointer.map { Array(UnsafeBufferPointer(start: $0, count: Int(length))) } ?? []
            czx_reader_corners(reader, index, &corners)
            let points = stride(from: 0, to: 8, by: 2).map { Point(x: Double(corners[$0]), y: Double(corners[$0 + 1])) }
            return DecodedCode(bytes: bytes, decoder: .zxing, corners: points)
        }
    }
}

/// QR encoding (for the frame synthesizer and tests).
public enum QREncoder {
    /// The modules (side × side, 1 = dark) of a QR code for `text`, at error correction level `ecc` (0…8).
    public static func modules(for text: String, ecc: Int = 4) throws(VisionError) -> (modules: [UInt8], side: Int) {
        var buffer = [UInt8](repeating: 0, count: 177 * 177)
        var side: Int32 = 0
        let status = czx_encode_qr(text, Int32(ecc), &buffer, Int32(buffer.count), &side)
        if status < 0 { throw .library(library: "zxing-cpp", operation: "encode", message: String(cString: czx_last_error())) }
        return (Array(buffer.prefix(Int(side * side))), Int(side))
    }
}
