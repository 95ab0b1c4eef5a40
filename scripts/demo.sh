#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the example line.
# (Until the simulated line lands, this checks the example configuration and prints the agent's plan.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
swift build --product lineagent
swift build --product qazserver
.build/debug/lineagent check-config Config/agent.example.yaml
.build/debug/qazserver check-config Config/server.example.yaml
