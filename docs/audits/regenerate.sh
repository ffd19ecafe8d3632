#!/usr/bin/env bash
# Regenerates docs/audits/{dlib,tiny-dnn}.md and their counterexample fixture files from fresh `losscheck audit` runs
# of the adapters (adapters/). Needs a build with the adapters: BUILD_DIR (default build).
#   docs/audits/regenerate.sh
# The hand checks (docs/audits/notes/*.md) are appended as they are; reread them when a finding changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
audit_one() {  # name title adapter
  local name=$1 title=$2 adapter=$3
  local cmd="$build/losscheck audit --target exec:$build/$adapter --cases 50 --fixtures fixtures --json $name.json --counterexamples docs/audits/$name.counterexamples.json"
  "$build/losscheck" audit --target "exec:$build/$adapter" --cases 50 --fixtures fixtures --json "$tmp/$name.json" \
      --counterexamples "docs/audits/$name.counterexamples.json" > "$tmp/$name.txt" || [ $? -eq 1 ]
  $py tools/audit_markdown.py "$tmp/$name.json" --title "$title" --command "$cmd" \
      --notes "docs/audits/notes/$name.md" > "docs/audits/$name.md"
  echo "docs/audits/$name.md: $(grep -c '^### ' "docs/audits/$name.md") findings"
}
audit_one dlib "dlib 19.24 (Debian libdlib-dev), through adapters/dlib/dlib_exec" dlib_exec
audit_one tiny-dnn "tiny-dnn 1.0.0a3 (Debian tiny-dnn), through adapters/tiny_dnn/tiny_dnn_exec" tiny_dnn_exec
