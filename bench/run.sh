#!/usr/bin/env bash
# Usage: bench/run.sh [SIZE_MB]   (default 500)
#
# Measures, side by side in one run against the same local s3rver and the same
# throwaway PostgreSQL 15 cluster holding a realistic database of SIZE_MB:
#   1. bare      pg_dump -Fc -Z0 > /dev/null                          (the ceiling)
#   2. classic   pg_dump -Fc -f file; aws s3 cp file s3://...         (the old tool's way)
#   3. hand      pg_dump -Fc -Z0 | zstd -3 -T2 | aws s3 cp - s3://... (best shell one-liner)
#   4. bb        backupbuddy backup to the same s3rver
# and prints seconds, stored sizes, ratios and backupbuddy's peak RSS.
# Env: BB (binary, default build/backupbuddy), KEEP=1 (keep the temp folder),
#      BB_LEVEL (backupbuddy's compression_level, default: the binary's default),
#      BB_PRUNE=1 (time `backup` with its retention pass; default `backup --no-prune`, since
#      the other three methods do not prune and s3rver lacks calls a prune may use).
set -euo pipefail

SIZE_MB="${1:-500}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../scripts/lib/pgcluster.sh
. "$ROOT/scripts/lib/pgcluster.sh"
BB="${BB:-$ROOT/build/backupbuddy}"
AWS=/usr/bin/aws
S3RVER="$ROOT/tests/tools/node_modules/.bin/s3rver"
say() { printf '==> %s\n' "$*"; }

if [ ! -x "$S3RVER" ] || [ ! -x "$AWS" ] || [ ! -x /usr/bin/time ]; then
  say "Installing dependencies"
  "$ROOT/scripts/install-deps.sh"
fi
if [ ! -x "$BB" ]; then
  say "Building backupbuddy"
  "$ROOT/scripts/build.sh" >/dev/null
fi

WORK="$(mktemp -d /tmp/backupbuddy-bench.XXXXXX)"
S3PID=""
cleanup() {
  [ -z "$S3PID" ] || kill "$S3PID" 2>/dev/null || true
  pgc_stop
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

say "Starting a throwaway PostgreSQL 15 cluster in $WORK"
pgc_start "$WORK"
say "Generating a realistic ${SIZE_MB} MB database \"bench\" (bench/gen_data.sql)"
"$PG_BIN/createdb" bench
t0=$(date +%s)
"$ROOT/bench/gen_data.sh" bench "$SIZE_MB"
DB_BYTES="$(pgc_psql bench -At -c "select pg_database_size('bench')")"
say "Database ready: $((DB_BYTES / 1048576)) MB in $(( $(date +%s) - t0 )) s"

say "Starting s3rver (no proxy) on loopback"
S3PORT="$(pgc_free_port)"
mkdir -p "$WORK/s3"
NODE_OPTIONS=--openssl-legacy-provider "$S3RVER" -d "$WORK/s3" -a 127.0.0.1 -p "$S3PORT" \
  --configure-bucket bench -s >"$WORK/s3rver.log" 2>&1 &
S3PID=$!
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$S3PORT") 2>/dev/null; then break; fi
  sleep 0.1
done
ENDPOINT="http://127.0.0.1:$S3PORT"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 \
       AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""
aws3() { "$AWS" --endpoint-url "$ENDPOINT" --only-show-errors "$@"; }
s3size() { "$AWS" --endpoint-url "$ENDPOINT" s3api head-object --bucket bench --key "$1" \
             --query ContentLength --output text; }

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

say "Warm-up: one untimed pg_dump so every run reads from the page cache"
"$PG_BIN/pg_dump" -d bench -Fc -Z0 | wc -c >"$WORK/raw.bytes"
RAW_BYTES="$(cat "$WORK/raw.bytes")"

say "1/4 bare: pg_dump -Fc -Z0 > /dev/null"
t=$(now)
/usr/bin/time -v -o "$WORK/bare.time" "$PG_BIN/pg_dump" -d bench -Fc -Z0 >/dev/null
T_BARE=$(secs "$t" "$(now)")
PGDUMP_RSS_KB="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/bare.time")"

say "2/4 classic: pg_dump -Fc -f file, then aws s3 cp file s3://bench/classic/"
t=$(now)
"$PG_BIN/pg_dump" -d bench -Fc -f "$WORK/classic.dump"
aws3 s3 cp "$WORK/classic.dump" s3://bench/classic/bench.dump
T_CLASSIC=$(secs "$t" "$(now)")
S_CLASSIC="$(s3size classic/bench.dump)"
rm -f "$WORK/classic.dump"

say "3/4 hand pipeline: pg_dump -Fc -Z0 | zstd -3 -T2 | aws s3 cp - s3://bench/hand/"
t=$(now)
"$PG_BIN/pg_dump" -d bench -Fc -Z0 | zstd -3 -T2 -q | aws3 s3 cp - s3://bench/hand/bench.dump.zst
T_HAND=$(secs "$t" "$(now)")
S_HAND="$(s3size hand/bench.dump.zst)"

BB_ARGS=(backup --json)
[ "${BB_PRUNE:-0}" = 1 ] || BB_ARGS+=(--no-prune)
say "4/4 backupbuddy ${BB_ARGS[*]} -> s3rver"
cat >"$WORK/bb.toml" <<EOF
[postgres]
host = "127.0.0.1"
port = $PGPORT
user = "postgres"

[storage]
type = "s3"
endpoint = "$ENDPOINT"
region = "us-east-1"
bucket = "bench"
prefix = "bb/"
access_key_id = "S3RVER"
secret_access_key = "S3RVER"
path_style = true

[backup]
state_dir = "$WORK/state"
${BB_LEVEL:+compression_level = $BB_LEVEL}

[[databases]]
name = "bench"
EOF
t=$(now)
if ! /usr/bin/time -v -o "$WORK/bb.time" "$BB" -c "$WORK/bb.toml" "${BB_ARGS[@]}" \
       >"$WORK/bb.json" 2>"$WORK/bb.err"; then
  echo "backupbuddy backup failed:" >&2
  cat "$WORK/bb.err" "$WORK/bb.json" >&2
  exit 1
fi
T_BB=$(secs "$t" "$(now)")
BB_RSS_KB="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/bb.time")"
S_BB="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["stored_bytes"])' "$WORK/bb.json")"

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3fx", a / b; else print "-" }'; }

echo
echo "BackupBuddy benchmark: database $((DB_BYTES / 1048576)) MB on disk, pg_dump -Z0 stream $(mb "$RAW_BYTES"), $(nproc) CPUs"
printf '%-34s %9s %14s %12s %12s\n' "method" "seconds" "stored" "time/classic" "time/hand"
printf '%-34s %9s %14s %12s %12s\n' "bare pg_dump -Fc -Z0 > /dev/null" "$T_BARE" "-" \
  "$(ratio "$T_BARE" "$T_CLASSIC")" "$(ratio "$T_BARE" "$T_HAND")"
printf '%-34s %9s %14s %12s %12s\n' "classic pg_dump -Fc + aws s3 cp" "$T_CLASSIC" "$(mb "$S_CLASSIC")" \
  "1.00x" "$(ratio "$T_CLASSIC" "$T_HAND")"
printf '%-34s %9s %14s %12s %12s\n' "hand pg_dump|zstd -3 -T2|aws cp -" "$T_HAND" "$(mb "$S_HAND")" \
  "$(ratio "$T_HAND" "$T_CLASSIC")" "1.00x"
printf '%-34s %9s %14s %12s %12s\n' "backupbuddy backup${BB_ARGS[2]:+ ${BB_ARGS[2]}}" "$T_BB" "$(mb "$S_BB")" \
  "$(ratio "$T_BB" "$T_CLASSIC")" "$(ratio "$T_BB" "$T_HAND")"
echo
echo "stored size: backupbuddy / pg_dump gzip = $(ratio3 "$S_BB" "$S_CLASSIC"), backupbuddy / hand zstd -3 = $(ratio3 "$S_BB" "$S_HAND"), compression $(ratio "$RAW_BYTES" "$S_BB")"
if grep -q warning "$WORK/bb.err"; then
  echo "backupbuddy warnings:"; grep warning "$WORK/bb.err" | sed 's/^/    /'
fi
echo "peak RSS: backupbuddy $((BB_RSS_KB / 1024)) MiB (largest of it and its children, GNU time), pg_dump alone $((PGDUMP_RSS_KB / 1024)) MiB"
