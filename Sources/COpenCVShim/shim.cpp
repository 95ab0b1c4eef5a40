#include "COpenCVShim.h"
#include <opencv2/core.hpp>
#include <string>

static thread_local std::string last_error;

extern "C" const char *cvs_version(void) { return CV_VERSION; }

extern "C" const char *cvs_last_error(void) { return last_error.c_str(); }
