#!/usr/bin/env bash
# Runs the losscheck commands of the CI recipes (examples/ci/*.yml, docs/ci.md) on this machine, against a built
# losscheck, and checks what CI would see:
#   examples/ci/run_locally.sh [LOSSCHECK]        or   LOSSCHECK=/path/to/losscheck examples/ci/run_locally.sh
# The shard and merge commands are read out of the four YAML files themselves (the GitHub step "Audit shard …" and
# "Merge the shards …", the GitLab jobs audit and losscheck-report) and run as CI runs them, with a small selection
# (AUDIT_OPTIONS: --loss mse_loss --cases 20, 2 shards) in a temporary project directory:
#   1. github-actions.yml, C++ project: the target is `losscheck run --target impl` (a correct mse_loss); the baseline
#      written once (--write-baseline, nothing to accept); 2 shards, merge: exit 0, verdict pass.
#   2. gitlab-ci.yml, C++ project with a documented convention: the target is tests/audit/targets/mse_times_two.py
#      (mse_loss × 2); the baseline written once accepts it: merge exit 0 (`accepted` findings); with an empty
#      baseline the same merge exits 1 and the JUnit report holds failures.
#   3. Python project: examples/python/my_mse.py with losscheck_protocol.py copied to tests/ as docs/ci.md says;
#      first the whole default audit `--loss mse_loss` (100 cases per property) must pass, then
#      github-actions-python.yml and gitlab-ci-python.yml, 2 shards each: merge exit 0.
# Every merge is checked: its exit code, merged.json's verdict and merged_from, merged.xml parses with one testcase
# per check, report.html exists and names the verdict. Environment: PYTHON (default /usr/bin/python3: Debian's, with
# numpy and yaml), LOSSCHECK_FIXTURES (default: the source tree's fixtures/), KEEP=1 keeps the work directory.
# Exit 0 when every check holds, 1 when one does not, 2 for a usage error.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
losscheck=${1:-${LOSSCHECK:-}}
if [ -z "$losscheck" ]; then
  echo "usage: examples/ci/run_locally.sh LOSSCHECK (or LOSSCHECK=/path/to/losscheck in the environment)" >&2
  exit 2
fi
if [ ! -x "$losscheck" ]; then
  echo "run_locally.sh: $losscheck is not an executable losscheck" >&2
  exit 2
fi
losscheck=$(realpath "$losscheck")
python=${PYTHON:-/usr/bin/python3}
fixtures=$(realpath "${LOSSCHECK_FIXTURES:-$src/fixtures}")

work=$(mktemp -d "${TMPDIR:-/tmp}/losscheck-ci.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then echo "work directory: $work"; else trap 'rm -rf "$work"' EXIT; fi

# What a CI job sees: an installed losscheck under LOSSCHECK_PREFIX (bin/losscheck, share/losscheck/fixtures), and
# `python3` on PATH being Debian's.
prefix=$work/prefix
mkdir -p "$prefix/bin" "$prefix/share/losscheck" "$work/path"
ln -s "$losscheck" "$prefix/bin/losscheck"
ln -s "$fixtures" "$prefix/share/losscheck/fixtures"
ln -s "$(command -v "$python")" "$work/path/python3"
export PATH="$work/path:$PATH" LOSSCHECK_PREFIX=$prefix

failures=0
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }  # seconds since $EPOCHREALTIME $1
ok() { echo "  ok    $*"; }
bad() { echo "  FAIL  $*"; failures=$((failures + 1)); }

# ci_step FILE audit|merge: the shell text of that step of a CI file (GitHub: the step's `run`, with
# ${{ matrix.shard }} as $CI_NODE_INDEX; GitLab: the job's script from `status=0` on, or the merge line).
ci_step() {
  "$python" - "$1" "$2" <<'EOF'
import sys, yaml
path, what = sys.argv[1], sys.argv[2]
doc = yaml.safe_load(open(path))
if "jobs" in doc:  # GitHub Actions
    prefix = "Audit shard" if what == "audit" else "Merge the shards"
    steps = [s for job in doc["jobs"].values() for s in job.get("steps", []) if s.get("name", "").startswith(prefix)]
    text = steps[0]["run"].replace("${{ matrix.shard }}", "$CI_NODE_INDEX")
else:  # GitLab CI
    if what == "audit":
        script = doc["audit"]["script"]
        text = "\n".join(script[[i for i, line in enumerate(script) if line.strip() == "status=0"][0]:])
    else:
        text = "\n".join(line for line in doc["losscheck-report"]["script"] if "report merge" in line)
if "${{" in text:
    sys.exit(f"{path}: {what} step still holds a GitHub expression: {text}")
print(text)
EOF
}

# ci_env FILE NAME: a variable of the CI file (GitHub env, GitLab variables).
ci_env() {
  "$python" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print((d.get("env") or d.get("variables"))[sys.argv[2]])' "$1" "$2"
}

# run_recipe FILE PROJECT_DIR EXPECTED_EXIT: the shards and the merge of FILE in PROJECT_DIR, then the checks.
run_recipe() {
  local file=$1 dir=$2 expected=$3 shards=2 i start status
  local name
  name=$(basename "$file")
  (cd "$dir" && rm -f shard-*.json shard-*.xml counterexamples-*.json merged.json merged.xml report.html)
  export TARGET AUDIT_OPTIONS SHARDS=$shards CI_NODE_TOTAL=$shards
  TARGET=$(ci_env "$file" TARGET)
  AUDIT_OPTIONS="--loss mse_loss --cases 20 --seed 20240613"
  for i in $(seq 1 $shards); do
    start=$EPOCHREALTIME
    status=0
    (cd "$dir" && CI_NODE_INDEX=$i bash -eo pipefail -c "$(ci_step "$file" audit)") > "$dir/shard-$i.log" 2>&1 || status=$?
    if [ "$status" -eq 0 ] && [ -f "$dir/shard-$i.json" ]; then
      ok "$name: shard $i/$shards wrote its reports ($(grep -o 'losscheck audit exited with [0-9]*\|exited with [0-9]*' "$dir/shard-$i.log" | tail -1), $(since "$start") s)"
    else
      bad "$name: shard $i/$shards: the step failed (status $status); its output:"; sed 's/^/        /' "$dir/shard-$i.log"
    fi
  done
  start=$EPOCHREALTIME
  status=0
  (cd "$dir" && bash -eo pipefail -c "$(ci_step "$file" merge)") > "$dir/merge.log" 2>&1 || status=$?
  local seconds
  seconds=$(since "$start")
  if [ "$status" -eq "$expected" ]; then
    ok "$name: report merge exited with $status as expected ($seconds s): $(grep '^verdict:' "$dir/merge.log")"
  else
    bad "$name: report merge exited with $status, expected $expected; its output:"; sed 's/^/        /' "$dir/merge.log"
  fi
  local verdict=pass
  [ "$expected" -eq 0 ] || verdict=fail
  local summary
  if summary=$("$python" - "$dir" "$verdict" 2>&1 <<'EOF'
import json, sys, xml.etree.ElementTree as ET
d, verdict = sys.argv[1], sys.argv[2]
merged = json.load(open(f"{d}/merged.json"))
problems = []
if merged["verdict"] != verdict:
    problems.append(f"merged.json verdict {merged['verdict']!r}, expected {verdict!r}")
if merged.get("merged_from") != 2:
    problems.append(f"merged.json merged_from {merged.get('merged_from')!r}, expected 2")
suite = ET.parse(f"{d}/merged.xml").getroot()
count = sum(1 for _ in suite.iter("testcase"))
failures = sum(1 for c in suite.iter("testcase") if c.find("failure") is not None)
if count != merged["summary"]["checks"]:
    problems.append(f"merged.xml has {count} testcases for {merged['summary']['checks']} checks")
if (failures > 0) != (verdict == "fail"):
    problems.append(f"merged.xml has {failures} failures with verdict {verdict}")
html = open(f"{d}/report.html").read()
if not html.startswith("<!DOCTYPE html>") or ("FAIL" if verdict == "fail" else "pass") not in html:
    problems.append("report.html is not the report of this verdict")
print("; ".join(problems) or (f"merged.json {merged['verdict']}, {merged['summary']['checks']} checks "
      f"({merged['summary'].get('accepted', 0)} accepted failures), merged.xml {count} testcases "
      f"({failures} failures), report.html {len(html) // 1024} KiB"))
sys.exit(1 if problems else 0)
EOF
  ); then ok "$name: reports: $summary"; else bad "$name: reports: $summary"; fi
}

# write_baseline DIR EXPECTED_EXIT: the one-off command of docs/ci.md "The baseline", with the recipe's options.
write_baseline() {
  local dir=$1 expected=$2 status=0
  (cd "$dir" && "$LOSSCHECK_PREFIX/bin/losscheck" audit --target "$TARGET" $AUDIT_OPTIONS \
     --fixtures "$LOSSCHECK_PREFIX/share/losscheck/fixtures" --write-baseline losscheck-baseline.json) \
    > "$dir/write-baseline.log" 2>&1 || status=$?
  if [ "$status" -eq "$expected" ] && [ -f "$dir/losscheck-baseline.json" ]; then
    ok "--write-baseline exited with $status, wrote losscheck-baseline.json: $(tail -1 "$dir/write-baseline.log")"
  else
    bad "--write-baseline exited with $status (expected $expected); its output:"; sed 's/^/        /' "$dir/write-baseline.log"
  fi
}

echo "losscheck: $losscheck ($("$losscheck" --version)); python3: $python; fixtures: $fixtures"

echo "1. C++ project, examples/ci/github-actions.yml: a correct target"
cpp=$work/cpp-project
mkdir -p "$cpp/build"
printf '#!/bin/sh\nexec %q run --target impl\n' "$losscheck" > "$cpp/build/my_losses_exec"
chmod +x "$cpp/build/my_losses_exec"
export TARGET AUDIT_OPTIONS="--loss mse_loss --cases 20 --seed 20240613"
TARGET=$(ci_env "$src/examples/ci/github-actions.yml" TARGET)
write_baseline "$cpp" 0
run_recipe "$src/examples/ci/github-actions.yml" "$cpp" 0

echo "2. C++ project, examples/ci/gitlab-ci.yml: a target with a documented convention (mse_loss × 2)"
conv=$work/convention-project
mkdir -p "$conv/build"
printf '#!/bin/sh\nexec %q %q %q\n' "$python" "$src/tests/audit/targets/mse_times_two.py" "$losscheck" \
  > "$conv/build/my_losses_exec"
chmod +x "$conv/build/my_losses_exec"
TARGET=$(ci_env "$src/examples/ci/gitlab-ci.yml" TARGET)
write_baseline "$conv" 1
run_recipe "$src/examples/ci/gitlab-ci.yml" "$conv" 0
echo '{"format": "losscheck-baseline", "version": 1, "accepted": []}' > "$conv/losscheck-baseline.json"
echo "   ... and with an empty baseline the same recipe fails:"
run_recipe "$src/examples/ci/gitlab-ci.yml" "$conv" 1

echo "3. Python project: examples/python/my_mse.py as tests/losscheck_target.py"
py=$work/python-project
mkdir -p "$py/tests"
cp "$src/examples/python/losscheck_protocol.py" "$py/tests/"
cp "$src/examples/python/my_mse.py" "$py/tests/losscheck_target.py"
TARGET=$(ci_env "$src/examples/ci/github-actions-python.yml" TARGET)
start=$EPOCHREALTIME
status=0
(cd "$py" && "$LOSSCHECK_PREFIX/bin/losscheck" audit --target "$TARGET" --loss mse_loss \
   --fixtures "$LOSSCHECK_PREFIX/share/losscheck/fixtures") > "$py/audit.log" 2>&1 || status=$?
seconds=$(since "$start")
if [ "$status" -eq 0 ]; then
  ok "audit --target '$TARGET' --loss mse_loss exited with 0 ($seconds s): $(grep '^[0-9]* checks:' "$py/audit.log")"
else
  bad "audit --target '$TARGET' --loss mse_loss exited with $status; its output:"; sed 's/^/        /' "$py/audit.log"
fi
write_baseline "$py" 0
run_recipe "$src/examples/ci/github-actions-python.yml" "$py" 0
TARGET=$(ci_env "$src/examples/ci/gitlab-ci-python.yml" TARGET)
run_recipe "$src/examples/ci/gitlab-ci-python.yml" "$py" 0

if [ "$failures" -eq 0 ]; then
  echo "run_locally.sh: every check holds"
else
  echo "run_locally.sh: $failures checks failed"
  exit 1
fi
