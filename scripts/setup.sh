#!/usr/bin/env bash
# Installs what QazLine needs on a Debian machine (bookworm): the C libraries the Swift targets link, and the
# tools the tests start. Safe to run again: it installs only what is missing.
# As root it installs; otherwise it prints the exact apt-get line and stops.
set -euo pipefail

APT_PACKAGES=(
  pkg-config            # finds the C libraries for SwiftPM
  libzbar-dev           # ZBar QR decoder
  libzxing-dev          # zxing-cpp 1.4 decoder (C++, wrapped by Sources/CZXingShim)
  libopencv-dev         # OpenCV 4.6: capture and image operations (Sources/COpenCVShim)
  libaravis-dev         # GenICam cameras (GigE Vision / USB3 Vision)
  libusb-1.0-0-dev      # needed by aravis' pkg-config file
  aravis-tools          # arv-fake-gv-camera-0.8: a simulated GigE Vision camera for tests
  gstreamer1.0-plugins-base  # videotestsrc/appsink for the GStreamer frame-source test
  libmodbus-dev         # Modbus TCP/RTU to the line PLC
  libsqlite3-dev        # SQLite (GRDB) for the outbox and the registrar
  libssl-dev            # OpenSSL 3 libcrypto: CMS signatures and X.509 verification (Sources/CCMSShim)
  openssl               # the openssl command line: test CAs and signatures, the demo's PKI (Sources/SignaturesTesting)
  postgresql            # PostgreSQL server for the registrar's second backend (tests start their own)
  socat                 # serial pseudo-terminal pairs for Modbus RTU tests
  python3-venv          # a private virtualenv for the Python test peers
  cmake                 # builds a current zxing-cpp from its source distribution (scripts/build-zxing.sh)
  g++                   # the C++ shims and zxing-cpp
  chromium              # the browser the console tests drive (scripts/browser-test.sh)
  chromium-driver       # its WebDriver, for Selenium
  dpkg-dev              # dpkg-shlibdeps: the Debian packages' Depends (scripts/package.sh)
  binutils              # objcopy: stripping the packaged binaries
  systemd               # systemd-analyze verify/security of the units (scripts/package-test.sh; systemd is not started)
  adduser               # the packages' maintainer scripts create the qazline user
  sqlite3               # the long run's size breakdown (scripts/long-run.sh)
)

missing=()
for package in "${APT_PACKAGES[@]%%#*}"; do
  package="${package// /}"
  [ -z "$package" ] && continue
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages. Run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: the Swift toolchain (6.2 or later) is not on PATH; install it from swift.org and run again." >&2
  exit 1
fi

# A current zxing-cpp (3.x) reads markedly more than Debian's 1.4: built once into .deps/zxing-cpp (never fatal).
"$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/build-zxing.sh"

# Python test peers (pymodbus, schemathesis) live in a private virtualenv so the system Python stays untouched.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
if [ -f "$root/scripts/requirements-test.txt" ]; then
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/scripts/requirements-test.txt"; then
    echo "setup: could not install the Python test peers from scripts/requirements-test.txt" >&2
    exit 1
  fi
fi
