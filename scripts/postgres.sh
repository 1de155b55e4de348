#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on 127.0.0.1 for the server tests (like scripts/k8s.sh).
#
#   scripts/postgres.sh start     # initdb in a temp folder, start on $PG_PORT (default 15432); prints the URL
#   scripts/postgres.sh stop      # stop it and delete its data folder
#   scripts/postgres.sh restart   # stop and start the same cluster, keeping its data (fault tests)
#   scripts/postgres.sh status    # prints the URL and exits 0 when it accepts connections
#
# initdb refuses to run as root: as root the cluster runs as the `postgres` user. Trust authentication,
# listening on 127.0.0.1 only; the data folder is $PG_DIR (default /tmp/reign-pg-$PG_PORT).
set -euo pipefail
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PG_PORT=${PG_PORT:-15432}
PG_DIR=${PG_DIR:-/tmp/reign-pg-$PG_PORT}
URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
[ -x "$PG_BIN/initdb" ] || { echo "postgres.sh: PostgreSQL binaries not found (apt-get install -y postgresql)" >&2; exit 2; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ready() { as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres -U postgres; }

start() {
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync >"$PG_DIR/initdb.log" 2>&1 \
      || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
  fi
  ready 2>/dev/null || as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
    || { tail -20 "$PG_DIR/server.log" >&2; exit 1; }
  echo "$URL"
}

stop() {
  [ -f "$PG_DIR/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  [ "${1:-}" = --keep ] || rm -rf "$PG_DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop --keep; start ;;
  status) ready && echo "$URL" ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
