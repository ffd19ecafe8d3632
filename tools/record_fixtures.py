#!/usr/bin/python3
"""Record any exec target's answers as a losscheck fixture file: freeze a framework's outputs, diff later versions.

    /usr/bin/python3 tools/record_fixtures.py --target 'exec:/usr/bin/python3 examples/torch_exec.py' \\
        --witness torch --witness-version 1.13.1 --out torch-1.13.json fixtures/*.json
    build/losscheck fixtures verify --target 'exec:...the next version...' torch-1.13.json   # later: same answers?
    build/losscheck fixtures diff fixtures/mse_loss.json torch-1.13.json                     # who agrees with whom

The cases come from fixture files (their "expected" is dropped) or from files of cases, one JSON case per line
(docs/format.md). Each is sent to the program, which speaks losscheck's line protocol (one case per line on its
stdin, one result per line on its stdout); its answer becomes the case's "expected":

- an output with gradients is recorded as is; gradients it lists in "unsupported_grads" stay listed there (the
  witness did not record them; `fixtures verify` does not compare them); --forward-only drops every gradient
  (an "expected" without "grads": only outputs are compared);
- an "error" is recorded as the expected error;
- an "unsupported" answer is not recorded: the case is left out, counted and its reasons summarized on stderr.

The file names its witness ("witness": name, version, and --witness-rtol/--witness-atol as its own tolerance,
shown by `fixtures verify`, never used). Needs only Python's standard library; the program is started once, through
the shell, and must answer each case within --timeout seconds. Exit 0 when the file is written, 1 when the program
failed (died, hung, answered out of order or not in the protocol: named with the case), 2 for bad arguments or input.
"""
import argparse
import json
import os
import select
import signal
import subprocess
import sys
import time

FORMAT = "losscheck-fixtures"
VERSION = 1


class Failure(Exception):
    """The program broke the protocol; the message names the case."""


class Usage(Exception):
    """Bad input: an unreadable or malformed file, a duplicate id."""


def read_cases(path):
    """The cases of a fixture file (without "expected") or of a JSON-lines file of cases, as JSON objects."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise Usage(f"{path}: cannot read: {e.strerror}")
    stripped = text.lstrip()
    if stripped.startswith("{") and '"format"' in stripped[:200]:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise Usage(f"{path}: invalid JSON: {e}")
        if doc.get("format") != FORMAT or not isinstance(doc.get("cases"), list):
            raise Usage(f'{path}: not a fixture file ("format": "{FORMAT}" with "cases")')
        cases = []
        for c in doc["cases"]:
            if not isinstance(c, dict):
                raise Usage(f"{path}: a case is not a JSON object")
            c = dict(c)
            c.pop("expected", None)
            cases.append(c)
        return cases
    cases = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            c = json.loads(line)
        except json.JSONDecodeError as e:
            raise Usage(f"{path}: line {number}: invalid JSON: {e}")
        if not isinstance(c, dict):
            raise Usage(f"{path}: line {number}: a case must be a JSON object")
        cases.append(c)
    return cases


class Program:
    """The exec target: one process, one case per line in, one result per line out."""

    def __init__(self, command, timeout):
        self.command, self.timeout = command, timeout
        # its own process group: a broken program is killed with everything it started
        self.proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     bufsize=0, start_new_session=True)
        self.buffer = b""

    def ask(self, case_line, what):
        try:
            self.proc.stdin.write(case_line.encode("utf-8") + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise Failure(f"{what}: the program closed its input (exit status {self.proc.poll()})")
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure(f"{what}: no answer within {self.timeout:g} s")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            if not chunk:
                raise Failure(f"{what}: the program ended without answering (exit status {self.proc.wait()})")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise Failure(f"{what}: the answer is not JSON ({e}): {line[:200]!r}")

    def close(self, broken=False):
        """Ends the program: closes its input and waits (10 s at most), or, when it is broken, kills it."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=0 if broken else 10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()


def expected_of(result, forward_only, what):
    """The "expected" object a result becomes, or None for an unsupported answer."""
    if not isinstance(result, dict):
        raise Failure(f"{what}: the answer is not a JSON object")
    if "unsupported" in result:
        return None
    if "error" in result:
        return {"error": result["error"]}
    if "output" not in result:
        raise Failure(f'{what}: the answer has no "output", "error" or "unsupported": {json.dumps(result)[:200]}')
    expected = {"output": result["output"]}
    if not forward_only:
        expected["grads"] = result.get("grads") or {}
        if result.get("unsupported_grads"):
            expected["unsupported_grads"] = result["unsupported_grads"]
    return expected


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", required=True, help="exec:COMMAND (the program, run through the shell)")
    parser.add_argument("--witness", required=True, help="the witness's name (e.g. torch, jax, mylib)")
    parser.add_argument("--witness-version", default="", help="its version")
    parser.add_argument("--witness-rtol", type=float, help="its own relative tolerance (shown, not used)")
    parser.add_argument("--witness-atol", type=float, help="its own absolute tolerance (shown, not used)")
    parser.add_argument("--forward-only", action="store_true", help="record outputs only, no gradients")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per case (default 60)")
    parser.add_argument("--out", required=True, help="the fixture file to write")
    parser.add_argument("files", nargs="+", help="fixture files or JSON-lines case files")
    args = parser.parse_args()
    if not args.target.startswith("exec:") or not args.target[5:].strip():
        parser.error("--target must be exec:COMMAND")

    sources = [(path, read_cases(path)) for path in args.files]  # raises Usage
    total = sum(len(cases) for _, cases in sources)
    program = Program(args.target[5:], args.timeout)
    recorded, skipped, reasons, errors, ids = [], 0, {}, 0, set()
    try:
        for path, cases in sources:
            for index, case in enumerate(cases):
                case_id = json.dumps(case.get("id"))
                what = f"{path} case {index} (id {case_id})"
                if case_id in ids:
                    program.close()
                    raise Usage(f"{what}: duplicate id (ids must be unique in the recording)")
                ids.add(case_id)
                line = json.dumps(case, separators=(",", ":"))
                result = program.ask(line, what)
                if not isinstance(result, dict) or json.dumps(result.get("id")) != case_id:
                    got = json.dumps(result.get("id")) if isinstance(result, dict) else "none"
                    raise Failure(f"{what}: the answer carries id {got} (out of order or not echoed)")
                expected = expected_of(result, args.forward_only, what)
                if expected is None:
                    skipped += 1
                    reason = str(result["unsupported"])
                    reasons[reason] = reasons.get(reason, 0) + 1
                    continue
                errors += "error" in expected
                recorded.append(line[:-1] + ',"expected":' + json.dumps(expected, separators=(",", ":")) + "}")
    except Failure as e:
        program.close(broken=True)
        print(f"record_fixtures: {e}", file=sys.stderr)
        return 1
    program.close()

    witness = {"name": args.witness, "version": args.witness_version}
    tolerance = {k: v for k, v in (("rtol", args.witness_rtol), ("atol", args.witness_atol)) if v is not None}
    if tolerance:
        witness["tolerance"] = tolerance
    generator = {"tool": "tools/record_fixtures.py", "target": args.target, "sources": args.files,
                 "forward_only": args.forward_only, "recorded": len(recorded), "unsupported": skipped}
    text = ('{"format":"%s","version":%d,\n"generator":%s,\n"witness":%s,\n"cases":[\n' %
            (FORMAT, VERSION, json.dumps(generator, separators=(",", ":")), json.dumps(witness, separators=(",", ":"))))
    text += ",\n".join(recorded) + ("\n" if recorded else "") + "]}\n"
    temporary = args.out + ".tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, args.out)
    except OSError as e:
        raise Usage(f"{args.out}: cannot write: {e.strerror}")
    print(f"recorded {len(recorded)} of {total} cases from {args.witness} {args.witness_version}".rstrip()
          + f" ({errors} errors{', outputs only' if args.forward_only else ''}) into {args.out}", file=sys.stderr)
    if skipped:
        summary = "; ".join(f"{n} x {r}" for r, n in sorted(reasons.items(), key=lambda x: -x[1])[:5])
        print(f"left out {skipped} cases the program answered unsupported: {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Usage as e:
        print(f"record_fixtures: {e}", file=sys.stderr)
        sys.exit(2)
