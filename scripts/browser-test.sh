#!/usr/bin/env bash
# Browser tests of the consoles (Tests/Browser/console_test.py) and of the consumer's stamp-check page
# (Tests/Browser/verify_test.py): starts the simulated plant (qazline-demo --hold, with many unreadable caps so that
# alarms come) and drives Debian's Chromium through Selenium against its consoles and its registrar.
#   scripts/browser-test.sh                       run the tests
#   scripts/browser-test.sh --screenshots DIR     …and save every page (desktop and 1280x800) into DIR
# Expects scripts/setup.sh to have run (chromium, chromium-driver, selenium in .venv) and the debug build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/.venv/bin:$PATH"
demo=.build/debug/qazline-demo
[ -x "$demo" ] || swift build --product qazline-demo
work=$(mktemp -d /tmp/qazline-browser.XXXXXX)
password="browser-$(date +%s)"
"$demo" --bottles 20000 --speed 36000 --unreadable 0.35 --console-password "$password" --workdir "$work" --hold \
  >"$work/demo.out" 2>"$work/demo.err" &
pid=$!
cleanup() { kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  grep -q '^console: ' "$work/demo.out" && break
  kill -0 "$pid" 2>/dev/null || { echo "browser-test: the demo stopped:" >&2; cat "$work/demo.err" >&2; exit 1; }
  sleep 0.5
done
url=$(sed -n 's/^console: //p' "$work/demo.out" | head -1)
[ -n "$url" ] || { echo "browser-test: the demo printed no console address" >&2; exit 1; }
registrar=$(sed -n 's/^registrar console: //p' "$work/demo.out" | head -1)
token=$(sed -n 's/^registrar console token: //p' "$work/demo.out" | head -1)
echo "browser-test: line console at $url, registrar console at $registrar" >&2
status=0
python Tests/Browser/console_test.py --url "$url" --password "$password" --workdir "$work" --demo-pid "$pid" \
  --registrar-url "$registrar" --registrar-token "$token" "$@" || status=$?
python Tests/Browser/verify_test.py --registrar-url "$registrar" --workdir "$work" "$@" || status=$?
exit "$status"
