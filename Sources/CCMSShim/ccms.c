#include "ccms.h"
int ccms_version(void) { return 0; }
