#!/bin/sh
# Builds the age decryptor fuzz target with clang (libFuzzer + ASan + UBSan) and runs
# it for a bounded time on a seed corpus that our own encryptor writes at run time.
#   fuzz/run.sh [SECONDS]      (default 60; exit status non-zero on a crash)
# BB_FUZZ_BUILD_DIR overrides the build directory (default: build-fuzz beside fuzz/).
set -eu
seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
build=${BB_FUZZ_BUILD_DIR:-$here/../build-fuzz}

CC=clang CXX=clang++ cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target age_decrypt_fuzz age_fuzz_seed

corpus="$build/corpus"
artifacts="$build/artifacts"
mkdir -p "$corpus" "$artifacts"
"$build/age_fuzz_seed" "$corpus"

# -max_len: a little over two chunks, so chunk boundaries and the final-chunk rules
# are reachable; -rss_limit_mb/-timeout catch runaway memory (scrypt) and hangs.
exec "$build/age_decrypt_fuzz" -max_total_time="$seconds" -max_len=140000 \
  -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$corpus"
