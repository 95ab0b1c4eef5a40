#!/usr/bin/env bash
# The long run (docs/long-run.md): the simulated plant (qazline-demo: registrar, agent, linesim, case station, trade
# and retail steps) filling an 8-hour shift's bottles compressed. A line at 9,000 bottles/h fills 72,000 bottles in a
# shift; the demo fills them at 72,000 bottles/h (20 bottles/s), so one hour of line time is one shift. Prints the
# resource figures (RSS, outbox and registrar database sizes with their WAL, pending activations) at the start, every
# --sample-every seconds and at the end, the growth per 1,000 bottles, and checks them against the bounds below.
#
#   scripts/long-run.sh                    # one shift: 72,000 bottles in about an hour (run by hand, nice -n 5)
#   scripts/long-run.sh --minutes 1.5      # the short form CI runs (1,800 bottles, about 90 s of line time)
#   scripts/long-run.sh --hours 8          # eight compressed shifts
#   options: --bottles N (instead of hours/minutes), --speed B (bottles/h, default 72000), --dir DIR (keep the output
#            here; default a new directory under ${TMPDIR:-/tmp}), --sample-every S (seconds; default 60, 15 for runs
#            under 10 minutes), --binary PATH (a built qazline-demo), --max-rss-mib M, --max-outbox-kib M,
#            --max-registrar-kib M (bounds on peak RSS and on growth per 1,000 bottles; defaults and their reasons in
#            docs/long-run.md)
# Exits 0 when the demo reconciled and every check holds; 1 otherwise (each failed check is named); 2 on bad options.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

speed=72000
hours=""
minutes=""
bottles=""
dir=""
sample_every=""
binary=""
# Bounds (docs/long-run.md, "Bounds"): peak RSS of the whole demo process, and growth per 1,000 bottles.
max_rss_mib=""        # default: 400 MiB + 1 MiB per 1,000 bottles
max_outbox_kib=1024
max_registrar_kib=1024
while [ $# -gt 0 ]; do
  case "$1" in
    --hours) hours="$2"; shift ;;
    --minutes) minutes="$2"; shift ;;
    --bottles) bottles="$2"; shift ;;
    --speed) speed="$2"; shift ;;
    --dir) dir="$2"; shift ;;
    --sample-every) sample_every="$2"; shift ;;
    --binary) binary="$2"; shift ;;
    --max-rss-mib) max_rss_mib="$2"; shift ;;
    --max-outbox-kib) max_outbox_kib="$2"; shift ;;
    --max-registrar-kib) max_registrar_kib="$2"; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "long-run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Bottles from --bottles, --minutes or --hours (default one hour) at --speed.
bottles=$(python3 - "$speed" "${hours}" "${minutes}" "${bottles}" <<'EOF'
import sys
speed, hours, minutes, bottles = sys.argv[1:]
try:
    speed = float(speed)
    if bottles:
        n = int(bottles)
    elif minutes:
        n = round(speed * float(minutes) / 60)
    else:
        n = round(speed * float(hours or 1))
except ValueError as error:
    sys.exit(f"long-run.sh: --speed, --hours, --minutes and --bottles take numbers ({error})")
if n < 1:
    sys.exit("long-run.sh: that is fewer than one bottle: give --bottles, --minutes or --hours above 0")
print(n)
EOF
) || exit 2
seconds=$(python3 -c "print(round($bottles * 3600 / $speed))")
[ -n "$max_rss_mib" ] || max_rss_mib=$(( 400 + bottles / 1000 ))
if [ -z "$sample_every" ]; then
  if [ "$seconds" -lt 600 ]; then sample_every=15; else sample_every=60; fi
fi

if [ -z "$binary" ]; then
  binary=.build/debug/qazline-demo
  [ -x "$binary" ] || swift build --product qazline-demo >&2
fi
[ -x "$binary" ] || { echo "long-run.sh: no qazline-demo at $binary (swift build --product qazline-demo)" >&2; exit 2; }
if [ -z "$dir" ]; then dir="$(mktemp -d "${TMPDIR:-/tmp}/qazline-long-run.XXXXXX")"; fi
mkdir -p "$dir"
rm -rf "$dir/work"

echo "long-run: $bottles bottles at $speed bottles/h (about $seconds s of line time), samples every $sample_every s; output in $dir" >&2
echo "long-run: machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%M:%SZ)" >&2
status=0
"$binary" --bottles "$bottles" --speed "$speed" --sample-every "$sample_every" --workdir "$dir/work" \
  --summary-json "$dir/summary.json" >"$dir/demo.out" 2>"$dir/demo.err" || status=$?
grep '^demo: resources' "$dir/demo.err" >&2 || true
sed -n '/^  resources/,/growth per/p' "$dir/demo.out"
echo "long-run: the demo exited $status; machine load now $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# At rest: each database checkpointed into its main file (the demo has exited), and its largest tables and indexes.
if command -v sqlite3 >/dev/null && [ -f "$dir/work/outbox.sqlite" ]; then
  for db in outbox registrar; do
    file="$dir/work/$db.sqlite"
    [ -f "$file" ] || continue
    sqlite3 "$file" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null 2>&1 || true
    echo "long-run: $db at rest (checkpointed): $(stat -c %s "$file") bytes; largest tables and indexes (KiB, rows or entries):" >&2
    sqlite3 -separator ' ' "$file" "SELECT '  ', name, SUM(pgsize) / 1024, SUM(CASE WHEN pagetype = 'leaf' THEN ncell ELSE 0 END) FROM dbstat GROUP BY name ORDER BY SUM(pgsize) DESC LIMIT 8" >&2 2>/dev/null \
      || echo "  (this sqlite3 has no dbstat)" >&2
  done
fi
[ -s "$dir/summary.json" ] || { echo "long-run: no summary (see $dir/demo.err)" >&2; tail -20 "$dir/demo.err" >&2; exit 1; }

python3 - "$dir/summary.json" "$status" "$bottles" "$max_rss_mib" "$max_outbox_kib" "$max_registrar_kib" "$sample_every" "$seconds" <<'EOF'
import json, sys
path, status, bottles, max_rss, max_outbox, max_registrar, every, seconds = sys.argv[1:]
summary = json.load(open(path))
r = summary.get("resources")
failures = []
def check(holds, what):
    print(f"long-run: {'ok  ' if holds else 'FAIL'} {what}")
    if not holds:
        failures.append(what)
# The demo's reconciliation: every bottle, activation and registrar total must hold. The case station's timing checks
# (a case decided in time) only warn here: its simulated case camera renders each case's frame on the CPU, which a
# debug build on a machine shared with other work cannot always do at 72,000 bottles/h (docs/long-run.md).
failed = sorted(name for name, holds in summary["checks"].items() if not holds)
timing = {"cases: case rejects late/missed = 0", "cases: no good case rejected"}
for name in failed:
    if name in timing:
        print(f"long-run: WARN the demo's check '{name}' failed (the case camera's frames came late: see the summary in demo.out)")
check(not [name for name in failed if name not in timing],
      "the demo reconciled bottles, activations, the registrar and the cases" + (f" (failed: {', '.join(failed)})" if failed else ""))
if r is None:
    check(False, "the summary holds the resource figures")
else:
    start, end, g = r["start"], r["end"], r["growthPer1000Bottles"]
    check(start["rssKiB"] > 0 and end["rssKiB"] > 0 and start["registrarBytes"] > 0 and end["outboxBytes"] > 0,
          "start and end figures were read (RSS, outbox and registrar files above 0)")
    check(end["bottles"] == int(bottles), f"bottles decided at the end = {bottles} (got {end['bottles']})")
    # One periodic sample per --sample-every of line time, less the first and last partial ones.
    expected = max(0, int(float(seconds) // float(every)) - 1)
    check(len(r["samples"]) >= expected, f"periodic samples printed: {len(r['samples'])} (at least {expected})")
    check(end["outboxPending"] == 0, f"outbox drained: {end['outboxPending']} pending at the end")
    peak = end["peakRSSKiB"] / 1024
    check(peak < float(max_rss), f"peak RSS {peak:.1f} MiB < {max_rss} MiB")
    # Main file + WAL: besides the data, each write-ahead log grows once to about its checkpoint size (SQLite's
    # wal_autocheckpoint of 1,000 pages of 4 KiB, plus the last commit) and is then reused, so a run of k thousand
    # bottles is allowed 4.5 MiB / k per 1,000 bottles on top of the data bound.
    thousands = max(1, end["bottles"] - start["bottles"]) / 1000
    wal = 4.5 * 1024 / thousands
    check(g["outboxBytes"] / 1024 < float(max_outbox) + wal,
          f"outbox growth {g['outboxBytes'] / 1024:.1f} KiB per 1,000 bottles < {max_outbox} KiB + WAL allowance {wal:.0f} KiB")
    check(g["registrarBytes"] / 1024 < float(max_registrar) + wal,
          f"registrar growth {g['registrarBytes'] / 1024:.1f} KiB per 1,000 bottles < {max_registrar} KiB + WAL allowance {wal:.0f} KiB")
    print(f"long-run: RSS {start['rssKiB'] / 1024:.1f} → {end['rssKiB'] / 1024:.1f} MiB (peak {peak:.1f}), "
          f"{g['rssKiB']:+.1f} KiB per 1,000 bottles; outbox {start['outboxBytes'] / 1048576:.2f} → {end['outboxBytes'] / 1048576:.2f} MiB; "
          f"registrar {start['registrarBytes'] / 1048576:.2f} → {end['registrarBytes'] / 1048576:.2f} MiB; "
          f"{end['bottles']} bottles in {end['seconds']:.0f} s")
sys.exit(1 if failures else 0)
EOF
