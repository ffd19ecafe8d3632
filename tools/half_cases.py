#!/usr/bin/python3
"""Half-precision twins of float32 cases: each value rounded to bfloat16 or float16 (by torch's own conversion).

    /usr/bin/python3 tools/half_cases.py bfloat16 fixtures/*.json > bf16.jsonl     # fixture files or JSON-lines cases
    /usr/bin/python3 tools/record_fixtures.py --target 'exec:build/losscheck run --target reference' \\
        --witness reference --out bf16.json bf16.jsonl
    build/losscheck fixtures verify --target impl bf16.json          # or --target libtorch: its half kernels

Only float32 cases are converted (their values are the ones a half kernel meets after an upcast); ids become
"<dtype>/<id>"; values beyond the half range become +-inf, as torch's conversion makes them. The cases keep their
shapes, options and grad_output. Prints JSON lines (docs/format.md).
"""
import json
import sys

import torch

DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16}


def half_tensor(t, name, half):
    if t is None or t.get("dtype") == "int64":
        return t
    special = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}
    values = [special[v] if isinstance(v, str) else float(v) for v in t["data"]]
    rounded = torch.tensor(values, dtype=torch.float64).to(DTYPES[half]).to(torch.float64).tolist()
    data = []
    for v in rounded:
        if v != v:
            data.append("nan")
        elif v in (float("inf"), float("-inf")):
            data.append("inf" if v > 0 else "-inf")
        else:
            data.append(v)  # exactly the half value; losscheck reads it back exactly
    return {"shape": t["shape"], "dtype": half, "data": data}


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in DTYPES:
        sys.exit("usage: half_cases.py bfloat16|float16 FILE...")
    half = sys.argv[1]
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if '"format"' in text[:200]:
            cases = json.loads(text)["cases"]
        else:
            cases = [json.loads(line) for line in text.splitlines() if line.strip()]
        for c in cases:
            if c.get("dtype", "float32") != "float32":
                continue
            c.pop("expected", None)
            c["dtype"] = half
            c["id"] = f"{half}/{c.get('id')}" if not isinstance(c.get("id"), str) else f"{half}/{c['id']}"
            c["inputs"] = {k: half_tensor(v, k, half) for k, v in c["inputs"].items()}
            if c.get("grad_output") is not None:
                c["grad_output"] = half_tensor(c["grad_output"], "grad_output", half)
            print(json.dumps(c, separators=(",", ":")))


if __name__ == "__main__":
    main()
