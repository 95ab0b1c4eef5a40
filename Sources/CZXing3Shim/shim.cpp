// The czx_engine table over a current zxing-cpp (3.x). Compiled against .deps/zxing-cpp when scripts/setup.sh
// built it (Package.swift then defines CZX3_AVAILABLE and ZXing=ZXing3); otherwise czx_engine_3() is NULL.
#include "CZXing3Shim.h"
#include "../CZXingShim/include/CZXingShim.h"

#ifndef CZX3_AVAILABLE

extern "C" const void *czx_engine_3(void) { return nullptr; }
extern "C" const char *czx_engine_3_unavailable_reason(void) {
    return "this build has no current zxing-cpp: scripts/setup.sh builds it into .deps/zxing-cpp (needs cmake, g++ and "
           "the zxing-cpp source from the Python package index); Debian's zxing-cpp 1.4 is used instead";
}

#else

#include "../CZXingShim/engine_common.hpp"
#include <ZXing/Barcode.h>
#include <ZXing/ReadBarcode.h>
#include <ZXing/ReaderOptions.h>
#include <ZXing/Version.h>
#include <string>
#include <vector>

namespace {

struct Reader {
    ZXing::ReaderOptions options;
    ZXing::Barcodes results;
    std::vector<std::string> texts;
};

using czx::guarded;

const char *version(void) { return ZXING_VERSION_STR; }

/// The CZX_FORMAT_* flags as zxing's formats (0: QR only). QR is model 2 only: with Micro QR and rMQR enabled, their
/// small patterns made false reads on caps.
ZXing::BarcodeFormats formats(int flags) {
    std::vector<ZXing::BarcodeFormat> formats;
    if (flags == 0 || (flags & CZX_FORMAT_QR)) formats.push_back(ZXing::BarcodeFormat::QRCodeModel2);
    if (flags & CZX_FORMAT_DATAMATRIX) formats.push_back(ZXing::BarcodeFormat::DataMatrix);
    if (flags & CZX_FORMAT_CODE128) formats.push_back(ZXing::BarcodeFormat::Code128);
    return ZXing::BarcodeFormats(std::move(formats));
}

/// A zxing format as its CZX_FORMAT_* flag (0 for a format the shim does not read).
int formatFlag(ZXing::BarcodeFormat format) {
    if (format <= ZXing::BarcodeFormat::QRCode) return CZX_FORMAT_QR;
    if (format <= ZXing::BarcodeFormat::DataMatrix) return CZX_FORMAT_DATAMATRIX;
    if (format <= ZXing::BarcodeFormat::Code128) return CZX_FORMAT_CODE128;
    return 0;
}

czx_reader *readerNew(const czx_options *options) {
    return guarded([&]() -> czx_reader * {
        auto *reader = new Reader();
        auto &o = reader->options;
        o.setFormats(formats(options->formats));
        o.setTryHarder(options->try_harder != 0);
        o.setTryRotate(options->try_rotate != 0);
        o.setTryInvert(options->try_invert != 0);
        o.setTryDownscale(options->try_downscale != 0);
        o.setBinarizer(options->binarizer == 1   ? ZXing::Binarizer::GlobalHistogram
                       : options->binarizer == 2 ? ZXing::Binarizer::FixedThreshold
                       : options->binarizer == 3 ? ZXing::Binarizer::BoolCast
                                                 : ZXing::Binarizer::LocalAverage);
        int max = options->max_symbols;
        o.setMaxNumberOfSymbols((uint8_t)(max > 255 ? 255 : max < 1 ? 1 : max));
        o.setReturnErrors(options->return_errors != 0);
        o.setTextMode(ZXing::TextMode::Plain);
        return reinterpret_cast<czx_reader *>(reader);
    }, nullptr);
}

void readerFree(czx_reader *reader) { delete reinterpret_cast<Reader *>(reader); }

int decode(czx_reader *reader, const uint8_t *gray, int width, int height, int stride) {
    auto *r = reinterpret_cast<Reader *>(reader);
    int count = guarded([&]() -> int {
        r->results.clear();
        r->texts.clear();
        ZXing::ImageView view(gray, width, height, ZXing::ImageFormat::Lum, stride, 1);
        for (auto &result : ZXing::ReadBarcodes(view, r->options)) {
            if (!result.isValid() && !(r->options.returnErrors() && result.error())) continue;
            r->texts.push_back(result.isValid() ? result.text() : std::string());
            r->results.push_back(std::move(result));
        }
        return (int)r->results.size();
    }, -1);
    if (count < 0) {
        r->results.clear();
        r->texts.clear();
    }
    return count;
}

void info(const czx_reader *reader, int index, czx_result_info *out) {
    const auto &result = reinterpret_cast<const Reader *>(reader)->results[(size_t)index];
    *out = czx_result_info{};
    out->valid = result.isValid() ? 1 : 0;
    out->error_type = (int)result.error().type();
    out->has_eci = result.isValid() && result.hasECI() ? 1 : 0;
    out->inverted = result.isInverted() ? 1 : 0;
    out->mirrored = result.isMirrored() ? 1 : 0;
    std::string version = result.version();
    out->version = version.empty() ? 0 : std::atoi(version.c_str());
    std::string level = result.ecLevel();
    out->ec_level = level.empty() ? 0 : level[0];
    out->format = formatFlag(result.format());
    out->gs1 = result.isValid() && result.contentType() == ZXing::ContentType::GS1 ? 1 : 0;
}

const czx_engine engine = {version, czx::lastError, readerNew, readerFree, decode,
                           czx::bytes<Reader>, czx::text<Reader>, czx::corners<Reader>, info};

} // namespace

extern "C" const void *czx_engine_3(void) { return &engine; }
extern "C" const char *czx_engine_3_unavailable_reason(void) { return ""; }

#endif
