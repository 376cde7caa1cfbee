#!/usr/bin/env bash
# Usage: bench/gen_data.sh DB SIZE_MB
# Fills database DB (must exist; libpq env vars PGHOST/PGPORT/PGUSER select the server)
# with realistic orders from bench/gen_data.sql until pg_database_size reaches SIZE_MB.
set -euo pipefail

DB="${1:?usage: gen_data.sh DB SIZE_MB}"
SIZE_MB="${2:?usage: gen_data.sh DB SIZE_MB}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PSQL="${PG_BIN:-/usr/lib/postgresql/15/bin}/psql"
q() { PGDATABASE="$DB" "$PSQL" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

target=$((SIZE_MB * 1024 * 1024))
q -f "$HERE/gen_data.sql"
size() { q -c "select pg_database_size(current_database())"; }

start_size="$(size)"
batch=20000
q -c "select bench_fill($batch)" >/dev/null
now="$(size)"
per_row=$(( (now - start_size) / batch ))
[ "$per_row" -gt 0 ] || per_row=500
while [ "$now" -lt "$target" ]; do
  rows=$(( (target - now) / per_row + 1 ))
  [ "$rows" -le 200000 ] || rows=200000
  [ "$rows" -ge 1000 ] || rows=1000
  q -c "select bench_fill($rows)" >/dev/null
  now="$(size)"
  printf '    %s: %d MB of %d MB\n' "$DB" $((now / 1048576)) "$SIZE_MB"
done
q -c "vacuum analyze" >/dev/null
