#!/usr/bin/env bash
# Builds a current zxing-cpp (the QR reader; Debian ships only 1.4) from its source distribution on the Python
# package index into .deps/zxing-cpp: readers only, a static library whose C++ namespace is renamed to ZXing3 so
# that it links beside Debian's 1.4 in one process (Sources/CZXing3Shim). Cached: does nothing when the wanted
# version is already built. Never fatal: when it cannot build, it says why and the build uses Debian's 1.4.
#
#   scripts/build-zxing.sh            # build if missing
#   scripts/build-zxing.sh --force    # rebuild
set -uo pipefail
VERSION=3.1.1
SHA256=1051a521b21a9fe206702ad4186aeb195154e3e1badcd99576d030723f36382b

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/.deps/zxing-cpp"
work="$root/.deps/zxing-cpp-build"
stamp="$prefix/VERSION"

if [ "${1:-}" != "--force" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$VERSION" ] && [ -f "$prefix/lib/libZXing3.a" ]; then
  exit 0
fi

fail() {
  echo "setup: zxing-cpp $VERSION not built: $*" >&2
  echo "setup: the decoders fall back to Debian's zxing-cpp 1.4 (vision-bench and docs/vision.md show the difference)" >&2
  exit 0
}

command -v cmake >/dev/null 2>&1 || fail "cmake is missing (apt-get install cmake)"
command -v g++ >/dev/null 2>&1 || fail "g++ is missing (apt-get install g++)"
rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"
archive="$work/zxing_cpp-$VERSION.tar.gz"
echo "setup: building zxing-cpp $VERSION from the Python package index's source distribution (about 2 minutes)" >&2
# pip finds the source distribution wherever this machine's pip is configured to look (PyPI or a mirror).
python3 -m pip download --quiet --no-deps --no-binary zxing-cpp "zxing-cpp==$VERSION" -d "$work" >"$work/download.log" 2>&1 \
  || fail "pip could not download zxing-cpp==$VERSION's source distribution (see $work/download.log)"
echo "$SHA256  $archive" | sha256sum -c --quiet - || fail "the download's SHA-256 is not $SHA256"
tar -xzf "$archive" -C "$work" || fail "could not unpack $archive"
src="$work/zxing_cpp-$VERSION/core"
[ -f "$src/CMakeLists.txt" ] || fail "$src/CMakeLists.txt is missing"
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DZXING_READERS=ON -DZXING_WRITERS=OFF \
  -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DZXING_C_API=OFF \
  -DCMAKE_CXX_FLAGS="-DZXing=ZXing3" -DCMAKE_INSTALL_PREFIX="$work/install" >"$work/cmake.log" 2>&1 \
  || fail "cmake configure failed (see $work/cmake.log)"
cmake --build "$work/build" -j"$jobs" >"$work/build.log" 2>&1 || fail "the build failed (see $work/build.log)"
cmake --install "$work/build" >>"$work/build.log" 2>&1 || fail "install failed (see $work/build.log)"
lib=$(find "$work/install" -name libZXing.a | head -1)
[ -n "$lib" ] || fail "libZXing.a was not produced"
rm -rf "$prefix" && mkdir -p "$prefix/lib" || fail "cannot create $prefix"
cp "$lib" "$prefix/lib/libZXing3.a" && cp -r "$work/install/include" "$prefix/include" || fail "cannot copy into $prefix"
echo "$VERSION" >"$stamp"
rm -rf "$work"
# SwiftPM caches evaluated manifests by their text, and Package.swift links the library only when it exists: drop the
# cached evaluation so that the next build sees it (tests fail loudly when a build links 1.4 with the library here).
rm -f "${XDG_CACHE_HOME:-$HOME/.cache}/org.swift.swiftpm/manifests/manifest.db"
echo "setup: zxing-cpp $VERSION built into $prefix" >&2
