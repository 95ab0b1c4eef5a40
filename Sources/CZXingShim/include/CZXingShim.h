#ifndef CZXING_SHIM_H
#define CZXING_SHIM_H
/// A C API over zxing-cpp 1.4 (Debian's libzxing-dev is C++ only). Opaque handles, no C++ types, no exceptions
/// across the boundary.
#ifdef __cplusplus
extern "C" {
#endif

/// zxing-cpp's version string, e.g. "1.4.0".
const char *czx_version(void);

#ifdef __cplusplus
}
#endif
#endif
