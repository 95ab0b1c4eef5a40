#!/usr/bin/env bash
# Runs every test: installs what is missing (scripts/setup.sh), builds, and runs `swift test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
swift build --build-tests
# --no-parallel: several suites are timing-sensitive (PLC polling at 5 ms, server timeouts) and Swift Testing runs
# synchronous tests on the 2-thread cooperative pool, where CPU-heavy decoding would starve them.
swift test --no-parallel "$@"
