#!/usr/bin/python3
"""Prints the table of docs/performance.md from losses_bench's JSON output (--benchmark_format=json or
--benchmark_out): per case, the median times of impl and LibTorch (1 and 2 threads), the ratio LibTorch/impl (> 1:
impl is faster) and each one's bandwidth as a fraction of the triad's at the same thread count. impl is
single-threaded: its one time is compared with LibTorch at 1 and at 2 threads. The "t1 CPU-time ratio" divides the
CPU times of the calling thread instead (at 1 thread both run on it alone): on a loaded machine it leaves out the time
the process waited for a core."""
import json
import sys


def main(path):
    with open(path) as f:
        data = json.load(f)
    med = {}  # run_name -> (ms, bytes)
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"]).removesuffix("/real_time")
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
        med[name] = (b["real_time"] * scale, b.get("bytes", 0.0), b["cpu_time"] * scale)
    triad = {t: med[f"triad/t{t}"][1] / (med[f"triad/t{t}"][0] * 1e-3) for t in (1, 2) if f"triad/t{t}" in med}
    ctx = data.get("context", {})
    print(f"{ctx.get('date', '')}, {ctx.get('num_cpus', '?')} CPUs, "
          + ", ".join(f"triad t{t}: {bw / 1e9:.1f} GB/s" for t, bw in triad.items()))
    print()
    print("| case | dtype | pass | impl ms | LibTorch t1 ms | t1 ratio | LibTorch t2 ms | t2 ratio "
          "| t1 CPU-time ratio | impl BW | LibTorch t1 BW | LibTorch t2 BW |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    keys = []
    for name in med:
        parts = name.split("/")
        if len(parts) == 5 and parts[3] == "impl" and tuple(parts[:3]) not in keys:
            keys.append(tuple(parts[:3]))

    def frac(ms, nbytes, t):
        if t not in triad or ms <= 0:
            return "?"
        return f"{nbytes / (ms * 1e-3) / triad[t] * 100:.0f} %"

    for case, dtype, pas in keys:
        prefix = f"{case}/{dtype}/{pas}"
        impl = med.get(f"{prefix}/impl/t1")
        t1 = med.get(f"{prefix}/torch/t1")
        t2 = med.get(f"{prefix}/torch/t2")
        cells = [case, dtype, pas, f"{impl[0]:.2f}"]
        for t in (t1, t2):
            cells += [f"{t[0]:.2f}", f"{t[0] / impl[0]:.2f}"] if t else ["?", "?"]
        cells.append(f"{t1[2] / impl[2]:.2f}" if t1 and impl[2] > 0 else "?")
        cells.append(frac(impl[0], impl[1], 1))
        cells.append(frac(t1[0], t1[1], 1) if t1 else "?")
        cells.append(frac(t2[0], t2[1], 2) if t2 else "?")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdin")
