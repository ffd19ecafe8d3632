"""Shared by the deliberately broken exec targets of tests/audit: a correct answerer (`losscheck run --target impl`,
started as a child) and a loop that lets each target corrupt the conversation in its own way."""
import json
import os
import subprocess
import sys


def record_pid(pid=None):
    """Writes `pid pgid` of a process (default: this one) to a file in $LOSSCHECK_TEST_PID_DIR, if set, so that the
    test can check afterwards that losscheck left no process of the target behind."""
    pid_dir = os.environ.get("LOSSCHECK_TEST_PID_DIR")
    if not pid_dir:
        return
    pid = os.getpid() if pid is None else pid
    with open(os.path.join(pid_dir, str(pid)), "w") as f:
        f.write(f"{pid} {os.getpgid(pid)}\n")


def serve(respond):
    """Reads cases on stdin; for the n-th case (from 1) calls respond(n, case_line, answer) where answer() returns
    the correct result line of losscheck's impl; writes what respond returns (None: nothing) and flushes."""
    losscheck = sys.argv[1]
    record_pid()
    impl = subprocess.Popen([losscheck, "run", "--target", "impl"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, bufsize=1)
    record_pid(impl.pid)

    def answer(line):
        impl.stdin.write(line if line.endswith("\n") else line + "\n")
        impl.stdin.flush()
        return impl.stdout.readline().rstrip("\n")

    n = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        n += 1
        out = respond(n, line, answer)
        if out is not None:
            sys.stdout.write(out + "\n")
            sys.stdout.flush()


def loads(line):
    return json.loads(line)


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))
