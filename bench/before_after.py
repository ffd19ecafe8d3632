#!/usr/bin/python3
"""Paired speed comparison of two builds of losses_bench (e.g. before and after a kernel change) on a shared, noisy
machine: ROUNDS rounds, each running both binaries back to back (their order alternating), 3 repetitions each; prints
per benchmark row the median CPU time of each binary over the rounds and the median of the rounds' paired ratios
(after / before: < 1 is faster). Extra environment for one side: --before-env / --after-env (e.g.
LOSSCHECK_IMPL_ISA=avx2 to compare two builds of the same binary).

Usage: bench/before_after.py BEFORE_BINARY AFTER_BINARY [--rounds 5] [--filter REGEX] [--before-env K=V] [--after-env K=V]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def run(binary, bench_filter, env_items):
    env = dict(os.environ)
    for item in env_items:
        key, _, value = item.partition("=")
        env[key] = value
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([binary, f"--benchmark_filter={bench_filter}", "--benchmark_repetitions=3",
                        "--benchmark_report_aggregates_only=true", "--benchmark_min_time=0.2",
                        f"--benchmark_out={out.name}", "--benchmark_out_format=json"],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        data = json.load(open(out.name))
    times = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
        times[b["run_name"].removesuffix("/real_time")] = b["cpu_time"] * scale
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--filter", default="/impl/")
    parser.add_argument("--before-env", action="append", default=[])
    parser.add_argument("--after-env", action="append", default=[])
    args = parser.parse_args()
    before, after = {}, {}
    for r in range(args.rounds):
        order = [("before", args.before, args.before_env, before), ("after", args.after, args.after_env, after)]
        if r % 2:
            order.reverse()
        for _, binary, env, into in order:
            for name, ms in run(binary, args.filter, env).items():
                into.setdefault(name, []).append(ms)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print(f"{args.rounds} rounds, alternating order; CPU ms medians over the rounds; ratio = median of the paired "
          f"after/before ratios\n")
    print("| case | before CPU ms | after CPU ms | ratio (after / before) | rounds' ratios |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name in before:
        if name not in after:
            continue
        ratios = [a / b for a, b in zip(after[name], before[name])]
        print(f"| {name} | {statistics.median(before[name]):.2f} | {statistics.median(after[name]):.2f} | "
              f"{statistics.median(ratios):.2f} | {' '.join(f'{x:.2f}' for x in ratios)} |")


if __name__ == "__main__":
    main()
