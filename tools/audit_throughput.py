#!/usr/bin/python3
"""The property audit's throughput per loss: cases per second of `losscheck audit --no-fixtures` (every property of
the loss, each case checked against the 256-bit reference), one loss at a time, as a Markdown table
(docs/performance.md "The harness's own speed").

Usage: tools/audit_throughput.py [--build build] [--target impl] [--cases 100] [--dtype float32,float64] [--seed S]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def audit(losscheck, args, loss, json_path):
    command = [losscheck, "audit", "--target", args.target, "--no-fixtures", "--cases", str(args.cases),
               "--seed", str(args.seed), "--dtype", *args.dtype.split(","), "--json", json_path]
    if loss:
        command += ["--loss", loss]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, 1):  # 1: a check failed (still measured, and reported)
        sys.exit(f"audit_throughput: {' '.join(command)} exited {done.returncode}: {done.stderr.strip()}")
    with open(json_path) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--target", default="impl")
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--dtype", default="float32,float64")
    parser.add_argument("--seed", type=int, default=20240613)
    args = parser.parse_args()
    losscheck = os.path.join(args.build, "losscheck")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "report.json")
        losses = audit(losscheck, argparse.Namespace(**{**vars(args), "cases": 1}), None, path)["losses"]
        rows = []
        for loss in losses:
            report = audit(losscheck, args, loss, path)
            s = report["summary"]
            rows.append((loss, s["checks"], s["cases"], s["seconds"], s["failed"]))
    print(f"`tools/audit_throughput.py --target {args.target} --cases {args.cases} --dtype {args.dtype}` "
          f"(seed {args.seed}; the property suite only, one loss per run)\n")
    print("| loss | checks | cases | seconds | cases/s | failed |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    total_cases = total_seconds = 0
    for loss, checks, cases, seconds, failed in rows:
        rate = cases / seconds if seconds > 0 else float("inf")
        print(f"| {loss} | {checks} | {cases} | {seconds:.2f} | {rate:,.0f} | {failed} |")
        total_cases += cases
        total_seconds += seconds
    print(f"| all | {sum(r[1] for r in rows)} | {total_cases} | {total_seconds:.2f} | "
          f"{total_cases / total_seconds:,.0f} | {sum(r[4] for r in rows)} |")


if __name__ == "__main__":
    main()
