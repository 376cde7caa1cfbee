#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs dependencies, builds,
# and runs every unit and integration test with CTest. Exits with CTest's status.
# Extra arguments go to ctest (e.g. -L unit, -R roundtrip); BUILD_DIR overrides ./build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export BUILD_DIR="${BUILD_DIR:-$ROOT/build}"

echo "==> Step 1/3: installing dependencies"
"$ROOT/scripts/install-deps.sh"
echo "==> Step 2/3: building"
"$ROOT/scripts/build.sh"
echo "==> Step 3/3: running the tests (unit + integration)"
set +e
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@"
status=$?
set -e
if [ "$status" -eq 0 ]; then
  echo "==> All tests passed."
else
  echo "==> Some tests failed (ctest exit $status); see the output above."
fi
exit "$status"
