import CZBar
import LineConfig
import LineCore

/// ZBar 0.23, QR only. Hands the pixels to ZBar without copying when rows are contiguous.
///
/// ZBar converts byte segments to UTF-8 text even in binary mode (by the symbol's ECI, or guessing Shift_JIS or
/// Latin-1 without one): for a payload beyond ASCII its `bytes` are that UTF-8 text, not the symbol's own bytes, and
/// `symbol.bytesConverted` says so. Stamp payloads are ASCII, where the two are the same.
public final class ZBarDecoder: CodeDecoder {
    public let name = DecoderName.zbar
    private let scanner: OpaquePointer
    private let image: OpaquePointer
    /// Used only when the source image has padded rows.
    private var contiguous: [UInt8] = []

    public init() throws(VisionError) {
        guard let scanner = zbar_image_scanner_create(), let image = zbar_image_create() else {
            throw .library(library: "ZBar", operation: "create scanner", message: "out of memory")
        }
        self.scanner = scanner
        self.image = image
        zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0)
        zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1)
        zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1)
        zbar_image_scanner_enable_cache(scanner, 0)
        zbar_image_set_format(image, CZBAR_FOURCC_Y800)
    }

    deinit {
        zbar_image_destroy(image)
        zbar_image_scanner_destroy(scanner)
    }

    public func read(_ gray: GrayImage) throws(VisionError) -> DecoderOutput {
        guard gray.channels == 1 else {
            throw .formatMismatch(source: "zbar", reason: "expected a gray image, got \(gray.channels) channels")
        }
        let width = gray.width, height = gray.height
        guard width > 0, height > 0 else { return DecoderOutput() }
        let codes = gray.withPixels { data, width, height, stride in
            if stride == width {
                return scan(UnsafeRawPointer(data), width: width, height: height)
            }
            contiguous.removeAll(keepingCapacity: true)
            for row in 0..<height {
                contiguous.append(contentsOf: UnsafeBufferPointer(start: data + row * stride, count: width))
            }
            return contiguous.withUnsafeBytes { scan($0.baseAddress!, width: width, height: height) }
        }
        return DecoderOutput(codes: codes)
    }

    private func scan(_ pixels: UnsafeRawPointer, width: Int, height: Int) -> [DecodedCode] {
        scan(pixels, width: width, height: height, with: scanner)
    }

    private func scan(_ pixels: UnsafeRawPointer, width: Int, height: Int, with scanner: OpaquePointer) -> [DecodedCode] {
        zbar_image_set_size(image, UInt32(width), UInt32(height))
        zbar_image_set_data(image, pixels, UInt(width * height), nil)
        defer {
            zbar_image_scanner_recycle_image(scanner, image)
            zbar_image_set_data(image, nil, 0, nil)
        }
        guard zbar_scan_image(scanner, image) > 0 else { return [] }
        var codes: [DecodedCode] = []
        var symbol = zbar_image_first_symbol(image)
        while let current = symbol {
            let length = Int(zbar_symbol_get_data_length(current))
            let bytes: [UInt8] = zbar_symbol_get_data(current).map { pointer in
                pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
            } ?? []
            let count = zbar_symbol_get_loc_size(current)
            var corners = (0..<count).map { Point(x: Double(zbar_symbol_get_loc_x(current, $0)), y: Double(zbar_symbol_get_loc_y(current, $0))) }
            // ZBar lists QR corners as top-left, bottom-left, bottom-right, top-right: reorder to clockwise from top-left.
            if corners.count == 4 { corners = [corners[0], corners[3], corners[2], corners[1]] }
            codes.append(DecodedCode(bytes: bytes, decoder: .zbar, corners: corners,
                                     symbol: SymbolInfo(bytesConverted: bytes.contains { $0 >= 0x80 })))
            symbol = zbar_symbol_next(current)
        }
        return codes
    }
}
