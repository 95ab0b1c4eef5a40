#ifndef COPENCV_SHIM_H
#define COPENCV_SHIM_H
/// A C API over the few OpenCV operations QazLine uses. Swift never sees a C++ type: every handle is
/// opaque and every function catches cv::Exception and reports it through cvs_last_error().
#ifdef __cplusplus
extern "C" {
#endif

/// OpenCV's version string, e.g. "4.6.0".
const char *cvs_version(void);

/// The message of the last failed call on this thread, or "" if none.
const char *cvs_last_error(void);

#ifdef __cplusplus
}
#endif
#endif
