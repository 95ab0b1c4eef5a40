#ifndef CZBAR_SHIM_H
#define CZBAR_SHIM_H
#include <zbar.h>
/// ZBar's zbar_fourcc() macro is invisible to Swift: 'Y800' (8-bit grayscale) as a constant.
static const unsigned long CZBAR_FOURCC_Y800 = 0x30303859UL;
#endif
