import CModbus
import COpenCVShim
import CZBar
import CZXing3Shim
import CZXingShim
import Foundation
import Testing

/// The C libraries are installed, found by pkg-config and linked: each answers with its version.
@Suite("Native libraries link and answer")
struct NativeLibrariesTests {
    @Test("ZBar")
    func zbar() {
        var major: UInt32 = 0, minor: UInt32 = 0, patch: UInt32 = 0
        #expect(zbar_version(&major, &minor, &patch) == 0)
        #expect(major == 0 && minor >= 23)
        // A scanner can be created and configured for QR only.
        let scanner = zbar_image_scanner_create()
        #expect(scanner != nil)
        #expect(zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1) == 0)
        zbar_image_scanner_destroy(scanner)
    }

    @Test("libmodbus")
    func modbus() {
        #expect(String(cString: cmodbus_version()).hasPrefix("3.1"))
        let context = modbus_new_tcp("127.0.0.1", 1502)
        #expect(context != nil)
        #expect(modbus_set_slave(context, 1) == 0)
        modbus_free(context)
        #expect(String(cString: modbus_strerror(cmodbus_error_too_much_data())) == "Too many data")
    }

    @Test("OpenCV through the C shim")
    func opencv() {
        #expect(String(cString: cvs_version()).hasPrefix("4."))
        #expect(String(cString: cvs_last_error()).isEmpty)
    }

    @Test("Debian's zxing-cpp 1.4 through the C shim")
    func zxing() {
        #expect(String(cString: czx_engine_1().pointee.version!()!) == "1.4.0")
    }

    /// scripts/setup.sh builds the current zxing-cpp into .deps/zxing-cpp; Package.swift links it when it is there.
    static let currentBuilt = FileManager.default.fileExists(
        atPath: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".deps/zxing-cpp/lib/libZXing3.a").path)

    @Test("the current zxing-cpp (3.x) links beside 1.4 through its own shim",
          .enabled(if: currentBuilt, "scripts/setup.sh did not build zxing-cpp into .deps/zxing-cpp (see its output): 1.4 is used"))
    func zxing3() throws {
        let table = try #require(czx_engine_3(), "\(String(cString: czx_engine_3_unavailable_reason()))")
        let engine = table.assumingMemoryBound(to: czx_engine.self)
        #expect(String(cString: engine.pointee.version!()!).hasPrefix("3."))
        #expect(String(cString: czx_engine_3_unavailable_reason()).isEmpty)
    }

    /// Reads `pixels` (gray, `width` × `height`) with an engine asked for `formats`; returns (text, format, gs1) per result.
    static func read(_ engine: UnsafePointer<czx_engine>, _ pixels: [UInt8], width: Int, height: Int, formats: Int32)
        -> [(text: String, format: Int32, gs1: Bool)] {
        var options = czx_options(try_harder: 1, try_rotate: 0, try_invert: 0, try_downscale: 0, binarizer: 0, max_symbols: 4,
                                  return_errors: 0, formats: formats)
        guard let reader = engine.pointee.reader_new!(&options) else { return [] }
        defer { engine.pointee.reader_free!(reader) }
        let count = pixels.withUnsafeBufferPointer { engine.pointee.decode!(reader, $0.baseAddress, Int32(width), Int32(height), Int32(width)) }
        return (0..<max(0, count)).map { index in
            var info = czx_result_info()
            engine.pointee.info!(reader, index, &info)
            return (engine.pointee.text!(reader, index).map { String(cString: $0) } ?? "", info.format, info.gs1 == 1)
        }
    }

    @Test("the zxing shims write GS1 DataMatrix and GS1-128, and read them when asked for their formats (QR only by default)")
    func zxingFormats() throws {
        var engines = [czx_engine_1()!]
        if let current = czx_engine_3() { engines.append(current.assumingMemoryBound(to: czx_engine.self)) }
        let text = "00048700010009876549"
        for (format, scale, rows) in [(Int32(CZX_FORMAT_DATAMATRIX), 8, 0), (Int32(CZX_FORMAT_CODE128), 3, 100)] {
            var modules = [UInt8](repeating: 0, count: 4096)
            var width: Int32 = 0, height: Int32 = 0
            #expect(czx_encode(format, text, 1, &modules, Int32(modules.count), &width, &height) == 0)
            // Drawn with a quiet zone of 10 modules, `scale` px per module; Code 128's one row repeated `rows` times.
            let w = Int(width), h = Int(height), quiet = 10
            let pw = (w + 2 * quiet) * scale, ph = rows > 0 ? rows + 2 * quiet * scale : (h + 2 * quiet) * scale
            var pixels = [UInt8](repeating: 255, count: pw * ph)
            for y in 0..<ph {
                for x in 0..<pw {
                    let mx = x / scale - quiet, my = rows > 0 ? 0 : y / scale - quiet
                    let inside = mx >= 0 && mx < w && (rows > 0 ? (y >= quiet * scale && y < quiet * scale + rows) : (my >= 0 && my < h))
                    if inside && modules[my * w + mx] != 0 { pixels[y * pw + x] = 0 }
                }
            }
            for engine in engines {
                let version = String(cString: engine.pointee.version!()!)
                #expect(Self.read(engine, pixels, width: pw, height: ph, formats: 0).isEmpty, "zxing-cpp \(version): QR only by default")
                let results = Self.read(engine, pixels, width: pw, height: ph, formats: format)
                #expect(results.count == 1, "zxing-cpp \(version) reads format \(format)")
                #expect(results.first?.text == text)
                #expect(results.first?.format == format)
                #expect(results.first?.gs1 == true)
            }
        }
        var modules = [UInt8](repeating: 0, count: 16)
        var width: Int32 = 0, height: Int32 = 0
        #expect(czx_encode(Int32(CZX_FORMAT_DATAMATRIX), text, 1, &modules, Int32(modules.count), &width, &height) == -1)
        #expect(String(cString: czx_engine_1().pointee.last_error!()!) == "module buffer too small")
    }
}
