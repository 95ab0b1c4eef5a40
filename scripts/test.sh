#!/usr/bin/env bash
# Runs every test: installs what is missing (scripts/setup.sh), builds, runs `swift test`, then (when no arguments
# are given) the consoles' browser tests in Chromium (scripts/browser-test.sh), the short fault-injection run
# (scripts/chaos.sh --short) and 60 s of fuzzing for the QR payload parser and the configuration loaders
# (scripts/fuzz.sh). Arguments go to `swift test` (e.g. --filter) and skip those three.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
swift build --build-tests
# --no-parallel: several suites are timing-sensitive (PLC polling at 5 ms, server timeouts) and Swift Testing runs
# synchronous tests on the 2-thread cooperative pool, where CPU-heavy decoding would starve them.
swift test --no-parallel "$@"
if [ $# -eq 0 ]; then
  scripts/browser-test.sh
  scripts/chaos.sh --short
  scripts/package-test.sh   # the Debian packages: units verified, installed, started as systemd would, purged (~1.5 min)
  scripts/long-run.sh --minutes 1.5  # the long run's short form: 1,800 bottles at 72,000/h, resource figures checked
  scripts/fuzz.sh --seconds 60 payload config
fi
