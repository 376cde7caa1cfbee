#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs dependencies, builds,
# and runs every unit and integration test with CTest. Exits with CTest's status.
# Extra arguments go to ctest (e.g. -L unit, -R roundtrip); BUILD_DIR overrides ./build.
# The suite includes two sanitizer runs (ctest label "sanitize": ASan+UBSan and TSan, each
# on its own Debug build inside the build folder); SANITIZERS=0 leaves them out.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

echo "==> Step 1/3: installing dependencies"
"$ROOT/scripts/install-deps.sh"
echo "==> Step 2/3: building"
"$ROOT/scripts/build.sh"
ctest_args=()
if [ "${SANITIZERS:-1}" != 0 ]; then
  for sanitizer in address thread; do
    echo "==> Building the $sanitizer-sanitized tree (for the sanitize.* tests)"
    SANITIZER=$sanitizer BUILD_DIR="$BUILD_DIR/sanitize-$sanitizer" BUILD_ONLY=1 "$ROOT/scripts/sanitizers.sh" > "$BUILD_DIR/sanitize-build-$sanitizer.log" 2>&1 \
      || { tail -n 80 "$BUILD_DIR/sanitize-build-$sanitizer.log"; echo "==> the $sanitizer-sanitized build failed"; exit 2; }
  done
else
  ctest_args=(-LE sanitize)
fi
echo "==> Step 3/3: running the tests (unit + integration)"
set +e
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "${ctest_args[@]}" "$@"
status=$?
set -e
if [ "$status" -eq 0 ]; then
  echo "==> All tests passed."
else
  echo "==> Some tests failed (ctest exit $status); see the output above."
fi
exit "$status"
