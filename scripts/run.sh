#!/usr/bin/env bash
# One entry point that does all set-up on a fresh Debian 12 machine (as root, or with sudo available), builds
# incrementally and runs:
#   scripts/run.sh main   the main job: `losscheck audit` of the built-in implementation -- every property against
#                         the reference and every LibTorch golden fixture (docs/audit.md)
#   scripts/run.sh test   the test suite (ctest)
#   scripts/run.sh sanitize  the test suite built with AddressSanitizer + UBSan (-DLOSSCHECK_SANITIZE=ON, LibTorch
#                         off) in its own build directory (SANITIZE_BUILD_DIR, default build-sanitize);
#                         LOSSCHECK_SANITIZE_LABEL=<ctest label regex> runs only those tests (docs/robustness.md)
#   scripts/run.sh fuzz   the three libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined; build-fuzz) for
#                         LOSSCHECK_FUZZ_SECONDS each (default 20) from the committed seeds (docs/robustness.md)
# Environment: BUILD_DIR (default build), LOSSCHECK_SKIP_APT=1 to skip the package check.
set -euo pipefail
cd "$(dirname "$0")/.."

job=${1:-}
case "$job" in main|test|sanitize|fuzz) ;; *) echo "usage: scripts/run.sh main|test|sanitize|fuzz" >&2; exit 2 ;; esac

packages=(g++ cmake ninja-build pkg-config libboost-dev libmpfr-dev libgmp-dev nlohmann-json3-dev libcli11-dev
          libfmt-dev libgtest-dev librapidcheck-dev libbenchmark-dev libtorch-dev python3-torch python3-numpy
          libdlib-dev tiny-dnn libcereal-dev dpkg-dev libonnx-dev libprotobuf-dev libonnx-testdata
          protobuf-compiler)
[ "$job" != fuzz ] || packages+=(clang)
# the HTML report's screenshot test (report_browser) needs a headless browser: Debian's headless shell (~33 s to install)
[ "$job" != test ] || packages+=(chromium-headless-shell)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

[ "${LOSSCHECK_SKIP_APT:-0}" = 1 ] || install_missing

build=${BUILD_DIR:-build}
config=()
if [ "$job" = sanitize ]; then
  build=${SANITIZE_BUILD_DIR:-build-sanitize}
  config=(-DLOSSCHECK_SANITIZE=ON -DLOSSCHECK_LIBTORCH=OFF)
fi
targets=()
if [ "$job" = fuzz ]; then
  build=${FUZZ_BUILD_DIR:-build-fuzz}
  config=(-DLOSSCHECK_FUZZ=ON -DLOSSCHECK_LIBTORCH=OFF -DLOSSCHECK_TESTS=OFF -DLOSSCHECK_ADAPTERS=OFF
          -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
          -DLOSSCHECK_FUZZ_SECONDS="${LOSSCHECK_FUZZ_SECONDS:-20}")
  targets=(case_reader_fuzzer result_reader_fuzzer fixture_reader_fuzzer)
fi
# -g1 (line tables only): backtraces and sanitizer reports keep file:line, and the build takes ~30 % less CPU than
# with full debug info (docs/robustness.md "CI time")
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
        "${config[@]}" >/dev/null
fi
ninja -C "$build" -j "$(nproc)" "${targets[@]}" >/dev/null || ninja -C "$build" -j 1 "${targets[@]}"

case "$job" in
  main)
    "$build/losscheck" audit --target impl
    ;;
  test) cd "$build" && ctest --output-on-failure -j "$(nproc)" ;;
  sanitize)
    # any report of either sanitizer fails the test that caused it (UB aborts: -fno-sanitize-recover)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    label=()
    [ -z "${LOSSCHECK_SANITIZE_LABEL:-}" ] || label=(-L "$LOSSCHECK_SANITIZE_LABEL")
    cd "$build" && ctest --output-on-failure -j "$(nproc)" "${label[@]}"
    ;;
  fuzz) cd "$build" && ctest --output-on-failure -j "$(nproc)" -L fuzz ;;
esac
