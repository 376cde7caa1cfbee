#!/bin/sh
# Builds a fuzz target with clang (libFuzzer + ASan + UBSan) and runs it for a bounded
# time on its seed corpus.
#   fuzz/run.sh [SECONDS] [TARGET]   (default 60 s, target age; exit status non-zero on a
#                                     crash, a sanitizer report, a hang or an OOM)
# Targets:
#   age      the age decryptor; seeds are written at run time by our own encryptor
#   parsers  config, manifest, key names, S3 XML, Telegram updates + conversation, user
#            times, cron, sizes (parsers_fuzz.cpp); seeds are fuzz/corpus/parsers/
# New inputs the fuzzer finds go to the build directory, never into the repository;
# crash reproducers to <build>/artifacts/<target>/ (rerun one: <build>/parsers_fuzz FILE).
# BB_FUZZ_BUILD_DIR overrides the build directory (default: build-fuzz beside fuzz/).
set -eu
seconds=${1:-60}
target=${2:-age}
here=$(cd "$(dirname "$0")" && pwd)
build=${BB_FUZZ_BUILD_DIR:-$here/../build-fuzz}

case $target in
  age) binaries="age_decrypt_fuzz age_fuzz_seed" ;;
  parsers) binaries="parsers_fuzz" ;;
  *) echo "fuzz/run.sh: unknown target '$target' (use age or parsers)" >&2; exit 2 ;;
esac

CC=clang CXX=clang++ cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j"$(nproc)" --target $binaries

artifacts="$build/artifacts/$target"
mkdir -p "$artifacts"

case $target in
  age)
    corpus="$build/corpus"
    mkdir -p "$corpus"
    "$build/age_fuzz_seed" "$corpus"
    # -max_len: a little over two chunks, so chunk boundaries and the final-chunk rules
    # are reachable; -rss_limit_mb/-timeout catch runaway memory (scrypt) and hangs.
    exec "$build/age_decrypt_fuzz" -max_total_time="$seconds" -max_len=140000 \
      -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$corpus"
    ;;
  parsers)
    # The first directory collects what the fuzzer finds (kept between runs in the build
    # directory); the checked-in seeds are read only. -timeout=10: any input taking
    # longer is a hang; -max_len fits the largest seed (the example config).
    corpus="$build/corpus-parsers"
    mkdir -p "$corpus"
    exec "$build/parsers_fuzz" -max_total_time="$seconds" -max_len=8192 \
      -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$corpus" "$here/corpus/parsers"
    ;;
esac
