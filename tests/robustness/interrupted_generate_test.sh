#!/bin/sh
# Interrupting `losscheck fixtures generate` never leaves a half-written fixture file (docs/robustness.md).
# A complete run into a fresh directory gives the new files and the run time T. Then a directory holding the old
# files (the new ones with a different generator "tool") is regenerated and the run killed at T/8, 2T/8, ... 7T/8
# with SIGKILL, SIGINT and SIGTERM in turn: each <loss>.json must then be byte-identical to its old or its new
# version, never anything else. A killed run may leave its temporary <loss>.json.tmp.<pid> behind (never read as a
# fixture; the next run ignores it): the test removes them and counts them.
# Seven of the losses (the largest file, cross_entropy's, among them) keep the run short enough for CI: LibTorch's start
# and the full catalog made it 4.5 full generations, about 30 s, on a 2-core machine.
# Usage: interrupted_generate_test.sh LOSSCHECK WORK_DIR
set -eu
losscheck=$1
work=$2/interrupted_generate
losses="cross_entropy mse_loss nll_loss kl_div huber_loss cosine_embedding_loss ctc_loss"
rm -rf "$work"
mkdir -p "$work"
start=$(date +%s%N)
# shellcheck disable=SC2086
"$losscheck" fixtures generate --out "$work/new" --loss $losses > /dev/null
total_ms=$(( ($(date +%s%N) - start) / 1000000 ))
mkdir -p "$work/old"
for f in "$work/new"/*.json; do
  sed 's/"tool":"losscheck fixtures generate"/"tool":"an earlier run"/' "$f" > "$work/old/$(basename "$f")"
  cmp -s "$f" "$work/old/$(basename "$f")" && { echo "old and new versions of $f do not differ"; exit 1; }
done
leftovers=0
k=1
for sig in KILL INT TERM KILL INT TERM KILL; do
  rm -rf "$work/out"
  cp -r "$work/old" "$work/out"
  # SIGINT is ignored in the background jobs of a non-interactive shell unless restored
  # shellcheck disable=SC2086
  env --default-signal=INT "$losscheck" fixtures generate --out "$work/out" --loss $losses > /dev/null 2>&1 &
  pid=$!
  delay_ms=$(( total_ms * k / 8 ))
  sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
  kill -s "$sig" "$pid" 2> /dev/null || true
  wait "$pid" || true
  n_old=0; n_new=0
  for f in "$work/old"/*.json; do
    name=$(basename "$f")
    if cmp -s "$work/out/$name" "$f"; then n_old=$((n_old + 1))
    elif cmp -s "$work/out/$name" "$work/new/$name"; then n_new=$((n_new + 1))
    else echo "SIG$sig after ${delay_ms} ms: $name is neither the old nor the new file"; exit 1
    fi
  done
  for t in "$work/out"/*.tmp.*; do
    [ -e "$t" ] || continue
    leftovers=$((leftovers + 1))
  done
  if ls "$work/out" | grep -v -e '\.json$' -e '\.json\.tmp\.[0-9]*$' > /dev/null; then
    echo "unexpected files in $work/out: $(ls "$work/out")"; exit 1
  fi
  echo "SIG$sig after ${delay_ms} ms of ${total_ms}: $n_new new, $n_old old, no partial file"
  k=$((k + 1))
done
echo "interrupted fixture generation left no half-written file ($leftovers temporary files left by killed runs)"
