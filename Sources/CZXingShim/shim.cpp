// zbar.h must come before any zxing header: zxing defines a FormatError macro that breaks zbar's C++ header.
#include <zbar.h>
#include "CZXingShim.h"
#include <ZXing/ZXVersion.h>

#define CZX_STR2(x) #x
#define CZX_STR(x) CZX_STR2(x)

extern "C" const char *czx_version(void) {
    return CZX_STR(ZXING_VERSION_MAJOR) "." CZX_STR(ZXING_VERSION_MINOR) "." CZX_STR(ZXING_VERSION_PATCH);
}
