#!/bin/sh
# Splits the committed fixture files into seed corpora for the three fuzzers:
#   OUT/case/     one case per file, as a `losscheck run` line (the fixture case without "expected")
#   OUT/result/   one expected result per file, with the case's id, as an exec target would answer
#   OUT/fixture/  small fixture files of one to three cases, plus tests/fixtures/good.json and bad/*.json
# Usage: fuzz/make_corpus.sh OUT [MAX_BYTES]   (cases longer than MAX_BYTES, default 2000, are skipped)
# fuzz/seeds/ holds a few dozen of these, committed, for the ctest fuzz runs:  fuzz/make_corpus.sh fuzz/seeds 400
set -eu
out=${1:?usage: make_corpus.sh OUT [MAX_BYTES]}
max=${2:-2000}
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out/case" "$out/result" "$out/fixture"
/usr/bin/python3 - "$repo" "$out" "$max" <<'PY'
import glob, json, os, shutil, sys
repo, out, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
few = limit < 1000  # the committed seeds: only a handful per loss
for path in sorted(glob.glob(os.path.join(repo, "fixtures", "*.json"))):
    loss = os.path.basename(path)[:-5]
    lines = [l.rstrip(",\n") for l in open(path) if l.startswith('{"id"')]
    picked = [l for l in lines if len(l) <= limit]
    if few:
        # spread over the file: errors and successes, every reduction
        errors = [l for l in picked if '"expected":{"error"' in l][:1]
        others = [l for l in picked if l not in errors]
        picked = errors + others[:: max(1, len(others) // 3)][:3]
    header = lines and open(path).read().split('"cases":[')[0]
    for n, line in enumerate(picked):
        case = json.loads(line)
        expected = case.pop("expected")
        name = f"{loss}_{n}.json"
        # keep the text exact (number spelling matters for rounding): cut "expected" out of the line
        cut = line.rfind(',"expected":')
        open(os.path.join(out, "case", name), "w").write(line[:cut] + "}")
        open(os.path.join(out, "result", name), "w").write(
            '{"id":' + json.dumps(case["id"]) + "," + line[cut + len(',"expected":') + 1:-1])
        if n % 2 == 0:
            group = picked[n:n + 3] if not few else picked[n:n + 2]
            open(os.path.join(out, "fixture", name), "w").write(header + '"cases":[\n' + ",\n".join(group) + "\n]}\n")
for extra in [os.path.join(repo, "tests", "fixtures", "good.json")] + sorted(glob.glob(os.path.join(repo, "tests", "fixtures", "bad", "*.json"))):
    shutil.copy(extra, os.path.join(out, "fixture", "tests_" + os.path.basename(extra)))
PY
for d in case result fixture; do echo "$out/$d: $(ls "$out/$d" | wc -l) files"; done
