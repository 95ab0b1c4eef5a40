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
}
