#!/usr/bin/env bash
# Tests the Debian packages on this machine (as root): builds them (from the debug build by default), checks the
# units with `systemd-analyze verify` and `systemd-analyze security --offline`, installs both with `dpkg -i`, checks
# files, owners, modes, conffiles and the user, then starts each service exactly as its unit's ExecStart says, as its
# user, with a NOTIFY_SOCKET this test listens on (packaging/test/run-as-unit.py): the registrar with the installed
# example configuration plus an issued token, the agent with the installed example configuration edited as an
# installer would (a simulated camera, `linesim` as the PLC, the registrar above). Each must send READY=1, then two
# WATCHDOG=1 at half WATCHDOG_USEC, then STOPPING=1 on SIGTERM and exit 0. Finally both packages are purged and the
# user removed (when this test created it), leaving the machine as it was. Any miss fails the script.
#
#   scripts/package-test.sh [--release] [--keep] [--watchdog-usec N]
#
#   --release          test the release packages (swift build -c release --static-swift-stdlib: a long compile)
#   --keep             leave the packages installed (and the test's edits in /etc/qazline) for a look
#   --watchdog-usec N  WATCHDOG_USEC given to the services (default 4000000: pings every 2 s; the units' 30 s
#                      would make the test wait a minute per service)
#
# PID 1 is not systemd in CI containers, so systemctl cannot start the units here; this runs what systemd would run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

configuration=--debug
keep=0
watchdog_usec=4000000
while [ $# -gt 0 ]; do
  case "$1" in
    --release) configuration=--release ;;
    --debug) configuration=--debug ;;
    --keep) keep=1 ;;
    --watchdog-usec) watchdog_usec="${2:?}"; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "package-test.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

fail() { echo "package-test.sh: FAIL: $*" >&2; exit 1; }
step() { echo "== [$((SECONDS - started)) s] $*"; }
started=$SECONDS

[ "$(id -u)" = 0 ] || fail "run as root: it installs packages with dpkg -i and starts the services as the user qazline"
for tool in dpkg-deb systemd-analyze python3 curl setpriv; do
  command -v "$tool" >/dev/null || fail "$tool is missing"
done
for package in qazline-agent qazline-registrar; do
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "installed"; then
    fail "$package is installed on this machine; this test installs and purges its own build, so it stops here (dpkg --purge $package first if it is a test leftover)"
  fi
done
[ -e /etc/qazline ] && fail "/etc/qazline exists; this test would overwrite it (remove it first if it is a test leftover)"
[ -e /var/lib/qazline ] && fail "/var/lib/qazline exists; this test would purge it (remove it first if it is a test leftover)"
user_existed=0
getent passwd qazline >/dev/null && user_existed=1

work="$(mktemp -d "${TMPDIR:-/tmp}/qazline-package-test.XXXXXX")"
linesim_pid=""
cleanup() {
  local status=$?
  [ -n "$linesim_pid" ] && kill "$linesim_pid" 2>/dev/null && wait "$linesim_pid" 2>/dev/null || true
  if [ "$keep" = 0 ]; then
    dpkg --purge qazline-agent qazline-registrar >/dev/null 2>&1 || true
    rm -f /etc/qazline/agent.token
    rmdir /etc/qazline 2>/dev/null || true
    [ "$user_existed" = 0 ] && getent passwd qazline >/dev/null && { deluser --system qazline >/dev/null 2>&1 || userdel qazline; }
    getent group qazline >/dev/null && [ "$user_existed" = 0 ] && { delgroup --system qazline >/dev/null 2>&1 || groupdel qazline 2>/dev/null || true; }
    for leftover in /etc/qazline /var/lib/qazline /lib/systemd/system/qazline-agent.service /lib/systemd/system/qazline-registrar.service; do
      [ -e "$leftover" ] && { echo "package-test.sh: FAIL: $leftover is left after the purge" >&2; status=1; }
    done
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

step "building the packages (scripts/package.sh $configuration)"
build_started=$SECONDS
scripts/package.sh "$configuration" --out "$work/dist" --version 0.0.0~test
echo "   packages built in $((SECONDS - build_started)) s"
agent_deb="$(ls "$work"/dist/qazline-agent_*.deb)"
registrar_deb="$(ls "$work"/dist/qazline-registrar_*.deb)"
for deb in "$agent_deb" "$registrar_deb"; do
  dpkg-deb --info "$deb" | grep -E '^ (Package|Version|Depends|Installed-Size):'
done

step "installing: dpkg -i"
dpkg -i "$registrar_deb" "$agent_deb" || fail "dpkg -i failed (missing dependencies? see above)"
for package in qazline-agent qazline-registrar; do
  dpkg-query -W -f='${Status}\n' "$package" | grep -qx "install ok installed" || fail "$package is not 'install ok installed'"
done

step "systemd-analyze verify (installed units)"
for unit in qazline-registrar qazline-agent; do
  path=/lib/systemd/system/$unit.service
  if ! output="$(systemd-analyze verify "$path" 2>&1)"; then fail "systemd-analyze verify $path: $output"; fi
  if echo "$output" | grep -q "$unit"; then fail "systemd-analyze verify $path warns: $output"; fi
  exposure="$(systemd-analyze security --offline=true "$path" 2>/dev/null | sed -n 's/.*Overall exposure level.*: \([0-9.]*\) .*/\1/p')"
  echo "   $unit.service: verify clean; systemd-analyze security exposure $exposure (0 = most protected, 10 = none)"
  awk -v e="$exposure" 'BEGIN { exit !(e != "" && e + 0 <= 3.0) }' || fail "$unit.service: exposure $exposure, expected at most 3.0"
done

step "files, owners, modes, conffiles, user"
expect_stat() {  # PATH MODE OWNER GROUP
  local actual
  actual="$(stat -c '%a %U %G' "$1" 2>/dev/null)" || fail "$1 is missing"
  [ "$actual" = "$2 $3 $4" ] || fail "$1: mode/owner/group $actual, expected $2 $3 $4"
}
expect_stat /usr/bin/lineagent 755 root root
expect_stat /usr/bin/qazserver 755 root root
expect_stat /lib/systemd/system/qazline-agent.service 644 root root
expect_stat /lib/systemd/system/qazline-registrar.service 644 root root
expect_stat /etc/qazline/agent.yaml 640 root qazline
expect_stat /etc/qazline/registrar.yaml 640 root qazline
expect_stat /etc/qazline/calibration/line1-top.yaml 644 root root
expect_stat /var/lib/qazline 755 root root
expect_stat /var/lib/qazline/agent 750 qazline qazline
expect_stat /var/lib/qazline/registrar 750 qazline qazline
for file in /usr/share/doc/qazline-agent/packages.md /usr/share/doc/qazline-registrar/packages.md; do [ -f "$file" ] || fail "$file is missing"; done
conffiles="$(dpkg-query -W -f='${Conffiles}\n' qazline-agent qazline-registrar | awk 'NF { print $1 }' | sort | tr '\n' ' ')"
[ "$conffiles" = "/etc/qazline/agent.yaml /etc/qazline/calibration/line1-top.yaml /etc/qazline/registrar.yaml " ] \
  || fail "conffiles are: $conffiles"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd qazline)
[ "$uid" -lt 1000 ] || fail "qazline has uid $uid: not a system user"
[ "$home" = /var/lib/qazline ] && [ "$shell" = /usr/sbin/nologin ] || fail "qazline: home $home, shell $shell"
for group in video dialout; do
  if getent group "$group" >/dev/null; then id -nG qazline | tr ' ' '\n' | grep -qx "$group" || fail "qazline is not in the group $group"; fi
done
echo "   binaries, units, configurations (root:qazline 0640), state directories (qazline 0750), conffiles and the user are as expected"
for check in "qazserver check-config /etc/qazline/registrar.yaml" "lineagent check-config /etc/qazline/agent.yaml"; do
  runuser -u qazline -- /usr/bin/$check >"$work/check.log" 2>&1 || { cat "$work/check.log"; fail "the installed example does not pass: $check"; }
done
echo "   the installed example configurations pass check-config as they are"

step "configuring as an installer would: a free port, a producer token, the agent's camera, PLC and registrar"
read -r registrar_port agent_port plc_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
python3 - "$registrar_port" "$agent_port" "$plc_port" <<'EDIT'
import re, sys
registrar_port, agent_port, plc_port = sys.argv[1:]
def edit(path, replacements):
    text = open(path).read()
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text, count=1, flags=re.M)
        if count != 1:
            sys.exit(f"package-test.sh: FAIL: {path}: no match for {pattern!r} (did the example change?)")
    open(path, "w").write(text)
edit("/etc/qazline/registrar.yaml", [(r"^(listen:\n  host: 127\.0\.0\.1 .*\n  port: )8080", r"\g<1>" + registrar_port)])
edit("/etc/qazline/agent.yaml", [
    (r"kind: genicam .*\n\s*deviceID: .*", "kind: synthetic        # package-test: generated frames instead of a camera"),
    (r"host: 192\.0\.2\.10 ", "host: 127.0.0.1 "), (r"port: 502 ", f"port: {plc_port} "),
    (r"url: https://registrar\.example\.kz ", f"url: http://127.0.0.1:{registrar_port} "),
    (r"port: 9464 ", f"port: {agent_port} "),
])
EDIT
runuser -u qazline -- /usr/bin/qazserver check-config /etc/qazline/registrar.yaml >/dev/null \
  || fail "qazserver check-config /etc/qazline/registrar.yaml failed"
token="$(cd /var/lib/qazline/registrar && runuser -u qazline -- /usr/bin/qazserver token issue --config /etc/qazline/registrar.yaml \
  --bin 980515400019 --role producer --name "Example Distillery LLP" 2>/dev/null)" || fail "qazserver token issue failed"
install -m 0600 -o qazline -g qazline /dev/null /etc/qazline/agent.token
echo "$token" > /etc/qazline/agent.token
runuser -u qazline -- /usr/bin/lineagent check-config /etc/qazline/agent.yaml >/dev/null \
  || { runuser -u qazline -- /usr/bin/lineagent check-config /etc/qazline/agent.yaml; fail "lineagent check-config /etc/qazline/agent.yaml failed"; }
echo "   registrar on 127.0.0.1:$registrar_port, agent endpoint on :$agent_port, linesim (the PLC) on :$plc_port"

bin="$(swift build $([ "$configuration" = --release ] && echo "-c release --static-swift-stdlib") --show-bin-path)"
"$bin/linesim" --config /etc/qazline/agent.yaml --line line1 --port "$plc_port" --speed 7200 >"$work/linesim.log" 2>&1 &
linesim_pid=$!

step "starting the units' ExecStart as qazline with NOTIFY_SOCKET and WATCHDOG_USEC=$watchdog_usec"
python3 packaging/test/run-as-unit.py --watchdog-usec "$watchdog_usec" --pings 2 \
  --while-up "curl -fsS http://127.0.0.1:$registrar_port/ready && echo && curl -fsS http://127.0.0.1:$agent_port/health && echo \
              && curl -fsS http://127.0.0.1:$agent_port/status | python3 -c 'import json,sys; s=json.load(sys.stdin); l=s[\"lines\"][0]; print(\"   agent status: line\", l[\"id\"], \"PLC\", l[\"plcLink\"], \"bottles decided\", l[\"bottles\"])'" \
  /lib/systemd/system/qazline-registrar.service /lib/systemd/system/qazline-agent.service \
  || fail "a service did not start, notify or stop as its unit expects (see above)"

step "done: packages built, verified, installed, started as their units and purged; $((SECONDS - started)) s in all"
