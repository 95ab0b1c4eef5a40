#!/usr/bin/env bash
# Writes the schema fixtures of one registrar schema version with the code of that version (docs/upgrades.md):
#   scripts/schema-fixture.sh VERSION COMMIT [--no-postgres] [--no-sqlite] [--no-outbox] [--outbox-only]
#   scripts/schema-fixture.sh v9 abc1234
# COMMIT is checked out in a separate worktree (QAZ_OLD_WORKTREE, default /tmp/qaz-old; moved from commit to commit so
# SwiftPM builds incrementally, with its own .build) and its own programs write the data:
#   - registrar-sqlite-VERSION.sqlite: the simulated plant of that commit (qazline-demo --bottles 60 --workdir DIR:
#     waybills, activations, write-offs and, as the commit had them, cases, trade and retail), plus a token issued with
#     that commit's `qazserver token issue`. Commits without qazline-demo: that commit's `qazserver serve` on SQLite fed
#     over HTTP by the seeder below.
#   - outbox-vM.sqlite: the agent outbox of a second, slower demo run killed (SIGKILL) once at least 10 activations were
#     delivered and some are still pending; named by the newest outbox migration the commit has (written only when that
#     file is missing: several registrar versions share an outbox version).
#   - registrar-postgres-VERSION.sql: that commit's `qazserver serve` on a throwaway PostgreSQL (scripts/with-postgres.sh)
#     fed by the seeder, then a plain pg_dump (commits without the PostgreSQL backend are skipped).
#   - *.tokens beside each registrar fixture: "role bin token" lines of tokens issued by that commit, for the tests to
#     check they still authenticate after the upgrade.
# Each SQLite fixture is checkpointed and copied with VACUUM INTO into one self-contained rollback-journal file.
# The version the files really have is checked against VERSION (the newest applied migration must be VERSION-…).
# Builds are niced; run one at a time on a shared machine. Add the new rows to Tests/Fixtures/schema/README.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/Tests/Fixtures/schema"
old="${QAZ_OLD_WORKTREE:-/tmp/qaz-old}"
python=python3
self="$root/scripts/schema-fixture.sh"

# Inner step, run under scripts/with-postgres.sh: serve COMMIT's qazserver on $QAZ_PG_URL, seed it, dump it.
if [ "${1:-}" = "--postgres-inner" ]; then
  version="$2" dump="$3"
  work="$(mktemp -d /tmp/qaz-fixture-pg-XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  "$self" --serve-and-seed "$work" postgres "$QAZ_PG_URL"
  pgurl="$QAZ_PG_URL"
  newest="$(psql "$pgurl" -At -c "SELECT name FROM schema_migration" | sort -V | tail -1)"
  case "$newest" in "$version"-*) ;; *) echo "schema-fixture: PostgreSQL has $newest as its newest migration, not $version-…" >&2; exit 1 ;; esac
  pg_dump --no-owner --no-privileges --no-comments "$pgurl" | grep -v '^-- Dumped \|^SET transaction_timeout' >"$dump"
  cp "$work/tokens" "${dump%.sql}.tokens"
  echo "schema-fixture: wrote $dump ($(wc -c <"$dump") bytes, newest migration $newest)" >&2
  exit 0
fi

# Inner step: `qazserver serve` of the worktree on WORK/registrar.sqlite or a PostgreSQL URL, tokens, then the seeder.
if [ "${1:-}" = "--serve-and-seed" ]; then
  work="$2" backend="$3" url="${4:-}"
  binary="$old/.build/debug/qazserver"
  producer=970101123452 producer_b=980202543215 factory=990303000012 registrar=990404000021
  write_config() {
    {
      printf 'listen:\n  host: 127.0.0.1\n  port: %s\nstorage:\n  backend: %s\n' "$1" "$backend"
      if [ "$backend" = sqlite ]; then printf '  path: registrar.sqlite\n'; else printf '  url: %s\n' "$url"; fi
      printf 'limits:\n  requestsPerSecond: 10000\n  burst: 10000\n'
      if grep -q requireApplications "$old/Sources/QazServer/ServerConfiguration.swift"; then
        printf 'trade:\n  requireApplications: false\n'
      fi
    } >"$work/server.yaml"
  }
  write_config 8080
  : >"$work/tokens"
  token() {  # token ROLE BIN: issues one and records it
    local t
    t="$("$binary" token issue --config "$work/server.yaml" --log-level error --bin "$2" --role "$1" 2>/dev/null)"
    echo "$1 $2 $t" >>"$work/tokens"
    echo "$t"
  }
  t_factory="$(token banknote-factory $factory)"
  t_producer="$(token producer $producer)"
  t_producer_b="$(token producer $producer_b)"
  token revenue-body $registrar >/dev/null
  token registrar $registrar >/dev/null
  port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  write_config "$port"
  "$binary" serve --config "$work/server.yaml" --log-level warning >"$work/server.log" 2>&1 &
  server=$!
  trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
    kill -0 $server 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.2
  done
  aggregations=no
  grep -q '/v1/aggregations:' "$old/Sources/QazAPI/openapi.yaml" && aggregations=yes
  "$python" - "http://127.0.0.1:$port" "$t_factory" "$t_producer" "$t_producer_b" "$producer" "$producer_b" "$aggregations" <<'EOF'
# The seeder: what a registrar of any version answers the same way. 60 codes to one producer and 12 to another,
# two activation batches (30 + 10 codes, an hour apart), two codes written off, and (when the version has aggregation)
# a case of 12 activated codes on a pallet.
import datetime, json, sys, urllib.request
base, t_factory, t_producer, t_producer_b, producer, producer_b, aggregations = sys.argv[1:8]
astana = datetime.timezone(datetime.timedelta(hours=5))
now = datetime.datetime.now(astana).replace(microsecond=0)
today = now.date().isoformat()

def post(token, path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as answer:
            return json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        sys.exit(f"schema-fixture: POST {path} answered {error.code}: {error.read().decode()[:500]}")

def code(prefix, i): return f"{prefix}{i:018d}"

def waybill(number, bin_, prefix, series, count):
    return {"number": number, "date": today, "issuedOn": today,
            "application": {"number": "APP-" + number, "date": today},
            "recipient": {"bin": bin_, "name": "Fixture Distillery LLP"},
            "product": {"name": "Vodka Fixture", "type": "vodka", "capacityMl": 500},
            "ranges": [{"series": series, "first": "000000001", "last": f"{count:09d}"}], "quantity": count,
            "codes": [{"code": code(prefix, i), "series": series, "number": f"{i:09d}"} for i in range(1, count + 1)]}

def batch(batch_id, codes, at):
    return {"batchId": batch_id, "lineId": "line-1", "equipmentId": "cam-1",
            "items": [{"code": c, "activatedAt": (at + datetime.timedelta(seconds=n)).isoformat(), "productCode": "DSN-0001"}
                      for n, c in enumerate(codes)]}

post(t_factory, "/v1/waybills", waybill("WB-FIX-1", producer, "QZA", "AB", 60))
post(t_factory, "/v1/waybills", waybill("WB-FIX-2", producer_b, "QZB", "AC", 12))
post(t_producer, "/v1/activations", batch("5c0f0a1e-0000-4000-8000-000000000001", [code("QZA", i) for i in range(1, 31)],
                                          now - datetime.timedelta(hours=2)))
post(t_producer, "/v1/activations", batch("5c0f0a1e-0000-4000-8000-000000000002", [code("QZA", i) for i in range(31, 41)],
                                          now - datetime.timedelta(hours=1)))
post(t_producer_b, "/v1/activations", batch("5c0f0a1e-0000-4000-8000-000000000003", [code("QZB", i) for i in range(1, 5)],
                                            now - datetime.timedelta(minutes=30)))
post(t_producer, "/v1/write-offs", {"writtenOffAt": (now - datetime.timedelta(minutes=10)).isoformat(), "reason": "damaged",
                                    "codes": [code("QZA", 41), code("QZA", 42)]})
if aggregations == "yes":
    at = now - datetime.timedelta(minutes=20)
    answer = post(t_producer, "/v1/aggregations", {"lineId": "line-1", "equipmentId": "case-packer-1", "events": [
        {"eventId": "6f1c2d3e-0000-4c6d-8e7f-000000000001", "kind": "casePacked", "unit": "048700010000000011",
         "contents": [code("QZA", i) for i in range(1, 13)], "at": at.isoformat()},
        {"eventId": "6f1c2d3e-0000-4c6d-8e7f-000000000002", "kind": "palletBuilt", "unit": "048700010000001001",
         "contents": ["048700010000000011"], "at": (at + datetime.timedelta(minutes=1)).isoformat()}]})
    if [r.get("result") for r in answer["results"]] != ["applied", "applied"]:
        sys.exit(f"schema-fixture: aggregation answered {answer}")
print("schema-fixture: seeded 2 waybills (72 codes), 3 activation batches (44 codes), 2 write-offs"
      + (", a case on a pallet" if aggregations == "yes" else ""), file=sys.stderr)
EOF
  exit 0
fi

version="${1:?usage: scripts/schema-fixture.sh VERSION COMMIT [--no-postgres] [--no-sqlite] [--no-outbox] [--outbox-only]}"
commit="${2:?usage: scripts/schema-fixture.sh VERSION COMMIT [--no-postgres] [--no-sqlite] [--no-outbox] [--outbox-only]}"
shift 2
do_postgres=yes do_sqlite=yes do_outbox=yes
for arg in "$@"; do
  case "$arg" in
    --no-postgres) do_postgres=no ;;
    --no-sqlite) do_sqlite=no ;;
    --no-outbox) do_outbox=no ;;
    --outbox-only) do_postgres=no do_sqlite=no ;;
    *) echo "schema-fixture: unknown option $arg" >&2; exit 2 ;;
  esac
done
case "$version" in v[0-9]*) ;; *) echo "schema-fixture: VERSION is vN (the registrar schema version), got $version" >&2; exit 2 ;; esac
commit="$(git -C "$root" rev-parse --verify "$commit^{commit}")"
mkdir -p "$out"

# The worktree at COMMIT (its own .build; Package.resolved from this checkout so the same dependency versions resolve).
if [ -d "$old/.git" ] || [ -f "$old/.git" ]; then
  git -C "$old" checkout -q --detach "$commit"
else
  git -C "$root" worktree add -q --detach "$old" "$commit"
fi
[ -f "$old/Package.resolved" ] || cp "$root/Package.resolved" "$old/" 2>/dev/null || true
products=(qazserver)
has_demo=no
if grep -q '"qazline-demo"' "$old/Package.swift"; then products+=(qazline-demo); has_demo=yes; fi
for product in "${products[@]}"; do
  echo "schema-fixture: building $product at ${commit:0:7} in $old" >&2
  (cd "$old" && nice -n 10 swift build --product "$product" 2>&1 | { grep -E 'error:|Compiling|Build complete' || true; } | tail -3 >&2)
  [ -x "$old/.build/debug/$product" ] || { echo "schema-fixture: $product did not build at ${commit:0:7}" >&2; exit 1; }
done

compact() {  # compact SRC DST: one self-contained rollback-journal file
  rm -f "$2"
  sqlite3 "$1" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
  sqlite3 "$1" "VACUUM INTO '$2'"
  sqlite3 "$2" 'PRAGMA journal_mode = DELETE;' >/dev/null
}
newest_migration() { sqlite3 "$1" 'SELECT identifier FROM grdb_migrations' | sort -V | tail -1; }

if [ "$do_sqlite" = yes ]; then
  work="$(mktemp -d /tmp/qaz-fixture-XXXXXX)"
  if [ "$has_demo" = yes ]; then
    echo "schema-fixture: qazline-demo --bottles 60 at ${commit:0:7}" >&2
    (cd "$work" && "$old/.build/debug/qazline-demo" --bottles 60 --workdir "$work/demo" >"$work/demo.out" 2>&1) \
      || { tail -30 "$work/demo.out" >&2; echo "schema-fixture: the demo failed (its output above)" >&2; exit 1; }
    registrar_db="$work/demo/registrar.sqlite"
    # A token issued by this commit's qazserver on the demo's file, so the tests can check it still authenticates.
    printf 'storage:\n  backend: sqlite\n  path: demo/registrar.sqlite\n' >"$work/server.yaml"
    t="$("$old/.build/debug/qazserver" token issue --config "$work/server.yaml" --log-level error --bin 990404000021 --role registrar 2>/dev/null)"
    echo "registrar 990404000021 $t" >"$work/tokens"
    grep -E 'bottles|activat|App. 10|packed|redeemed' "$work/demo.out" | head -12 >&2 || true
  else
    "$self" --serve-and-seed "$work" sqlite
    registrar_db="$work/registrar.sqlite"
  fi
  newest="$(newest_migration "$registrar_db")"
  case "$newest" in "$version"-*) ;; *) echo "schema-fixture: the registrar file has $newest as its newest migration, not $version-…" >&2; exit 1 ;; esac
  compact "$registrar_db" "$out/registrar-sqlite-$version.sqlite"
  cp "$work/tokens" "$out/registrar-sqlite-$version.tokens"
  echo "schema-fixture: wrote $out/registrar-sqlite-$version.sqlite ($(wc -c <"$out/registrar-sqlite-$version.sqlite") bytes, newest migration $newest)" >&2
  rm -rf "$work"
fi

if [ "$do_outbox" = yes ] && [ "$has_demo" = yes ]; then
  owork="$(mktemp -d /tmp/qaz-fixture-outbox-XXXXXX)"
  # The outbox from a second run killed (SIGKILL, as a power cut) while activations are still pending: the fixture
  # then holds delivered, pending and possibly open-batch rows, as an agent stopped mid-shift leaves them.
  outbox_version="$(grep -o 'registerMigration("v[0-9]*' "$old/Sources/Outbox/AgentDatabase.swift" | sed 's/.*"//' | sort -V | tail -1)"
  if [ -f "$out/outbox-$outbox_version.sqlite" ]; then
    echo "schema-fixture: outbox-$outbox_version.sqlite exists; kept" >&2
  else
    "$old/.build/debug/qazline-demo" --bottles 60 --speed 1800 --workdir "$owork/cut" >"$owork/cut.out" 2>&1 &
    cut=$!
    outbox_db="" states=""
    for _ in $(seq 1 600); do
      candidate="$(ls "$owork"/cut/outbox*.sqlite 2>/dev/null | head -1 || true)"
      if [ -n "$candidate" ]; then
        states="$(sqlite3 "$candidate" "SELECT (SELECT count(*) FROM activation WHERE state = 'delivered') || ' ' || (SELECT count(*) FROM activation WHERE state = 'pending')" 2>/dev/null || true)"
        if [ "${states%% *}" -ge 10 ] 2>/dev/null && [ "${states##* }" -ge 1 ] 2>/dev/null; then outbox_db="$candidate"; break; fi
      fi
      kill -0 $cut 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL $cut 2>/dev/null || true
    wait $cut 2>/dev/null || true
    [ -n "$outbox_db" ] || { tail -20 "$owork/cut.out" >&2; echo "schema-fixture: the cut demo run never had delivered and pending activations at once" >&2; exit 1; }
    newest="$(newest_migration "$outbox_db")"
    case "$newest" in "$outbox_version"-*) ;; *) echo "schema-fixture: the outbox has $newest, expected $outbox_version-…" >&2; exit 1 ;; esac
    compact "$outbox_db" "$out/outbox-$outbox_version.sqlite"
    echo "schema-fixture: wrote $out/outbox-$outbox_version.sqlite ($(wc -c <"$out/outbox-$outbox_version.sqlite") bytes; cut with $states delivered/pending)" >&2
  fi
  rm -rf "$owork"
elif [ "$do_outbox" = yes ]; then
  echo "schema-fixture: ${commit:0:7} has no qazline-demo; no outbox fixture" >&2
fi

if [ "$do_postgres" = yes ]; then
  if [ -f "$old/Sources/QazServer/Storage/PostgresRegistrarStore.swift" ]; then
    "$root/scripts/with-postgres.sh" "$self" --postgres-inner "$version" "$out/registrar-postgres-$version.sql"
  else
    echo "schema-fixture: ${commit:0:7} has no PostgreSQL backend; no registrar-postgres-$version.sql" >&2
  fi
fi
echo "schema-fixture: done; add the rows to $out/README.md (commit ${commit:0:7})" >&2
