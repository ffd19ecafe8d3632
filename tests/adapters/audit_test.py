"""`losscheck audit --target exec:<adapter>` end to end.

The audit completes (exit 0 or 1: the verdicts are whatever the library earns), its JSON report is well-formed and
agrees with the exit code, every row has a verdict, every loss the adapter supports has a row that ran cases (its
answers were taken, not all `unsupported`), and no loss it does not support has a failing row.

usage: audit_test.py LOSSCHECK ADAPTER REPORT CASES LOSS,LOSS,...   (the losses the adapter supports)
"""
import json, subprocess, sys

losscheck, exe, report, cases, supported = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(",")
# the supported losses and one the adapters do not support (nll_loss: its valid cases must come back `unsupported`);
# the other losses would only repeat that (and cost ~25 s of CI per adapter)
audited = supported + ["nll_loss"]
cmd = [losscheck, "audit", "--target", f"exec:{exe}", "--cases", cases, "--loss", ",".join(audited),
       "--json", report]
replay = "replay: " + " ".join(f"'{a}'" if " " in a or ":" in a else a for a in cmd)
p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
if p.returncode not in (0, 1):
    sys.exit(f"audit exit {p.returncode} (want 0 or 1)\n{p.stdout}\n{p.stderr}\n{replay}")
r = json.load(open(report))
fail = []
if r.get("format") != "losscheck-audit":
    fail.append(f"format {r.get('format')!r}")
if r.get("verdict") != ("pass" if p.returncode == 0 else "fail"):
    fail.append(f"exit {p.returncode} but verdict {r.get('verdict')!r}")
rows = r.get("results", [])
if not rows:
    fail.append("no results")
ran = set()
for x in rows:
    if x.get("verdict") not in ("pass", "fail", "skipped"):
        fail.append(f"row {x.get('loss')} {x.get('check')}: verdict {x.get('verdict')!r}")
    if x["verdict"] != "skipped" and x.get("cases", 0) > 0:
        ran.add(x["loss"])
    # a loss the adapter does not support can still pass rows: invalid cases are rejected before `unsupported`
    if x["loss"] not in supported and x["verdict"] == "fail":
        fail.append(f"row {x['loss']} {x['check']}: fails, but the adapter answers every valid {x['loss']} case "
                    "unsupported")
if r["summary"]["failed"] != sum(x["verdict"] == "fail" for x in rows):
    fail.append("summary.failed disagrees with the rows")
for loss in supported:
    if loss not in ran:
        fail.append(f"no row of {loss} ran a case: the adapter answered all of them unsupported")
if fail:
    sys.exit("\n".join(fail) + "\n" + replay)
print(f"audit of {exe}: exit {p.returncode}, {len(rows)} rows, {r['summary']['failed']} failing")
