#ifndef CZXING_SHIM_H
#define CZXING_SHIM_H
/// A C API over zxing-cpp 1.4 (Debian's libzxing-dev is C++ only). Opaque handles, no C++ types, no exceptions
/// across the boundary.
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// zxing-cpp's version string, e.g. "1.4.0".
const char *czx_version(void);
/// The message of the last failed call on this thread, or "" if none.
const char *czx_last_error(void);

/// A QR reader that keeps its last results until the next decode (no allocation by the caller per frame).
typedef struct czx_reader czx_reader;
/// `try_harder` turns on zxing's rotate, downscale and harder-search options.
czx_reader *czx_reader_new(int try_harder, int max_symbols);
void czx_reader_free(czx_reader *reader);
/// Decodes QR codes in a gray image (rows `stride` bytes apart). Returns the number of valid codes, or -1.
int czx_reader_decode(czx_reader *reader, const uint8_t *gray, int width, int height, int stride);
/// The raw bytes of result `index`; `length` receives their count. Valid until the next decode.
const uint8_t *czx_reader_bytes(const czx_reader *reader, int index, int *length);
/// The four corners (x0, y0, … x3, y3: top-left, top-right, bottom-right, bottom-left) of result `index`.
void czx_reader_corners(const czx_reader *reader, int index, float *out8);

/// Encodes `text` (UTF-8 bytes, byte mode) as a QR code with error correction level 0..8 (zxing's scale;
/// 2 ≈ L, 4 ≈ M, 6 ≈ Q, 8 ≈ H). Writes side×side module bytes (1 = dark) without quiet zone into `modules`
/// (capacity bytes) and the side into `side`. Returns 0, or -1 (too long for a QR code, or capacity too small).
int czx_encode_qr(const char *text, int ecc_level, uint8_t *modules, int capacity, int *side);

#ifdef __cplusplus
}
#endif
#endif
