#!/usr/bin/env bash
# Builds BackupBuddy with sanitizers (Debug) in its own build folder and runs the unit tests
# and a subset of the integration tests against the sanitized binaries. Any sanitizer
# report fails the run; every report is printed with its stack at the end (they are also
# kept in $BUILD_DIR/sanitizer-logs).
#
#   scripts/sanitizers.sh                  # AddressSanitizer + UndefinedBehaviorSanitizer, build-asan
#   SANITIZER=thread scripts/sanitizers.sh # ThreadSanitizer on the upload pipeline, build-tsan
#   BUILD_DIR=/tmp/asan INTEGRATION_TESTS="test_roundtrip_local test_s3_driver" scripts/sanitizers.sh
#   SKIP_BUILD=1 scripts/sanitizers.sh     # reuse an existing sanitized build
#   BUILD_ONLY=1 scripts/sanitizers.sh     # only build (scripts/test.sh does this before ctest)
#
# CTest runs both forms as the tests sanitize.address_undefined and sanitize.thread (label
# "sanitize"), with their build folders inside the main build folder.
#
# Environment: SANITIZER (address | thread), BUILD_DIR (default ./build-asan or ./build-tsan),
# CXX (default g++), JOBS (default nproc), SAN_FLAGS, INTEGRATION_TESTS (test module names;
# "none" runs only the unit tests), GTEST_FILTER.
# Needs what scripts/test.sh installs (scripts/install-deps.sh); it does not install anything.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SANITIZER="${SANITIZER:-address}"
CXX="${CXX:-g++}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
case "$SANITIZER" in
  address)
    BUILD_DIR="${BUILD_DIR:-$ROOT/build-asan}"
    SAN_FLAGS="${SAN_FLAGS:--fsanitize=address,undefined -fno-omit-frame-pointer}"
    INTEGRATION_TESTS="${INTEGRATION_TESTS:-test_roundtrip_local test_s3_driver test_storage_contract test_s3_backup test_encryption_verify test_hostile_input}"
    ;;
  thread)
    # The upload pipeline's threads: the upload workers of a multipart upload (S3 driver
    # tests; aborted and abandoned uploads in the storage contract suite), the pg_dump stderr drain and the archive read-back, the zstd workers and the
    # per-database backup threads of `[backup] parallel` (S3 backup tests).
    BUILD_DIR="${BUILD_DIR:-$ROOT/build-tsan}"
    SAN_FLAGS="${SAN_FLAGS:--fsanitize=thread -fno-omit-frame-pointer}"
    INTEGRATION_TESTS="${INTEGRATION_TESTS:-test_s3_driver test_storage_contract test_s3_backup}"
    # Unit tests without threads that are merely slow under TSan are left out.
    GTEST_FILTER="${GTEST_FILTER:--Cron*:AgeInterop*:RetentionCrossCheck*}"
    ;;
  *)
    echo "SANITIZER must be address or thread, not '$SANITIZER'" >&2
    exit 2
    ;;
esac
BUILD_DIR="$(realpath -m "$BUILD_DIR")"
LOG_DIR="$BUILD_DIR/sanitizer-logs"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "==> Configuring a sanitized Debug build in $BUILD_DIR ($CXX: $SAN_FLAGS)"
  # -g1: function names and line numbers for the reports, at a fifth less build time than -g.
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_CXX_COMPILER="$CXX" \
    -DCMAKE_CXX_FLAGS="$SAN_FLAGS" -DCMAKE_EXE_LINKER_FLAGS="$SAN_FLAGS" || exit 2
  echo "==> Building backupbuddy, unit_tests, s3_integration_tests with $JOBS jobs"
  cmake --build "$BUILD_DIR" -j "$JOBS" --target backupbuddy unit_tests s3_integration_tests || exit 2
fi
if [ "${BUILD_ONLY:-0}" = 1 ]; then exit 0; fi

rm -rf "$LOG_DIR"
mkdir -p "$LOG_DIR"
# Reports go to files (log_path), so that none is lost in a test's captured output.
# The sanitized binaries are run as root by the tests and as the tests' own user; keep the
# folder writable for both.
chmod 0777 "$LOG_DIR"
# ASAN_EXTRA / UBSAN_EXTRA append options (e.g. ASAN_EXTRA=detect_stack_use_after_scope=0 to
# look past one known report).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$LOG_DIR/asan:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_EXTRA:+:$ASAN_EXTRA}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$LOG_DIR/ubsan${UBSAN_EXTRA:+:$UBSAN_EXTRA}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-}"
# second_deadlock_stack: both stacks of a lock-order report. TSAN_EXTRA appends options.
export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:log_path=$LOG_DIR/tsan${TSAN_EXTRA:+:$TSAN_EXTRA}"

# ThreadSanitizer's shadow memory needs a fixed address layout: gcc 12's runtime aborts
# ("unexpected memory mapping") on kernels that randomize mmap with more bits. Running
# without address randomization (setarch -R, inherited by every child) avoids it.
run=()
if [ "$SANITIZER" = thread ] && setarch "$(uname -m)" -R true 2>/dev/null; then
  run=(setarch "$(uname -m)" -R)
fi

status=0
started=$(date +%s)

echo "==> Unit tests ($SANITIZER sanitizer)"
"${run[@]}" "$BUILD_DIR/tests/unit_tests" --gtest_brief=1 ${GTEST_FILTER:+--gtest_filter="$GTEST_FILTER"} > "$LOG_DIR/unit_tests.out" 2>&1
rc=$?
echo "    exit $rc (output: $LOG_DIR/unit_tests.out)"
if [ "$rc" -ne 0 ]; then
  tail -n 60 "$LOG_DIR/unit_tests.out"
  echo "!!! unit tests failed"
  status=1
fi

if [ "$INTEGRATION_TESTS" != none ]; then
  export BB_BINARY="$BUILD_DIR/backupbuddy"
  export BB_BUILD_DIR="$BUILD_DIR"
  export BB_S3_INTEGRATION_BINARY="$BUILD_DIR/tests/integration/s3_integration_tests"
  export BB_TOOLS_DIR="$ROOT/tests/tools"
  export PYTHONDONTWRITEBYTECODE=1
  # Tests that bound memory skip that bound under a sanitizer (its allocator keeps freed memory).
  export BB_SANITIZER="$SANITIZER"
  for t in $INTEGRATION_TESTS; do
    echo "==> Integration: $t ($SANITIZER-sanitized binary)"
    t0=$(date +%s)
    (cd "$ROOT/tests/integration" && "${run[@]}" /usr/bin/python3 -m unittest "$t") > "$LOG_DIR/$t.out" 2>&1
    rc=$?
    echo "    exit $rc after $(( $(date +%s) - t0 )) s (output: $LOG_DIR/$t.out)"
    if [ "$rc" -ne 0 ]; then
      tail -n 40 "$LOG_DIR/$t.out"
      status=1
    fi
  done
fi

reports=$(find "$LOG_DIR" -name 'asan.*' -o -name 'ubsan.*' -o -name 'tsan.*' | sort)
# The first line of every sanitizer report (ThreadSanitizer's are "WARNING: ThreadSanitizer: …").
report_re='runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|ThreadSanitizer: '
# Some reports (UBSan's, in the combined runtime) go to stderr despite log_path: look there too.
inline=$(grep -l -E "$report_re" "$LOG_DIR"/*.out 2>/dev/null)
if [ -n "$reports$inline" ]; then
  echo "==> Sanitizer reports: $(echo "$reports" | grep -c .) file(s), plus reports inside: ${inline:-none}"
  echo "==> Distinct first lines:"
  cat $reports $inline 2>/dev/null | grep -h -E "$report_re" \
    | sed -E 's/==[0-9]+==//; s/0x[0-9a-f]+/0x…/g' | sort | uniq -c
  # One full report per distinct (error, first frame in BackupBuddy's own code).
  declare -A shown=()
  for r in $reports; do
    frame=$(grep -m1 -o -E 'bb::[A-Za-z0-9_:~]*' "$r")
    sig="$(grep -m1 -h -E 'runtime error:|ERROR: |WARNING: ThreadSanitizer' "$r" | sed -E 's/==[0-9]+==//; s/0x[0-9a-f]+//g; s/ on address.*//')|$frame"
    if [ -n "${shown[$sig]:-}" ]; then continue; fi
    shown[$sig]=1
    echo "----- $r (first of its kind; same in $(grep -l -F "$frame" $reports | wc -l) file(s))"
    cat "$r"
  done
  for r in $inline; do
    echo "----- sanitizer output inside $r"
    grep -E -A40 "$report_re" "$r" | head -n 200
  done
  status=1
else
  echo "==> No sanitizer report."
fi
echo "==> Done in $(( $(date +%s) - started )) s; exit $status"
exit "$status"
