#!/usr/bin/env bash
# Runs every test: installs what is missing (scripts/setup.sh), builds, and runs `swift test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
swift build --build-tests
swift test "$@"
