import CModbus
import COpenCVShim
import CZBar
import CZXingShim
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

    @Test("zxing-cpp through the C shim")
    func zxing() {
        #expect(String(cString: czx_version()) == "1.4.0")
    }
}
