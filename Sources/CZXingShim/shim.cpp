// zbar.h must come before any zxing header: zxing defines a FormatError macro that breaks zbar's C++ header.
#include <zbar.h>
#include "CZXingShim.h"
#include <ZXing/BitMatrix.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/MultiFormatWriter.h>
#include <ZXing/ReadBarcode.h>
#include <ZXing/ZXVersion.h>
#include <string>
#include <vector>

#define CZX_STR2(x) #x
#define CZX_STR(x) CZX_STR2(x)

struct czx_reader {
    ZXing::DecodeHints hints;
    ZXing::Results results;
};

static thread_local std::string last_error;

extern "C" {

const char *czx_version(void) {
    return CZX_STR(ZXING_VERSION_MAJOR) "." CZX_STR(ZXING_VERSION_MINOR) "." CZX_STR(ZXING_VERSION_PATCH);
}

const char *czx_last_error(void) { return last_error.c_str(); }

czx_reader *czx_reader_new(int try_harder, int max_symbols) {
    try {
        auto *reader = new czx_reader();
        reader->hints.setFormats(ZXing::BarcodeFormat::QRCode);
        reader->hints.setTryHarder(try_harder != 0);
        reader->hints.setTryRotate(try_harder != 0);
        reader->hints.setTryDownscale(try_harder != 0);
        reader->hints.setMaxNumberOfSymbols((uint8_t)(max_symbols > 255 ? 255 : max_symbols < 1 ? 1 : max_symbols));
        return reader;
    } catch (const std::exception &e) {
        last_error = e.what();
    } catch (...) {
        last_error = "unknown C++ exception";
    }
    return nullptr;
}

void czx_reader_free(czx_reader *reader) { delete reader; }

int czx_reader_decode(czx_reader *reader, const uint8_t *gray, int width, int height, int stride) {
    try {
        last_error.clear();
        reader->results.clear();
        ZXing::ImageView view(gray, width, height, ZXing::ImageFormat::Lum, stride, 1);
        ZXing::Results all = ZXing::ReadBarcodes(view, reader->hints);
        for (auto &result : all)
            if (result.isValid()) reader->results.push_back(std::move(result));
        return (int)reader->results.size();
    } catch (const std::exception &e) {
        last_error = e.what();
    } catch (...) {
        last_error = "unknown C++ exception";
    }
    reader->results.clear();
    return -1;
}

const uint8_t *czx_reader_bytes(const czx_reader *reader, int index, int *length) {
    const auto &bytes = reader->results[(size_t)index].bytes();
    *length = (int)bytes.size();
    return bytes.data();
}

void czx_reader_corners(const czx_reader *reader, int index, float *out8) {
    const auto &position = reader->results[(size_t)index].position();
    for (int i = 0; i < 4; i++) {
        out8[2 * i] = (float)position[i].x;
        out8[2 * i + 1] = (float)position[i].y;
    }
}

int czx_encode_qr(const char *text, int ecc_level, uint8_t *modules, int capacity, int *side) {
    try {
        last_error.clear();
        ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::QRCode);
        writer.setMargin(0);
        writer.setEccLevel(ecc_level);
        writer.setEncoding(ZXing::CharacterSet::BINARY);
        ZXing::BitMatrix matrix = writer.encode(std::string(text), 0, 0);
        int n = matrix.width();
        if (n * n > capacity) {
            last_error = "module buffer too small";
            return -1;
        }
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++) modules[y * n + x] = matrix.get(x, y) ? 1 : 0;
        *side = n;
        return 0;
    } catch (const std::exception &e) {
        last_error = e.what();
    } catch (...) {
        last_error = "unknown C++ exception";
    }
    return -1;
}

} // extern "C"
