#ifndef CZXING_SHIM_H
#define CZXING_SHIM_H
/// A C API over zxing-cpp. Two engines implement it: Debian's zxing-cpp 1.4 (this target, always present) and a
/// current zxing-cpp built from its source distribution (target CZXing3Shim, present when scripts/setup.sh built
/// it). Swift reaches both through the same table of functions (`czx_engine`), never a C++ type, and no C++
/// exception crosses the boundary.
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Symbol formats, as bit flags: `czx_options.formats` (a set) and `czx_result_info.format` (one).
enum {
    /// QR Code (model 2; not Micro QR or rMQR).
    CZX_FORMAT_QR = 1,
    /// Data Matrix (ECC 200), also GS1 DataMatrix.
    CZX_FORMAT_DATAMATRIX = 2,
    /// Code 128, also GS1-128.
    CZX_FORMAT_CODE128 = 4,
};

/// Reader options (zxing's ReaderOptions / DecodeHints). Zero means off / default.
typedef struct czx_options {
    /// Spend more time looking for symbols (zxing's tryHarder).
    int try_harder;
    /// Also look at the image rotated by 90/180/270 degrees.
    int try_rotate;
    /// Also look for light-on-dark (inverted) symbols.
    int try_invert;
    /// Also look at downscaled copies of large images.
    int try_downscale;
    /// 0 local average (hybrid), 1 global histogram, 2 fixed threshold 127, 3 bool cast.
    int binarizer;
    /// At most this many symbols (1-255).
    int max_symbols;
    /// Also report symbols that were found but could not be decoded (position and error, no payload).
    int return_errors;
    /// The formats to read (CZX_FORMAT_* flags); 0 means QR only.
    int formats;
} czx_options;

/// What zxing says about one result beyond its payload.
typedef struct czx_result_info {
    /// 1: decoded; 0: a symbol was found but its payload could not be decoded (`error_type` says why).
    int valid;
    /// 0 none, 1 format, 2 checksum (too damaged for error correction), 3 unsupported.
    int error_type;
    /// 1 when the symbol carries an ECI designator (the character set is explicit).
    int has_eci;
    /// 1 when the symbol was light on dark.
    int inverted;
    /// 1 when the symbol was mirrored.
    int mirrored;
    /// The QR version (1-40), or 0 when unknown.
    int version;
    /// Error correction level 'L', 'M', 'Q', 'H', or 0 when unknown.
    char ec_level;
    /// The symbol's format (one CZX_FORMAT_* flag).
    int format;
    /// 1 when the content is GS1 (FNC1 in first position: GS1 DataMatrix, GS1-128, GS1 QR Code).
    int gs1;
} czx_result_info;

/// A reader: holds its options and its last results until the next decode.
typedef struct czx_reader czx_reader;

/// One zxing-cpp engine.
typedef struct czx_engine {
    /// zxing-cpp's version string, e.g. "1.4.0".
    const char *(*version)(void);
    /// The message of the last failed call on this thread, or "" if none.
    const char *(*last_error)(void);
    /// A reader of the options' formats (QR only by default), or NULL (see last_error).
    czx_reader *(*reader_new)(const czx_options *options);
    void (*reader_free)(czx_reader *reader);
    /// Reads the symbols in a gray image (rows `stride` bytes apart). Returns the number of results, or -1.
    int (*decode)(czx_reader *reader, const uint8_t *gray, int width, int height, int stride);
    /// The raw payload bytes of result `index` (no character set conversion). Valid until the next decode.
    const uint8_t *(*bytes)(const czx_reader *reader, int index, int *length);
    /// The payload as UTF-8 text, converted from the character set its ECI names (or zxing's guess without one).
    const char *(*text)(const czx_reader *reader, int index);
    /// The four corners (x0, y0, … x3, y3: top-left, top-right, bottom-right, bottom-left) of result `index`.
    void (*corners)(const czx_reader *reader, int index, float *out8);
    void (*info)(const czx_reader *reader, int index, czx_result_info *out);
} czx_engine;

/// Debian's zxing-cpp 1.4.
const czx_engine *czx_engine_1(void);

/// Encodes `text` (UTF-8) as a QR code with error correction level 0..8 (zxing's scale; 2 ≈ L, 4 ≈ M, 6 ≈ Q,
/// 8 ≈ H). `charset`: NULL or "BINARY" writes the bytes as they are in byte mode without ECI; "UTF-8",
/// "Shift_JIS", "ISO-8859-5"… convert the text and add an ECI where zxing does (any set but ISO-8859-1).
/// Writes side×side module bytes (1 = dark) without quiet zone into `modules` (capacity bytes) and the side into
/// `side`. Returns 0, or -1 (too long for a QR code, text not representable, or capacity too small).
int czx_encode_qr(const char *text, const char *charset, int ecc_level, uint8_t *modules, int capacity, int *side);

/// Encodes ASCII `text` as a Data Matrix (ECC 200, square; `format` CZX_FORMAT_DATAMATRIX) or a Code 128 symbol
/// (`format` CZX_FORMAT_CODE128). `gs1` 1: a GS1 symbol — FNC1 in first position (GS1 DataMatrix, GS1-128), and each
/// GS (0x1D) in `text` written as FNC1, the separator after a variable-length element string; `text` is the element
/// strings without parentheses ("00" + 18 digits for an SSCC). Code 128 and plain Data Matrix come from zxing-cpp 1.4's
/// writers; zxing-cpp 1.4 cannot write FNC1 in a Data Matrix, so GS1 DataMatrix is encoded here (ASCII encodation,
/// ISO/IEC 16022 Reed-Solomon and module placement, square sizes 10×10 to 26×26).
/// Writes width×height module bytes (1 = dark, rows top to bottom) without quiet zone into `modules` (capacity bytes):
/// Data Matrix gives its side twice, Code 128 one row (height 1) of bars and spaces. Returns 0, or -1 (see
/// czx_engine_1()->last_error: text too long or not encodable, capacity too small).
int czx_encode(int format, const char *text, int gs1, uint8_t *modules, int capacity, int *width, int *height);

#ifdef __cplusplus
}
#endif
#endif
