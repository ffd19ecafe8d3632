#!/usr/bin/python3
"""Prints the table of docs/performance.md from losses_bench's JSON output (--benchmark_format=json or
--benchmark_out): per case, the median times of impl and LibTorch at 1 and 2 threads, the ratios LibTorch/impl at the
same thread count (> 1: impl is faster), each one's bandwidth as a fraction of the triad's at the same thread count,
and impl's allocations per call (max over its rows). The "t1 CPU-time ratio" divides the CPU times of the calling
thread instead (at 1 thread both run on it alone): on a loaded machine it leaves out the time the process waited for
a core. The "kernels" columns time LibTorch with its allocations served from a cache (the torch_kernels rows: its
kernels alone, no page faults) and give impl's ratio against those."""
import json
import sys


def main(path):
    with open(path) as f:
        data = json.load(f)
    med = {}  # run_name -> (ms, bytes, cpu ms, allocs per call)
    peaks = {}  # build -> (vector instructions per ns, lanes)
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        name = b.get("run_name", b["name"]).removesuffix("/real_time")
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
        med[name] = (b["real_time"] * scale, b.get("bytes", 0.0), b["cpu_time"] * scale, b.get("allocs_per_call"))
        if name.startswith("peak/"):
            peaks[name.removeprefix("peak/")] = (b["vector_ops"] / (b["real_time"] * scale * 1e6), b["lanes"])
    triad = {t: med[f"triad/t{t}"][1] / (med[f"triad/t{t}"][0] * 1e-3) for t in (1, 2) if f"triad/t{t}" in med}
    ctx = data.get("context", {})
    print(f"{ctx.get('date', '')}, {ctx.get('num_cpus', '?')} CPUs, "
          + ", ".join(f"triad t{t}: {bw / 1e9:.1f} GB/s" for t, bw in triad.items())
          + "".join(f", peak {isa}: {ops:.2f} vector ops/ns = {ops * lanes:.1f} float ops/ns"
                    for isa, (ops, lanes) in peaks.items()))
    print()
    print("| case | dtype | pass | impl t1 ms | LibTorch t1 ms | t1 ratio | impl t2 ms | LibTorch t2 ms | t2 ratio "
          "| t1 CPU-time ratio | impl t1 BW | impl t2 BW | LibTorch t1 BW | LibTorch t2 BW | impl allocs/call "
          "| kernels t1 ms | kernels t1 ratio | kernels t2 ms | kernels t2 ratio |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: | ---: | ---: | ---: |")
    keys = []
    for name in med:
        parts = name.split("/")
        if len(parts) == 5 and parts[3] == "impl" and tuple(parts[:3]) not in keys:
            keys.append(tuple(parts[:3]))

    def frac(row, t):
        if not row or t not in triad or row[0] <= 0:
            return "?"
        return f"{row[1] / (row[0] * 1e-3) / triad[t] * 100:.0f} %"

    def ms(row):
        return f"{row[0]:.2f}" if row else "?"

    def ratio(a, b, k=0):
        return f"{a[k] / b[k]:.2f}" if a and b and b[k] > 0 else "?"

    for case, dtype, pas in keys:
        prefix = f"{case}/{dtype}/{pas}"
        i1, i2 = med.get(f"{prefix}/impl/t1"), med.get(f"{prefix}/impl/t2")
        t1, t2 = med.get(f"{prefix}/torch/t1"), med.get(f"{prefix}/torch/t2")
        allocs = [r[3] for r in (i1, i2) if r and r[3] is not None]
        k1, k2 = med.get(f"{prefix}/torch_kernels/t1"), med.get(f"{prefix}/torch_kernels/t2")
        cells = [case, dtype, pas, ms(i1), ms(t1), ratio(t1, i1), ms(i2), ms(t2), ratio(t2, i2), ratio(t1, i1, 2),
                 frac(i1, 1), frac(i2, 2), frac(t1, 1), frac(t2, 2), f"{max(allocs):g}" if allocs else "?",
                 ms(k1), ratio(k1, i1), ms(k2), ratio(k2, i2)]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/dev/stdin")
