#!/bin/sh
# Runs the speed benchmark (impl against LibTorch, docs/performance.md) with repetitions and prints one table of
# medians. Usage: bench/run.sh [BUILD_DIR] [REPETITIONS] [extra Google Benchmark flags, e.g. --benchmark_filter=f32]
# Build first: cmake -S . -B build-bench -G Ninja -DLOSSCHECK_BENCH=ON -DCMAKE_BUILD_TYPE=Release
#              ninja -C build-bench -j2 losses_bench
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build-bench}
reps=${2:-5}
[ $# -ge 1 ] && shift
[ $# -ge 1 ] && shift
out="$build/losses_bench.json"
"$build/losses_bench" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
  --benchmark_min_time=0.2 --benchmark_out="$out" --benchmark_out_format=json "$@" >&2
/usr/bin/python3 "$here/table.py" "$out"
