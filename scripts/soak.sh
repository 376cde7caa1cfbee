#!/usr/bin/env bash
# The long form of the bad-day loops that CI runs short (issue 7): BB_SOAK=1 makes
# test_crash_loop kill `backup` 200 times on S3 (a ~250 MB dump), 40 times on the local
# store, and kill or stop `restore` 40 times; test_faults backs up and restores 500 MB
# through 5 % random S3 faults. ROUNDS repeats the whole set with new random seeds.
#
#   scripts/soak.sh                     # one round (about an hour on 2 cores)
#   ROUNDS=5 scripts/soak.sh            # five rounds, each with new kill schedules and faults
#   TESTS="test_faults" scripts/soak.sh # only some files
#
# Needs a build (scripts/build.sh, or BUILD_DIR) and what scripts/install-deps.sh installs.
# Every round's output goes to $BUILD_DIR/soak-logs/; the seeds are printed there, and
# BB_CRASH_SEED / BB_FAULTS_SEED reproduce a failing round.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
ROUNDS="${ROUNDS:-1}"
TESTS="${TESTS:-test_crash_loop test_faults}"
LOG_DIR="$BUILD_DIR/soak-logs"

if [ ! -x "$BUILD_DIR/backupbuddy" ]; then
  echo "no build in $BUILD_DIR: run scripts/build.sh first (or set BUILD_DIR)" >&2
  exit 2
fi
mkdir -p "$LOG_DIR"
export BB_SOAK=1
export BB_BINARY="$BUILD_DIR/backupbuddy"
export BB_BUILD_DIR="$BUILD_DIR"
export BB_S3_INTEGRATION_BINARY="$BUILD_DIR/tests/integration/s3_integration_tests"
export BB_TOOLS_DIR="$ROOT/tests/tools"
export PYTHONDONTWRITEBYTECODE=1

status=0
for round in $(seq 1 "$ROUNDS"); do
  for t in $TESTS; do
    log="$LOG_DIR/round$round-$t.log"
    echo "==> round $round/$ROUNDS: $t (long form; output in $log)"
    t0=$(date +%s)
    (cd "$ROOT/tests/integration" && /usr/bin/python3 -m unittest -v "$t") > "$log" 2>&1
    rc=$?
    echo "    exit $rc after $(( $(date +%s) - t0 )) s"
    grep -h -E '\[crash-loop\]|seed' "$log" | tail -n 20
    if [ "$rc" -ne 0 ]; then
      tail -n 60 "$log"
      status=1
    fi
  done
done
echo "==> soak: $( [ "$status" = 0 ] && echo "every round passed" || echo "FAILED (see above)" )"
exit "$status"
