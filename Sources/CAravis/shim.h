#ifndef CARAVIS_SHIM_H
#define CARAVIS_SHIM_H
#include <arv.h>
#endif
