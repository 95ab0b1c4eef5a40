#!/usr/bin/env bash
# The fault-injection run (docs/chaos.md): linesim with its vision watchdog, the agent and the registrar as processes,
# the agent's traffic through scripts/faultproxy.py, kill -9 of both at random bottles, link cuts; then the outbox,
# the registrar and linesim are reconciled. Exit 0 reconciled, 1 a mismatch (printed), 2 the run itself failed.
#
#   scripts/chaos.sh --short                 # the CI form: 1,500 bottles, 4 agent kills, 2 registrar kills, 1 cut
#   scripts/chaos.sh --release --bottles 20000 --agent-kills 20 --server-kills 5 --cuts 2 --cut-seconds 120
#   options: --release (build and run the release binaries), then any `chaos run` option (chaos run --help)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
configuration=debug
if [ "${1:-}" = "--release" ]; then configuration=release; shift; fi
command -v python3 >/dev/null || { echo "chaos.sh: python3 is missing: run scripts/setup.sh" >&2; exit 2; }
swift build -c "$configuration" --product qazserver >&2
swift build -c "$configuration" --product chaos >&2
bin="$(swift build -c "$configuration" --show-bin-path)"
exec "$bin/chaos" run "$@"
