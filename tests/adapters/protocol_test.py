"""Protocol smoke test of an exec adapter (docs/format.md).

Feeds protocol_cases.jsonl (valid cases, unsupported ones, malformed JSON, invalid cases, a blank line) and checks
that every non-blank line gets exactly one answer line, in order, each a JSON object echoing the case's id (null where
the line is not a JSON object), of the expected kind (output / unsupported / error, listed per adapter in
tests/adapters/CMakeLists.txt); that answers with an output carry a 0-D output and a gradient of the input shaped like
the input; and that the program exits 0 at end of input.

usage: protocol_test.py ADAPTER CASES KIND,KIND,...
"""
import json, subprocess, sys

exe, cases_path, kinds = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
text = open(cases_path).read()
cases = [l for l in text.splitlines() if l.strip()]
p = subprocess.run([exe], input=text, capture_output=True, text=True, timeout=60)
fail = []
if p.returncode != 0:
    fail.append(f"exit {p.returncode}, stderr: {p.stderr}")
answers = p.stdout.splitlines()
if len(answers) != len(cases) or len(kinds) != len(cases):
    fail.append(f"{len(cases)} non-blank case lines, {len(answers)} answers, {len(kinds)} expected kinds")
for i, (case, answer, kind) in enumerate(zip(cases, answers, kinds)):
    where = f"line {i} ({case[:60]}...): replay: sed -n '{i + 1}p' <non-blank lines of {cases_path}> | {exe}"
    try:
        a = json.loads(answer)
        assert isinstance(a, dict)
    except Exception:
        fail.append(f"{where}: answer is not a JSON object: {answer}")
        continue
    try:
        c = json.loads(case)
        want_id = c.get("id") if isinstance(c, dict) else None
    except ValueError:
        want_id = None
    if "id" not in a or a["id"] != want_id:
        fail.append(f"{where}: id {a.get('id', '<missing>')!r}, expected {want_id!r}")
    if kind not in a:
        fail.append(f"{where}: expected '{kind}', got {answer}")
    elif kind == "output":
        grad = a.get("grads", {}).get("input", {})
        if a["output"].get("shape") != [] or grad.get("shape") != c["inputs"]["input"]["shape"]:
            fail.append(f"{where}: output shape {a['output'].get('shape')} (want []), grads.input shape "
                        f"{grad.get('shape')} (want {c['inputs']['input']['shape']})")
if fail:
    sys.exit("\n".join(fail) + "\nanswers:\n" + p.stdout)
print(f"{len(cases)} answers: ids and kinds as expected")
