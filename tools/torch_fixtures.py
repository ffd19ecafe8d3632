#!/usr/bin/python3
"""Turn cases (JSON lines) into a losscheck fixture file whose expected results come from Python torch.

    /usr/bin/python3 tools/torch_fixtures.py < cases.jsonl > torch.json
    build/losscheck fixtures verify --target impl torch.json

Each case is evaluated by examples/torch_exec.py's evaluation (torch.nn.functional of Debian's python3-torch, one
thread); its result becomes the case's "expected" (docs/format.md, "Fixture files"). This is how cases nobody on the
project has seen are checked against torch under the tolerance model of docs/tolerances.md.
"""
import json
import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import torch  # noqa: E402
import torch_exec  # noqa: E402


def main():
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    generator = {"tool": "tools/torch_fixtures.py", "torch": torch.__version__, "threads": 1,
                 "source": "Python torch.nn.functional via examples/torch_exec.py"}
    out = ['{"format":"losscheck-fixtures","version":1,', '"generator":' + json.dumps(generator) + ",", '"cases":[']
    lines = []
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except ValueError as e:
            sys.exit(f"torch_fixtures.py: line {number}: malformed JSON: {e}")
        case = json.loads(line, parse_float=torch_exec.RawFloat, parse_constant=torch_exec.reject_constant)
        result = json.loads(torch_exec.result_line(case))
        result.pop("id", None)
        text = line.strip()
        assert text.endswith("}")
        lines.append(text[:-1] + ', "expected": ' + json.dumps(result) + "}")
    out.append(",\n".join(lines))
    out.append("]}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
