// The czx_engine table over Debian's zxing-cpp 1.4, and QR encoding for the frame synthesizers.
#include "CZXingShim.h"
#include "engine_common.hpp"
#include <ZXing/BitMatrix.h>
#include <ZXing/CharacterSet.h>
#include <ZXing/DecodeHints.h>
#include <ZXing/MultiFormatWriter.h>
#include <ZXing/ReadBarcode.h>
#include <ZXing/ZXVersion.h>
#include "gs1_datamatrix.hpp"
#include <algorithm>
#include <string>
#include <vector>

#define CZX_STR2(x) #x
#define CZX_STR(x) CZX_STR2(x)

namespace {

struct Reader {
    ZXing::DecodeHints hints;
    bool try_invert = false;
    std::vector<ZXing::Result> results;
    std::vector<std::string> texts;
    std::vector<bool> inverted;
    std::vector<uint8_t> invertedPixels;
};

using czx::guarded;

const char *version(void) {
    return CZX_STR(ZXING_VERSION_MAJOR) "." CZX_STR(ZXING_VERSION_MINOR) "." CZX_STR(ZXING_VERSION_PATCH);
}

/// The CZX_FORMAT_* flags as zxing's formats (0: QR only).
ZXing::BarcodeFormats formats(int flags) {
    ZXing::BarcodeFormats formats;
    if (flags == 0 || (flags & CZX_FORMAT_QR)) formats |= ZXing::BarcodeFormat::QRCode;
    if (flags & CZX_FORMAT_DATAMATRIX) formats |= ZXing::BarcodeFormat::DataMatrix;
    if (flags & CZX_FORMAT_CODE128) formats |= ZXing::BarcodeFormat::Code128;
    return formats;
}

/// A zxing format as its CZX_FORMAT_* flag (0 for a format the shim does not read).
int formatFlag(ZXing::BarcodeFormat format) {
    switch (format) {
    case ZXing::BarcodeFormat::QRCode: return CZX_FORMAT_QR;
    case ZXing::BarcodeFormat::DataMatrix: return CZX_FORMAT_DATAMATRIX;
    case ZXing::BarcodeFormat::Code128: return CZX_FORMAT_CODE128;
    default: return 0;
    }
}

czx_reader *readerNew(const czx_options *options) {
    return guarded([&]() -> czx_reader * {
        auto *reader = new Reader();
        auto &hints = reader->hints;
        hints.setFormats(formats(options->formats));
        hints.setTryHarder(options->try_harder != 0);
        hints.setTryRotate(options->try_rotate != 0);
        hints.setTryDownscale(options->try_downscale != 0);
        hints.setBinarizer(options->binarizer == 1   ? ZXing::Binarizer::GlobalHistogram
                           : options->binarizer == 2 ? ZXing::Binarizer::FixedThreshold
                           : options->binarizer == 3 ? ZXing::Binarizer::BoolCast
                                                     : ZXing::Binarizer::LocalAverage);
        int max = options->max_symbols;
        hints.setMaxNumberOfSymbols((uint8_t)(max > 255 ? 255 : max < 1 ? 1 : max));
        hints.setReturnErrors(options->return_errors != 0);
        reader->try_invert = options->try_invert != 0;  // 1.4 has no tryInvert: the shim reads an inverted copy
        return reinterpret_cast<czx_reader *>(reader);
    }, nullptr);
}

void readerFree(czx_reader *reader) { delete reinterpret_cast<Reader *>(reader); }

void append(Reader *r, ZXing::Results &&found, bool inverted) {
    for (auto &result : found) {
        if (!result.isValid() && !(r->hints.returnErrors() && result.error())) continue;
        r->texts.push_back(result.isValid() ? result.text() : std::string());
        r->inverted.push_back(inverted);
        r->results.push_back(std::move(result));
    }
}

int decode(czx_reader *reader, const uint8_t *gray, int width, int height, int stride) {
    auto *r = reinterpret_cast<Reader *>(reader);
    int count = guarded([&]() -> int {
        r->results.clear();
        r->texts.clear();
        r->inverted.clear();
        ZXing::ImageView view(gray, width, height, ZXing::ImageFormat::Lum, stride, 1);
        append(r, ZXing::ReadBarcodes(view, r->hints), false);
        if (r->try_invert) {
            r->invertedPixels.resize((size_t)width * height);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++) r->invertedPixels[(size_t)y * width + x] = 255 - gray[(size_t)y * stride + x];
            ZXing::ImageView inverse(r->invertedPixels.data(), width, height, ZXing::ImageFormat::Lum, width, 1);
            append(r, ZXing::ReadBarcodes(inverse, r->hints), true);
        }
        return (int)r->results.size();
    }, -1);
    if (count < 0) {
        r->results.clear();
        r->texts.clear();
        r->inverted.clear();
    }
    return count;
}

void info(const czx_reader *reader, int index, czx_result_info *out) {
    const auto *r = reinterpret_cast<const Reader *>(reader);
    const auto &result = r->results[(size_t)index];
    *out = czx_result_info{};
    out->valid = result.isValid() ? 1 : 0;
    out->error_type = (int)result.error().type();
    out->has_eci = result.isValid() && result.hasECI() ? 1 : 0;
    out->inverted = r->inverted[(size_t)index] ? 1 : 0;
    out->mirrored = result.isMirrored() ? 1 : 0;
    out->version = 0;  // 1.4 does not report the version
    std::string level = result.ecLevel();
    out->ec_level = level.empty() ? 0 : level[0];
    out->format = formatFlag(result.format());
    out->gs1 = result.isValid() && result.contentType() == ZXing::ContentType::GS1 ? 1 : 0;
}

const czx_engine engine = {version, czx::lastError, readerNew, readerFree, decode,
                           czx::bytes<Reader>, czx::text<Reader>, czx::corners<Reader>, info};

} // namespace

extern "C" {

const czx_engine *czx_engine_1(void) { return &engine; }

int czx_encode_qr(const char *text, const char *charset, int ecc_level, uint8_t *modules, int capacity, int *side) {
    return guarded([&]() -> int {
        ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::QRCode);
        writer.setMargin(0);
        writer.setEccLevel(ecc_level);
        ZXing::CharacterSet set = ZXing::CharacterSet::BINARY;
        if (charset && *charset) {
            set = ZXing::CharacterSetFromString(charset);
            if (set == ZXing::CharacterSet::Unknown) {
                czx::last_error = std::string("unknown character set ") + charset;
                return -1;
            }
        }
        writer.setEncoding(set);
        ZXing::BitMatrix matrix = writer.encode(std::string(text), 0, 0);
        int n = matrix.width();
        if (n * n > capacity) {
            czx::last_error = "module buffer too small";
            return -1;
        }
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++) modules[y * n + x] = matrix.get(x, y) ? 1 : 0;
        *side = n;
        return 0;
    }, -1);
}

int czx_encode(int format, const char *text, int gs1, uint8_t *modules, int capacity, int *width, int *height) {
    return guarded([&]() -> int {
        std::string input(text ? text : "");
        if (input.empty()) {
            czx::last_error = "nothing to encode";
            return -1;
        }
        for (unsigned char c : input)
            if (c >= 0x80) {
                czx::last_error = "Data Matrix and Code 128 symbols are written from ASCII text only";
                return -1;
            }
        ZXing::BitMatrix matrix;
        if (format == CZX_FORMAT_DATAMATRIX && gs1) {
            matrix = czx::gs1DataMatrix(input);
        } else if (format == CZX_FORMAT_DATAMATRIX) {
            ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::DataMatrix);
            writer.setMargin(0);
            matrix = writer.encode(input, 0, 0);
        } else if (format == CZX_FORMAT_CODE128) {
            // zxing's Code 128 writer takes U+00F1 (ñ) for FNC1: in front for GS1-128, and for every GS separator.
            std::string escaped = gs1 ? "\xC3\xB1" : "";
            for (char c : input) escaped += (gs1 && c == 0x1D) ? std::string("\xC3\xB1") : std::string(1, c);
            ZXing::MultiFormatWriter writer(ZXing::BarcodeFormat::Code128);
            writer.setMargin(0);
            matrix = writer.encode(escaped, 0, 1);
        } else {
            czx::last_error = "czx_encode writes Data Matrix or Code 128 (QR codes: czx_encode_qr)";
            return -1;
        }
        int w = matrix.width(), h = format == CZX_FORMAT_CODE128 ? 1 : matrix.height();
        if (w * h > capacity) {
            czx::last_error = "module buffer too small";
            return -1;
        }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) modules[y * w + x] = matrix.get(x, y) ? 1 : 0;
        *width = w;
        *height = h;
        return 0;
    }, -1);
}

} // extern "C"
