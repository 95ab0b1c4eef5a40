#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs a complete simulated line on embedded defaults:
# linesim as the PLC (Modbus TCP on loopback), generated cap frames as a triggered camera (with unreadable, damaged,
# duplicate and foreign caps mixed in), the line agent, and the registrar on SQLite. Ends with a reconciled summary
# (exit 1 if any total does not reconcile). Arguments go to `qazline-demo`, the simulated plant's own program
# (`lineagent demo` runs it too), e.g. --bottles 5000 --speed 72000.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
swift build --product lineagent
swift build --product qazline-demo
.build/debug/lineagent check-config Config/agent.example.yaml > /dev/null
exec .build/debug/qazline-demo "$@"
