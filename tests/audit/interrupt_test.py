"""Ctrl-C during `losscheck audit`: SIGINT while an exec target hangs on a case must stop the
audit promptly (well before the 600 s case timeout), write the JSON, JUnit and HTML reports marked incomplete with the
rows that finished -- all three with the verdict INCOMPLETE, none with a pass -- leave no temporary file and no
process of the target behind, and exit 128 + SIGINT = 130.

  interrupt_test.py LOSSCHECK PYTHON TARGETS_DIR WORK_DIR
"""
import glob
import json
import os
import signal
import subprocess
import sys
import time

losscheck, python, targets, work = sys.argv[1:5]
os.makedirs(work, exist_ok=True)
report = os.path.join(work, "interrupt.json")
junit = os.path.join(work, "interrupt.xml")
page = os.path.join(work, "interrupt.html")
pid_dir = os.path.join(work, "interrupt.pids")
for f in [report, junit, page] + glob.glob(report + ".tmp.*"):
    if os.path.exists(f):
        os.remove(f)
os.makedirs(pid_dir, exist_ok=True)
for f in glob.glob(os.path.join(pid_dir, "*")):
    os.remove(f)
command = [losscheck, "audit", "--loss", "mse_loss", "--dtype", "float64", "--cases", "2", "--timeout", "600",
           "--no-fixtures", "--target", f"exec:{python} {targets}/hangs.py {losscheck}", "--json", report, "--junit", junit,
           "--html", page]
print("replay:", " ".join(repr(c) if " " in c else c for c in command), flush=True)
env = dict(os.environ, LOSSCHECK_TEST_PID_DIR=pid_dir)
proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
# hangs.py hangs on the 3rd case it reads: wait until it has answered two and hangs (its pid file is written at start)
deadline = time.time() + 120
while time.time() < deadline and not os.listdir(pid_dir):
    time.sleep(0.2)
time.sleep(5)  # the two answers (loading LibTorch in the child `losscheck run` takes a few seconds), then the hang
assert proc.poll() is None, f"audit ended before the interrupt: {proc.returncode}\n{proc.stdout.read()}"
t0 = time.time()
proc.send_signal(signal.SIGINT)
try:
    out, err = proc.communicate(timeout=30)
except subprocess.TimeoutExpired:
    proc.kill()
    sys.exit("FAIL: the audit did not stop within 30 s of SIGINT")
took = time.time() - t0
print(out[-3000:])
print(err[-2000:], file=sys.stderr)
print(f"stopped {took:.2f} s after SIGINT, exit {proc.returncode}")
assert proc.returncode == 130, f"exit {proc.returncode}, expected 130"
assert "INCOMPLETE (interrupted)" in out, "the summary does not say the audit was interrupted"
r = json.load(open(report))
assert r["incomplete"] is True and r["incomplete_reason"] == "interrupted", (r["incomplete"], r["incomplete_reason"])
assert r["summary"]["checks"] == len(r["results"]) < r["planned_checks"], (r["summary"], r["planned_checks"])
assert r["verdict"] == "incomplete", f"JSON verdict {r['verdict']!r}"
assert "verdict: INCOMPLETE" in out, "the summary's verdict is not INCOMPLETE"
import xml.dom.minidom
suite = xml.dom.minidom.parse(junit)
props = {p.getAttribute("name"): p.getAttribute("value") for p in suite.getElementsByTagName("property")}
assert props.get("verdict") == "incomplete" and props.get("incomplete") == "interrupted", f"JUnit properties {props}"
errors = [e for e in suite.getElementsByTagName("error") if e.getAttribute("type") == "incomplete"]
assert len(errors) == 1 and errors[0].getAttribute("message").startswith("INCOMPLETE (interrupted): "), \
    "JUnit has no error saying the audit is incomplete"
html = open(page, encoding="utf-8").read()
assert '<span class="v v-incomplete big">INCOMPLETE</span>' in html, "the HTML badge is not INCOMPLETE"
assert "v-pass big" not in html, "the HTML shows a pass badge for an interrupted audit"
assert "INCOMPLETE (interrupted)" in html and "— INCOMPLETE</title>" in html, "the HTML does not say incomplete"
leftovers = glob.glob(os.path.join(work, "interrupt.*.tmp.*"))
assert not leftovers, f"temporary files left: {leftovers}"
time.sleep(0.5)
for f in os.listdir(pid_dir):
    pid = int(open(os.path.join(pid_dir, f)).read().split()[0])
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        continue
    assert state in ("Z", "X"), f"process {pid} of the target is still alive ({state})"
print("ok: interrupted audit wrote an incomplete report and left nothing behind")
