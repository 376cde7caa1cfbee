#!/usr/bin/env bash
# Configures and builds BackupBuddy (Release) into ./build; the binary is build/backupbuddy.
# BUILD_DIR and BUILD_TYPE override the defaults.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
BUILD_TYPE="${BUILD_TYPE:-Release}"
JOBS="$(nproc 2>/dev/null || echo 2)"

echo "==> Configuring ($BUILD_TYPE) in $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
echo "==> Building with $JOBS jobs"
cmake --build "$BUILD_DIR" -j "$JOBS"
echo "==> Built $BUILD_DIR/backupbuddy"
