"""Run two programs that speak the losscheck line protocol (docs/format.md) on the same cases and compare results.

Usage:
    /usr/bin/python3 tools/compare.py --cases FILE --a 'CMD' --b 'CMD' [--max-report K]

Both commands are started with /bin/sh -c and fed every non-blank line of FILE on stdin; their stdout lines are the
results, in order. B is the reference (e.g. '/usr/bin/python3 examples/torch_exec.py'). Per case:
  - both `error`: agreement (messages may differ); one `error` and the other not: mismatch;
  - `unsupported` from either: skipped;
  - otherwise the output and each gradient must have the same names, shapes and dtypes, and every value must be
    within the tolerance below (NaN matches NaN, inf matches inf of the same sign, nothing else matches them).
Prints a summary (cases, agreed, mismatched by loss) and the first K mismatches with the case, both results and the
worst element. Exit status 0 if everything agrees, 1 otherwise, 2 if the cases file cannot be read.
"""

import argparse
import collections
import json
import math
import subprocess
import sys
import threading

# Tolerance. For each element, |a - b| <= tol * (|b| + s), with tol = 64 * eps(dtype) (eps = 2^-23 for float32,
# 2^-52 for float64) and s the RMS magnitude of the finite b-values of that same tensor. The |b| term is a relative
# bound of 64 ulps; the s term judges the tiny elements of a tensor against the tensor's size, since an element that
# is the difference of much larger terms (a gradient softmax - onehot, a loss near 0, a sum of mixed signs) carries
# an absolute error of the order of the other elements, not of itself. This is a loose screening bound, not a proof
# of accuracy: torch's own float32 kernels lose accuracy in some regimes (cancellation in log(1 - x), sums of many
# terms, large logits), so a mismatch against torch may be torch's error rather than the program's. The report shows
# both values and the worst element so that a reader can tell which side is wrong.
ULPS = 64
EPS = {"float32": 2.0 ** -23, "float64": 2.0 ** -52}


def run(cmd, text, out, key):
    proc = subprocess.run(["/bin/sh", "-c", cmd], input=text, stdout=subprocess.PIPE, text=True)
    out[key] = (proc.stdout.splitlines(), proc.returncode)


def value(x):
    return float(x)  # JSON numbers, and the strings "nan", "inf", "-inf"


def rms(values):
    finite = [abs(v) for v in values if math.isfinite(v)]
    m = max(finite, default=0.0)
    return 0.0 if m == 0 else m * math.sqrt(sum((v / m) ** 2 for v in finite) / len(finite))


def compare_tensor(name, ta, tb, case_dtype):
    """Returns (problem or None, worst element description, worst ratio)."""
    if not isinstance(ta, dict) or not isinstance(tb, dict):
        return f"{name}: missing or not a tensor", None, math.inf
    if ta.get("shape") != tb.get("shape"):
        return f"{name}: shape {ta.get('shape')} vs {tb.get('shape')}", None, math.inf
    dtype_a, dtype_b = ta.get("dtype", case_dtype), tb.get("dtype", case_dtype)
    if dtype_a != dtype_b:
        return f"{name}: dtype {dtype_a} vs {dtype_b}", None, math.inf
    try:
        a, b = [value(x) for x in ta["data"]], [value(x) for x in tb["data"]]
    except (KeyError, TypeError, ValueError):
        return f"{name}: bad data", None, math.inf
    if len(a) != len(b):
        return f"{name}: {len(a)} vs {len(b)} values", None, math.inf
    tol, s = ULPS * EPS.get(dtype_b, EPS["float32"]), rms(b)
    worst, worst_ratio = None, -1.0
    for i, (x, y) in enumerate(zip(a, b)):
        if math.isnan(x) and math.isnan(y):
            ratio = 0.0
        elif math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
            ratio = 0.0 if x == y else math.inf
        else:
            bound = tol * (abs(y) + s)
            ratio = abs(x - y) / bound if bound > 0 else (0.0 if x == y else math.inf)
        if ratio > worst_ratio:
            worst, worst_ratio = f"{name}[{i}]: a={x!r} b={y!r} |a-b|/bound={ratio:.3g}", ratio
    return (f"{name}: values differ" if worst_ratio > 1 else None), worst, worst_ratio


def compare_result(case, ra, rb):
    """Returns ("agree" | "both_error" | "skipped" | "mismatch", reason, worst element)."""
    for who, r in (("A", ra), ("B", rb)):
        if r is None:
            return "mismatch", f"no result from {who}", None
        if not isinstance(r, dict) or r.get("id") != case.get("id"):
            return "mismatch", f"{who}'s result does not echo the case id", None
    if "unsupported" in ra or "unsupported" in rb:
        return "skipped", "unsupported", None
    if "error" in ra and "error" in rb:
        return "both_error", None, None
    if "error" in ra or "error" in rb:
        return "mismatch", f"only {'A' if 'error' in ra else 'B'} reports an error", None
    grads_a, grads_b = ra.get("grads") or {}, rb.get("grads") or {}
    if sorted(grads_a) != sorted(grads_b):
        return "mismatch", f"gradients {sorted(grads_a)} vs {sorted(grads_b)}", None
    case_dtype = case.get("dtype", "float32")
    problems, worst, worst_ratio = [], None, -1.0
    pairs = [("output", ra.get("output"), rb.get("output"))] + [(n, grads_a[n], grads_b[n]) for n in sorted(grads_b)]
    for name, ta, tb in pairs:
        problem, element, ratio = compare_tensor(name, ta, tb, case_dtype)
        if problem:
            problems.append(problem)
        if element and ratio > worst_ratio:
            worst, worst_ratio = element, ratio
    return ("mismatch" if problems else "agree"), "; ".join(problems) or None, worst


def parse(line):
    try:
        return json.loads(line)
    except (json.JSONDecodeError, TypeError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", required=True, help="file of cases, one JSON object per line")
    parser.add_argument("--a", required=True, help="command of the program under test")
    parser.add_argument("--b", required=True, help="command of the reference program")
    parser.add_argument("--max-report", type=int, default=10, metavar="K", help="mismatches to show (default 10)")
    args = parser.parse_args()

    try:
        with open(args.cases) as f:
            lines = [line.rstrip("\n") for line in f if line.strip()]
        cases = [json.loads(line) for line in lines]
    except (OSError, json.JSONDecodeError) as e:
        print(f"compare.py: cannot read cases from {args.cases}: {e}", file=sys.stderr)
        sys.exit(2)
    text = "".join(line + "\n" for line in lines)
    out = {}
    threads = [threading.Thread(target=run, args=(cmd, text, out, key)) for key, cmd in (("a", args.a), ("b", args.b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    counts, mismatched_by_loss, reports = collections.Counter(), collections.Counter(), []
    for key, label in (("a", "A"), ("b", "B")):
        results, rc = out[key]
        if rc != 0 or len(results) != len(cases):
            print(f"warning: {label} exited with status {rc} after {len(results)} results for {len(cases)} cases",
                  file=sys.stderr)
    for i, (case, line) in enumerate(zip(cases, lines)):
        raw_a = out["a"][0][i] if i < len(out["a"][0]) else None
        raw_b = out["b"][0][i] if i < len(out["b"][0]) else None
        verdict, reason, worst = compare_result(case, parse(raw_a), parse(raw_b))
        counts[verdict] += 1
        if verdict == "mismatch":
            mismatched_by_loss[case.get("loss")] += 1
            if len(reports) < args.max_report:
                reports.append((line, raw_a, raw_b, reason, worst))

    agreed = counts["agree"] + counts["both_error"]
    print(f"cases: {len(cases)}  agreed: {agreed} ({counts['agree']} with values, {counts['both_error']} both errors)"
          f"  skipped (unsupported): {counts['skipped']}  mismatched: {counts['mismatch']}")
    for loss, n in sorted(mismatched_by_loss.items(), key=lambda kv: str(kv[0])):
        print(f"  mismatched {loss}: {n}")
    for n, (line, raw_a, raw_b, reason, worst) in enumerate(reports, 1):
        print(f"\n--- mismatch {n}: {reason}")
        if worst:
            print(f"worst element: {worst}")
        print(f"case: {line}\nA:    {raw_a}\nB:    {raw_b}")
    sys.exit(0 if counts["mismatch"] == 0 else 1)


if __name__ == "__main__":
    main()
