// What the two czx_engine tables share (zxing-cpp 1.4 in shim.cpp, 3.x in ../CZXing3Shim/shim.cpp): error capture at
// the C boundary and the per-result accessors. Private to the shims (not in include/: Swift never sees C++).
// A Reader type has `results` (zxing-cpp results with bytes() and position()) and `texts` (std::string per result).
#pragma once
#include "include/CZXingShim.h"
#include <exception>
#include <string>

// An unnamed namespace inside: each shim (one translation unit each) keeps its own error slot.
namespace czx {
namespace {

thread_local std::string last_error;

/// Runs `body`; a C++ exception becomes `failure` with its message kept for lastError().
template <typename F> auto guarded(F body, decltype(body()) failure) -> decltype(body()) {
    try {
        last_error.clear();
        return body();
    } catch (const std::exception &e) {
        last_error = e.what();
    } catch (...) {
        last_error = "unknown C++ exception";
    }
    return failure;
}

const char *lastError(void) { return last_error.c_str(); }

template <typename Reader> const uint8_t *bytes(const czx_reader *reader, int index, int *length) {
    const auto &bytes = reinterpret_cast<const Reader *>(reader)->results[(size_t)index].bytes();
    *length = (int)bytes.size();
    return bytes.data();
}

template <typename Reader> const char *text(const czx_reader *reader, int index) {
    return reinterpret_cast<const Reader *>(reader)->texts[(size_t)index].c_str();
}

template <typename Reader> void corners(const czx_reader *reader, int index, float *out8) {
    const auto &position = reinterpret_cast<const Reader *>(reader)->results[(size_t)index].position();
    for (int i = 0; i < 4; i++) {
        out8[2 * i] = (float)position[i].x;
        out8[2 * i + 1] = (float)position[i].y;
    }
}

} // namespace
} // namespace czx
