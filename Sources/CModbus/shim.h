#ifndef CMODBUS_SHIM_H
#define CMODBUS_SHIM_H
#include <modbus.h>
#include <errno.h>
/// errno as seen right after a libmodbus call (Swift cannot read the errno macro portably).
static inline int cmodbus_errno(void) { return errno; }
/// libmodbus' version as compiled against (the LIBMODBUS_VERSION_STRING macro is not imported into Swift).
static inline const char *cmodbus_version(void) { return LIBMODBUS_VERSION_STRING; }
/// libmodbus' own error numbers are macros Swift cannot import; the ones the PLC link reports by name.
static inline int cmodbus_error_too_much_data(void) { return EMBMDATA; }
static inline int cmodbus_error_bad_data(void) { return EMBBADDATA; }
static inline int cmodbus_error_illegal_address(void) { return EMBXILADD; }
static inline int cmodbus_error_bad_slave(void) { return EMBBADSLAVE; }
#endif
