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

#include <sys/select.h>
/// Waits until one of `fds` is readable or `timeout_us` microseconds pass (fd_set macros are not usable from Swift).
/// Sets ready[i] to 1 for each readable descriptor; returns select's result (-1 with errno on failure).
static inline int cmodbus_wait_readable(const int *fds, int count, unsigned char *ready, long timeout_us) {
    fd_set set;
    FD_ZERO(&set);
    int maxfd = -1;
    for (int i = 0; i < count; i++) {
        if (fds[i] >= 0 && fds[i] < FD_SETSIZE) {
            FD_SET(fds[i], &set);
            if (fds[i] > maxfd) maxfd = fds[i];
        }
    }
    struct timeval tv = { timeout_us / 1000000, timeout_us % 1000000 };
    int rc = select(maxfd + 1, &set, NULL, NULL, &tv);
    for (int i = 0; i < count; i++) ready[i] = (rc > 0 && fds[i] >= 0 && fds[i] < FD_SETSIZE && FD_ISSET(fds[i], &set)) ? 1 : 0;
    return rc;
}
#endif
