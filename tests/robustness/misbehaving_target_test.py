"""One misbehaving exec target (tests/audit/targets/) under `losscheck audit` or `losscheck run`: the exit code, the
incident named in the output (and, for an audit, in the JSON report), and no process of the target left behind.

  misbehaving_target_test.py --losscheck L --work DIR --name N --rc RC --expect REGEX [--max-rss-mib M]
                             [--big-case ELEMENTS] -- audit|run ARGS...

The target scripts record `pid pgid` of themselves and of their children in $LOSSCHECK_TEST_PID_DIR
(protocol.record_pid); every recorded process must be gone (or a zombie: dead, waiting for init) once losscheck has
exited. `run` reads a small mse_loss case, then one of ELEMENTS float64 elements per input (--big-case, default
100000: 0.9 MB, bigger than any pipe).
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time


def alive(pid):
    """True if pid is a live process (a zombie is dead)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--losscheck", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--rc", type=int, required=True)
    p.add_argument("--expect", required=True)
    p.add_argument("--max-rss-mib", type=int)
    p.add_argument("--big-case", type=int, default=100000)
    p.add_argument("--hang-guard", type=int, default=240,
                   help="seconds after which losscheck is killed and the test fails: it hung")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    command = a.command[1:] if a.command[:1] == ["--"] else a.command
    replay = " ".join([sys.executable] + [x if " " not in x else repr(x) for x in sys.argv])

    pid_dir = os.path.join(a.work, a.name + ".pids")
    shutil.rmtree(pid_dir, ignore_errors=True)
    os.makedirs(pid_dir)
    env = dict(os.environ, LOSSCHECK_TEST_PID_DIR=pid_dir)
    json_report = os.path.join(a.work, a.name + ".json")
    if command[0] == "audit":
        argv = [a.losscheck] + command + ["--json", json_report]
        stdin = None
    else:
        def case(name, n):
            return json.dumps({"id": name, "loss": "mse_loss", "dtype": "float64",
                               "inputs": {"input": {"shape": [n], "data": [0.5] * n},
                                          "target": {"shape": [n], "data": [0.25] * n}}}) + "\n"
        stdin = (case("small", 2) + case("big", a.big_case)).encode()
        argv = [a.losscheck] + command
    t0 = time.monotonic()
    failures = []
    # output to files, not pipes: a process left behind holding them must not hang this test
    out_path, err_path = os.path.join(a.work, a.name + ".out"), os.path.join(a.work, a.name + ".err")
    in_path = os.path.join(a.work, a.name + ".in")
    with open(in_path, "wb") as f:
        f.write(stdin or b"")
    with open(in_path, "rb") as in_f, open(out_path, "wb") as out_f, open(err_path, "wb") as err_f:
        proc = subprocess.Popen(argv, stdin=in_f, stdout=out_f, stderr=err_f, env=env)
        try:
            rc = proc.wait(timeout=a.hang_guard)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
            failures.append(f"losscheck hung: killed after {a.hang_guard} s")
    out = open(out_path, "rb").read()
    err = open(err_path, "rb").read()
    seconds = time.monotonic() - t0
    rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = out.decode(errors="replace")
    err = err.decode(errors="replace")
    print(f"{' '.join(argv)}\nexit {rc} in {seconds:.1f} s, peak RSS {rss_mib:.0f} MiB")

    if rc != a.rc:
        failures.append(f"expected exit {a.rc}, got {rc}")
    if not re.search(a.expect, out):
        failures.append(f"output does not match {a.expect!r}")
    if command[0] == "audit" and a.rc == 1 and rc == 1:
        report = json.load(open(json_report))
        messages = [x["message"] for x in report["results"] if x["verdict"] == "fail"]
        if report["verdict"] != "fail" or not any(re.search(a.expect, m) for m in messages):
            failures.append(f"no failing result of the JSON report names {a.expect!r}: {messages}")
    if a.max_rss_mib and rss_mib > a.max_rss_mib:
        failures.append(f"peak RSS {rss_mib:.0f} MiB is above {a.max_rss_mib} MiB")

    recorded = []
    for name in os.listdir(pid_dir):
        with open(os.path.join(pid_dir, name)) as f:
            recorded.append(tuple(int(x) for x in f.read().split()))
    if not recorded:
        failures.append("the target recorded no process: the check of processes left behind could not run")
    # SIGKILLed processes may take a moment to be torn down and reaped: wait for them, a bounded time
    until = time.monotonic() + 10
    while any(alive(pid) for pid, _ in recorded) and time.monotonic() < until:
        time.sleep(0.05)
    left = [(pid, pgid) for pid, pgid in recorded if alive(pid)]
    if left:
        failures.append(f"processes left behind (pid, pgid): {left}")
        for pid, _ in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    print(f"{len(recorded)} processes of the target recorded, {len(left)} left behind")

    if failures:
        print("FAILED: " + "\n".join(failures))
        print(f"stdout:\n{out[-20000:]}\nstderr:\n{err[-5000:]}")
        print(f"replay: {replay}")
        sys.exit(1)


main()
