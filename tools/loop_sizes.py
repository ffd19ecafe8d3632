#!/usr/bin/python3
"""Instructions per iteration of the innermost loops of a compiled function (the roofline's operation counts in
docs/performance.md): the backward jumps of `objdump -d` of OBJECT within the function whose demangled name contains
PATTERN, each with the instructions from its target to the jump and how many of them are vector (xmm/ymm/zmm) ones.

Usage: tools/loop_sizes.py OBJECT PATTERN
"""
import re
import subprocess
import sys


def main(obj, pattern):
    text = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", obj], capture_output=True, text=True,
                          check=True).stdout
    functions = re.split(r"\n(?=[0-9a-f]+ <)", text)
    for fn in functions:
        header = fn.split("\n", 1)[0]
        if pattern not in header:
            continue
        lines = []
        for line in fn.split("\n")[1:]:
            m = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)", line)
            if m:
                lines.append((int(m.group(1), 16), m.group(2), m.group(3)))
        print(header[:160])
        for i, (addr, op, args) in enumerate(lines):
            if not op.startswith("j"):
                continue
            t = re.match(r"([0-9a-f]+) <", args)
            if not t or int(t.group(1), 16) >= addr:
                continue
            target = int(t.group(1), 16)
            body = [l for l in lines[: i + 1] if l[0] >= target]
            vector = sum(1 for l in body if re.search(r"%[xyz]mm", l[2]))
            print(f"  loop {target:x}..{addr:x}: {len(body)} instructions, {vector} vector")


if __name__ == "__main__":
    main(*sys.argv[1:3])
