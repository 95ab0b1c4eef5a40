#ifndef CZXING3_SHIM_H
#define CZXING3_SHIM_H
/// The czx_engine table (CZXingShim.h) over a current zxing-cpp (3.x), built from its source distribution by
/// scripts/setup.sh into .deps/zxing-cpp and linked statically with its namespace renamed to ZXing3, so that it
/// lives beside Debian's zxing-cpp 1.4 in one process.
#ifdef __cplusplus
extern "C" {
#endif

/// The current zxing-cpp's `czx_engine` table (declared in CZXingShim.h), or NULL when this build has none
/// (scripts/setup.sh could not build it). Typed as void so that this header needs no other module's header.
const void *czx_engine_3(void);

/// Why `czx_engine_3()` is NULL ("" when it is not).
const char *czx_engine_3_unavailable_reason(void);

#ifdef __cplusplus
}
#endif
#endif
