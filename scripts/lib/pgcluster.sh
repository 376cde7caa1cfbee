# Throwaway PostgreSQL 15 cluster for scripts (demo, bench). Source it, then:
#   pgc_start DIR     initdb + start in DIR on a free loopback port (as postgres when root);
#                     exports PGHOST=127.0.0.1 PGPORT PGUSER=postgres
#   pgc_stop          fast stop (safe to call twice; put it in an EXIT trap)
#   pgc_psql DB ...   psql -X -v ON_ERROR_STOP=1 against DB (extra args passed on)
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PGC_DIR=""

pgc_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pgc_as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pgc_start() {
  local dir="$1" port tries=0
  PGC_DIR="$dir/pg"
  chmod 755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    install -d -o postgres -g postgres -m 0700 "$PGC_DIR"
  else
    install -d -m 0700 "$PGC_DIR"
  fi
  pgc_as_pg "$PG_BIN/initdb" -D "$PGC_DIR/data" -A trust -U postgres -E UTF8 \
    --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  while :; do
    port="$(pgc_free_port)"
    if pgc_as_pg "$PG_BIN/pg_ctl" -D "$PGC_DIR/data" -l "$PGC_DIR/server.log" -w -t 60 \
         -o "-p $port -k $PGC_DIR -c listen_addresses=127.0.0.1 -c fsync=off ${PGC_EXTRA_OPTS:-}" \
         start >/dev/null; then
      break
    fi
    tries=$((tries + 1))
    if [ "$tries" -ge 3 ]; then tail -20 "$PGC_DIR/server.log" >&2; return 1; fi
  done
  export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=postgres
  unset PGDATABASE PGPASSWORD PGSERVICE
}

pgc_stop() {
  if [ -n "$PGC_DIR" ] && [ -f "$PGC_DIR/data/postmaster.pid" ]; then
    pgc_as_pg "$PG_BIN/pg_ctl" -D "$PGC_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  PGC_DIR=""
}

pgc_psql() {
  local db="$1"; shift
  PGDATABASE="$db" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"
}
