#!/bin/sh
# Runs a command with a throwaway PostgreSQL server: initdb in a temporary directory, pg_ctl on a free loopback port,
# QAZ_PG_URL=postgres://postgres@127.0.0.1:PORT/qaz exported to the command; the server is stopped and the directory
# removed afterwards (also on failure or Ctrl-C). As root, initdb/pg_ctl run as the postgres user (initdb refuses root).
#   scripts/with-postgres.sh swift run -c release --scratch-path .build-api ReportBench --postgres-url '$QAZ_PG_URL'
set -eu
PGBIN=${QAZ_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PGBIN/initdb" ] || { echo "with-postgres: PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2; exit 1; }
DIR=$(mktemp -d /tmp/qaz-pg-XXXXXX)
AS=""
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; AS="runuser -u postgres --"; fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { $AS "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT INT TERM
(cd /tmp && $AS "$PGBIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null)
(cd /tmp && $AS "$PGBIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/server.log" \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DIR -c max_connections=100 -c shared_buffers=256MB" start >/dev/null)
"$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -q -c "CREATE DATABASE qaz"
export QAZ_PG_URL="postgres://postgres@127.0.0.1:$PORT/qaz"
echo "with-postgres: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') at $QAZ_PG_URL" >&2
# Expand $QAZ_PG_URL inside the arguments (pass it quoted: '$QAZ_PG_URL').
set -- $(for a in "$@"; do printf '%s\n' "$a" | sed "s|\$QAZ_PG_URL|$QAZ_PG_URL|g"; done)
"$@"
