"""`losscheck report` (cli/report.h, docs/audit.md "Reports" and "Sharding"), end to end on real audit reports.

usage: report_test.py TEST --losscheck L --work DIR --python PY --targets DIR [--chromium C]

TEST:
  html            the HTML of a failing audit is well-formed, self-contained, escapes everything, and shows each
                  failure (message, diagnosis, counterexample, replay) and each histogram with the report's counts
  merge_split     a real report split into 3 shards by this script (as --shard would) merges back into it
  merge_errors    shards that are not the N shards of one audit: exit 2 and a message naming the file and field
  merge_shards    `losscheck audit --shard I/3` x3 merged equals the unsharded audit with the same options
  merge_settings  real shards run with another --precision, --cases, --timeout or --property do not merge: exit 2
                  naming the setting; the same settings do
  browser         headless chromium renders the HTML into a non-blank screenshot (exit 77, skipped, without chromium)
"""
import argparse, copy, html.parser, json, os, re, shutil, struct, subprocess, sys, zlib

ap = argparse.ArgumentParser()
ap.add_argument("test")
ap.add_argument("--losscheck", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--python", required=True)
ap.add_argument("--targets", required=True)
ap.add_argument("--chromium", default="")
args = ap.parse_args()
work = os.path.join(args.work, "report_" + args.test)
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
L = args.losscheck
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


def run(cmd, want_rc=None, timeout=600):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if want_rc is not None and p.returncode != want_rc:
        sys.exit(f"{' '.join(cmd)}: exit {p.returncode}, want {want_rc}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def failing_target():
    return f"exec:{args.python} {os.path.join(args.targets, 'mse_times_two.py')} {L}"


def audit(name, extra, want_rc):
    """A real audit report: mse_times_two (mse_loss is twice torch's: failures with a diagnosis) or another target."""
    path = os.path.join(work, name + ".json")
    p = run([L, "audit", "--json", path] + extra, want_rc)
    return path, json.load(open(path)), p.stdout


def write(name, doc):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1) if not isinstance(doc, str) else f.write(doc)
    return path


# ---- HTML ----------------------------------------------------------------------------------------------------------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(html.parser.HTMLParser):
    """Balanced tags, the text, <pre> blocks, the SVG titles of each histogram, every URL-ish attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.text, self.pres, self.svgs, self.tags, self.attrs = [], [], [], [], [], [], []
        self.scatters = 0
        self._pre = self._title = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        if tag == "pre":
            self._pre = []
        if tag == "svg" and dict(attrs).get("class") == "hist":
            self.svgs.append([])
        if tag == "svg" and dict(attrs).get("class") == "scatter":
            self.scatters += 1
        if tag == "title" and "svg" in self.stack:
            self._title = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):  # <rect .../> in SVG
        self.tags.append(tag)
        self.attrs += attrs

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}> at {self.getpos()}")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "pre":
            self.pres.append("".join(self._pre))
            self._pre = None
        if tag == "title" and self._title is not None:
            self.svgs[-1].append("".join(self._title))
            self._title = None

    def handle_data(self, data):
        self.text.append(data)
        if self._pre is not None:
            self._pre.append(data)
        if self._title is not None:
            self._title.append(data)


def parse_html(path):
    raw = open(path, encoding="utf-8").read()
    page = Page()
    page.feed(raw)
    page.close()
    page.raw = raw
    page.all_text = "".join(page.text)
    check(not page.errors, f"{path}: unbalanced tags: {page.errors[:5]}")
    check(not page.stack, f"{path}: tags left open: {page.stack}")
    check(raw.startswith("<!DOCTYPE html>"), f"{path}: no doctype")
    for bad in ("http://", "https://", "//:", "@import", "url("):
        check(bad not in raw.lower(), f"{path}: contains {bad!r}: not self-contained")
    for tag in ("script", "link", "img", "iframe", "object", "embed"):
        check(tag not in page.tags, f"{path}: has a <{tag}>")
    for name, value in page.attrs:
        check(name not in ("src", "srcset") and not name.startswith("on"), f"{path}: attribute {name}={value!r}")
        if name == "href":
            check(value.startswith("#"), f"{path}: link {value!r} leaves the page")
    return page


def histogram_counts(titles):
    """The counts of one SVG histogram, from the <title> of each bar: '... ULPs: 3 of 20'."""
    return [int(re.search(r"ULPs: (\d+) of \d+$", t).group(1)) for t in titles]


def test_html():
    path, doc, _ = audit("fail", ["--target", failing_target(), "--loss", "mse_loss", "--dtype", "float64", "--cases",
                                  "10", "--timeout", "5"], 1)
    out = os.path.join(work, "fail.html")
    run([L, "report", "html", path, "--out", out], 0)
    page = parse_html(out)
    fails = [r for r in doc["results"] if r["verdict"] == "fail"]
    check(fails, "the audit of mse_times_two has no failure")
    check("FAIL" in page.all_text, "no FAIL in the page")
    for r in fails:
        check(r["message"] in page.all_text, f"failure message missing: {r['message'][:80]}")
        for d in r.get("diagnosis") or []:
            check(d["finding"] in page.all_text, f"diagnosis missing: {d['finding']}")
        if r.get("counterexample") is not None:
            shown = []
            for p in page.pres:
                try:
                    shown.append(json.loads(p))
                except ValueError:
                    pass
            check(r["counterexample"] in shown, f"counterexample of {r['check']} not shown as JSON in a <pre>")
        for line in (r.get("report") or "").splitlines():
            if line.strip().startswith("replay"):
                check(line.strip() in page.all_text, f"replay line missing: {line.strip()[:80]}")
    hists = [r["ulps_histogram"] for r in sorted(doc["results"], key=lambda r: r["order"]) if r.get("ulps_histogram")]
    check(hists, "the report has no histogram to draw (the lead's ulps_histogram)")
    check(len(page.svgs) == len(hists), f"{len(page.svgs)} SVG histograms for {len(hists)} rows with a histogram")
    drawn = [histogram_counts(t) for t in page.svgs]
    scattered = [r for r in doc["results"] if r.get("error_points")]
    check(scattered and page.scatters == len(scattered),
          f"{page.scatters} error-versus-magnitude plots for {len(scattered)} rows with error points")
    # rows are drawn per loss in plan order; with one loss that is the plan order
    check(drawn == [h["counts"] for h in hists], f"histogram counts drawn {drawn[:3]} != report {[h['counts'] for h in hists][:3]}")

    # hostile text is escaped, never markup; odd and missing optional fields still render
    evil = copy.deepcopy(doc)
    evil["target"] = "exec:evil <script>alert('t')</script> & \"q\""
    r0 = next(r for r in evil["results"] if r["verdict"] == "fail")
    r0["message"] = "</pre></p><script>alert(1)</script> & <b>bold</b>"
    r0["diagnosis"] = [{"finding": "<img src=x onerror=alert(2)>", "class": "bug\" onclick=\"x", "detail": "a < b"}]
    r0["counterexample"] = {"id": "</pre><script>", "loss": "mse_loss"}
    r0["ulps_histogram"] = {"edges": [0, 1], "counts": [1]}  # malformed: one count short
    evil["incomplete"], evil["incomplete_reason"] = True, "time limit"
    for r in evil["results"][1:]:
        for k in ("ulps_histogram", "diagnosis", "counterexample_fixture", "order", "unsupported_grads", "max_ulps"):
            r.pop(k, None)
    out = os.path.join(work, "evil.html")
    run([L, "report", "html", write("evil.json", evil), "--out", out], 0)
    page = parse_html(out)
    check("script" not in page.tags and "img" not in page.tags, f"markup injected: {set(page.tags)}")
    check(r0["message"] in page.all_text, "the hostile message is not shown as text")
    check(evil["target"] in page.all_text, "the hostile target is not shown as text")
    check("<img src=x onerror=alert(2)>" in page.all_text, "the hostile finding is not shown as text")
    check({"id": "</pre><script>", "loss": "mse_loss"} in [json.loads(p) for p in page.pres if p.startswith("{")],
          "the hostile counterexample is not shown as JSON")
    check("(malformed histogram)" in page.all_text, "a malformed histogram is not said to be so")
    check("INCOMPLETE (time limit)" in page.all_text, "no incomplete marker")

    # bad input: exit 2 with the file named
    p = run([L, "report", "html", write("not_json.json", "{\"format\": "), "--out", os.path.join(work, "x.html")], 2)
    check("not_json.json: not JSON" in p.stderr, f"not JSON: {p.stderr}")
    check(not os.path.exists(os.path.join(work, "x.html")), "an HTML file was written for bad input")


# ---- merge ---------------------------------------------------------------------------------------------------------
TIMING = {"seconds"}


def without_timing(x):
    if isinstance(x, dict):
        return {k: without_timing(v) for k, v in x.items() if k not in TIMING}
    if isinstance(x, list):
        return [without_timing(v) for v in x]
    return x


def split(doc, n):
    """The shards `losscheck audit --shard I/N` writes: rows whose order is I-1 modulo N, summary of its own rows."""
    shards = []
    for i in range(1, n + 1):
        s = copy.deepcopy(doc)
        s["shard"] = {"index": i, "count": n}
        s["results"] = [r for r in doc["results"] if r["order"] % n == i - 1]
        v = [r["verdict"] for r in s["results"]]
        s["summary"] = {"checks": len(v), "passed": v.count("pass"), "failed": v.count("fail"),
                        "skipped": v.count("skipped"), "cases": sum(r["cases"] for r in s["results"]),
                        "seconds": doc["summary"]["seconds"] / n}
        s["verdict"] = "fail" if "fail" in v else "pass"
        shards.append(s)
    return shards


def merge(paths, want_rc, extra=()):
    out = os.path.join(work, "merged.json")
    if os.path.exists(out):
        os.remove(out)
    p = run([L, "report", "merge", *paths, "--json", out, *extra], want_rc)
    return p, (json.load(open(out)) if want_rc in (0, 1, 3) else None)


def summary_line(stdout):
    m = re.search(r"^(\d+ checks: .* cases) in [0-9.]+ s (\(seed \d+\))$", stdout, re.M)
    return m and m.group(1) + " " + m.group(2)


def test_merge_split():
    audit_junit = os.path.join(work, "audit.xml")
    path, doc, audit_out = audit("full", ["--target", failing_target(), "--loss", "mse_loss,nll_loss", "--dtype",
                                          "float64", "--cases", "10", "--timeout", "5", "--junit", audit_junit], 1)
    check(len(doc["results"]) == doc["planned_checks"], f"{len(doc['results'])} results for {doc['planned_checks']} planned")
    paths = [write(f"s{i + 1}.json", s) for i, s in enumerate(split(doc, 3))]
    junit = os.path.join(work, "merged.xml")
    html_out = os.path.join(work, "merged.html")
    p, merged = merge([paths[2], paths[0], paths[1]], 1, ["--junit", junit, "--html", html_out])
    check(merged.pop("merged_from", None) == 3, "merged_from is not 3")
    check(without_timing(merged) == without_timing(doc), "merge of the split shards differs from the report: " +
          ", ".join(k for k in set(merged) | set(doc) if without_timing(merged.get(k)) != without_timing(doc.get(k))))
    check(abs(merged["summary"]["seconds"] - doc["summary"]["seconds"]) < 1e-6, "seconds not summed")
    check(summary_line(p.stdout) == summary_line(audit_out),
          f"merge prints {summary_line(p.stdout)!r}, the audit printed {summary_line(audit_out)!r}")
    check("verdict: FAIL" in p.stdout, "merge does not print the verdict")
    import xml.dom.minidom
    d = xml.dom.minidom.parse(junit)
    check(len(d.getElementsByTagName("testcase")) == len(doc["results"]), "JUnit: a testcase per row")
    check(len(d.getElementsByTagName("failure")) == doc["summary"]["failed"], "JUnit: a failure per failing row")

    # the JUnit rendered from the merged JSON has the testcases, failures (message, type, the report first) and skips
    # of the audit's own JUnit
    def junit_outline(path):
        cases = []
        for c in xml.dom.minidom.parse(path).getElementsByTagName("testcase"):
            f, k = c.getElementsByTagName("failure"), c.getElementsByTagName("skipped")
            body = "".join(n.data for n in f[0].childNodes) if f else ""
            cases.append((c.getAttribute("classname"), c.getAttribute("name"),
                          f and (f[0].getAttribute("message"), f[0].getAttribute("type")),
                          k and k[0].getAttribute("message"), body[:300]))
        return cases
    check(junit_outline(junit) == junit_outline(audit_junit), "JUnit of the merge differs from the audit's JUnit")
    parse_html(html_out)

    # a shard stopped early (time limit) merges into an incomplete report; without the mark it is an error
    passing = copy.deepcopy(doc)
    passing["results"] = [r for r in doc["results"] if r["verdict"] != "fail"]
    for k, r in enumerate(passing["results"]):
        r["order"] = k
    passing["planned_checks"] = len(passing["results"])
    shards = split(passing, 3)
    dropped = shards[1]["results"].pop()
    paths = [write(f"p{i + 1}.json", s) for i, s in enumerate(shards)]
    p = run([L, "report", "merge", *paths], 2)
    check(f"order {dropped['order']} (shard 2/3)" in p.stderr, f"missing row not named: {p.stderr}")
    shards[1]["incomplete"], shards[1]["incomplete_reason"] = True, "time limit"
    paths = [write(f"p{i + 1}.json", s) for i, s in enumerate(shards)]
    p, merged = merge(paths, 3)
    check(merged["incomplete"] is True and merged["incomplete_reason"] == "time limit", "merge is not incomplete")
    check("INCOMPLETE (time limit)" in p.stdout and "verdict: INCOMPLETE" in p.stdout, f"stdout: {p.stdout}")
    check(len(merged["results"]) == passing["planned_checks"] - 1, "incomplete merge: wrong number of rows")


def test_merge_errors():
    path, doc, _ = audit("small", ["--target", "impl", "--loss", "mse_loss", "--cases", "5", "--no-fixtures"], 0)
    shards = split(doc, 3)
    good = [write(f"s{i + 1}.json", s) for i, s in enumerate(shards)]

    def expect(paths, pattern, what):
        p = run([L, "report", "merge", *paths, "--json", os.path.join(work, "never.json")], None)
        check(p.returncode == 2, f"{what}: exit {p.returncode}, want 2\n{p.stdout}{p.stderr}")
        check(re.search(pattern, p.stderr), f"{what}: stderr {p.stderr!r} does not match {pattern!r}")
        check(not os.path.exists(os.path.join(work, "never.json")), f"{what}: a merged report was written")

    def variant(name, i, change):
        s = copy.deepcopy(shards[i])
        change(s)
        return write(name, s)

    expect([good[0], good[2]], r"shard 2/3 missing \(given: 1/3 .*s1\.json, 3/3 .*s3\.json\)", "missing shard")
    expect([good[0], good[1], good[1], good[2]], r"shard 2/3 given twice: .*s2\.json and .*s2\.json", "duplicated shard")
    expect([good[0], variant("seed.json", 1, lambda s: s.update(seed=7)), good[2]],
           r"seed\.json \(shard 2/3\): \"seed\" is 7 but .*s1\.json \(shard 1/3\) has 20240613", "mismatched seed")
    expect([good[0], variant("target.json", 1, lambda s: s.update(target="reference")), good[2]],
           r"target\.json \(shard 2/3\): \"target\" is \"reference\" but", "mismatched target")
    expect([good[0], variant("cases.json", 1, lambda s: s.update(cases_per_property=6)), good[2]],
           r"\"cases_per_property\" is 6", "mismatched cases")
    expect([good[0], variant("losses.json", 1, lambda s: s.update(losses=["kl_div"])), good[2]],
           r"\"losses\" is \[\"kl_div\"\]", "mismatched losses")
    expect([good[0], variant("dtypes.json", 1, lambda s: s.update(dtypes=["float32"])), good[2]],
           r"\"dtypes\" is \[\"float32\"\]", "mismatched dtypes")
    expect([good[0], variant("fixtures.json", 1, lambda s: s.update(fixtures=["x.json"])), good[2]],
           r"\"fixtures\" is \[\"x.json\"\]", "mismatched fixtures")
    expect([good[0], variant("count.json", 1, lambda s: s.update(shard={"index": 2, "count": 4})), good[2]],
           r"count\.json \(shard 2/4\): shard count 4 differs from .*s1\.json \(shard 1/3\): 3", "mismatched N")
    expect([good[0], variant("twice.json", 1, lambda s: s["results"].append(s["results"][0])), good[2]],
           r"twice\.json \(shard 2/3\): results\[\d+\] .*order \d+ is reported twice", "duplicated row")
    expect([good[0], variant("moved.json", 1, lambda s: s["results"].append(shards[2]["results"][0])), good[2]],
           r"order 2 belongs to shard 3/3, not to this one", "a row of another shard")
    expect([good[0], variant("noorder.json", 1, lambda s: s["results"][0].pop("order")), good[2]],
           r"noorder\.json \(shard 2/3\): results\[0\] .* has no \"order\"", "a row without order")
    expect([good[0], variant("v2.json", 1, lambda s: s.update(version=2)), good[2]],
           r"v2\.json: audit report format version 2: this losscheck reads version 1", "another format version")
    expect([good[0], write("notjson.json", "[1, 2"), good[2]], r"notjson\.json: not JSON", "not JSON")
    expect([good[0], os.path.join(work, "absent.json"), good[2]], r"absent\.json: cannot read", "unreadable")
    fixture = os.path.join(os.path.dirname(args.targets), "..", "..", "fixtures", "mse_loss.json")
    # a fixture file (a shard's counterexamples match shard-*.json too) is skipped with a note, never merged
    expect([good[0], fixture, good[2]], r"skipping .*mse_loss\.json: a fixture file.*\n.*shard 2/3 missing",
           "a fixture file in place of a shard")
    p = run([L, "report", "merge", *good, fixture], None)
    check(p.returncode in (0, 1) and "skipping" in p.stderr and "3 reports" in p.stdout,
          f"the shards and a fixture file: exit {p.returncode}\n{p.stdout[:300]}{p.stderr}")
    expect([good[0], variant("verdict.json", 1, lambda s: s["results"][0].update(verdict="maybe")), good[2]],
           r"verdict\.json: results\[0\]\.verdict is \"maybe\"", "a bad verdict")
    p = run([L, "report", "merge", *good, "--json", os.path.join(work, "no", "such", "dir.json")], 2)
    check("cannot write" in p.stderr, f"unwritable output: {p.stderr}")


def test_merge_shards():
    if "--shard" not in run([L, "audit", "--help"], 0).stdout:
        sys.exit("losscheck audit has no --shard")
    opts = ["--target", failing_target(), "--loss", "mse_loss,nll_loss", "--dtype", "float64", "--cases", "10",
            "--timeout", "5"]
    _, full, audit_out = audit("full", opts, 1)
    paths = []
    for i in (1, 2, 3):
        path, s, _ = audit(f"shard{i}", opts + ["--shard", f"{i}/3"], None)
        check(s["shard"] == {"index": i, "count": 3}, f"shard {i}: 'shard' is {s.get('shard')}")
        paths.append(path)
    p, merged = merge(paths, 1 if full["verdict"] == "fail" else 0)
    check(merged.pop("merged_from", None) == 3, "merged_from is not 3")

    # the counterexample files are named after each run's --json: the same content under other names
    def unnamed(doc):
        doc = without_timing(doc)
        doc.pop("counterexamples_file", None)
        doc.pop("counterexamples_files", None)
        for r in doc["results"]:
            if r.get("counterexample_fixture"):
                r["counterexample_fixture"].pop("file")
        return doc

    a, b = unnamed(merged), unnamed(full)
    check(a == b, "merge of 3 shards differs from the unsharded audit: " +
          "; ".join(f"{k}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)) +
          "".join(f"\n  row {x.get('order')}: {sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))}"
                  for x, y in zip(a["results"], b["results"]) if x != y))
    check(summary_line(p.stdout) == summary_line(audit_out),
          f"merge prints {summary_line(p.stdout)!r}, the audit printed {summary_line(audit_out)!r}")


def test_merge_settings():
    base = ["--target", "impl", "--loss", "mse_loss", "--dtype", "float64", "--no-fixtures",
            "--property", "mse_loss_agrees_with_the_reference,sum_reduction_is_sum_of_none"]
    s1, _, _ = audit("s1", base + ["--cases", "5", "--shard", "1/2"], 0)
    s2, _, _ = audit("s2", base + ["--cases", "5", "--shard", "2/2"], 0)
    p, merged = merge([s1, s2], 0)
    check(merged["precision"] == 256 and merged["cases_per_property"] == 5 and merged["timeout"] == 10,
          f"the merged report does not record the settings: {merged.get('precision')}, {merged.get('timeout')}")
    check(len(merged["plan"]) == merged["planned_checks"] == 2, f"plan: {merged.get('plan')}")

    def refused(name, extra, pattern):
        other, _, _ = audit(name, base + ["--shard", "2/2"] + extra, 0)
        p = run([L, "report", "merge", s1, other, "--json", os.path.join(work, "never.json")], None)
        check(p.returncode == 2, f"{name}: exit {p.returncode}, want 2\n{p.stdout}{p.stderr}")
        check(re.search(pattern, p.stderr), f"{name}: stderr {p.stderr!r} does not match {pattern!r}")
        check(not os.path.exists(os.path.join(work, "never.json")), f"{name}: a merged report was written")

    refused("precision", ["--cases", "5", "--precision", "128"],
            r"precision\.json \(shard 2/2\): \"precision\" is 128 but .*s1\.json \(shard 1/2\) has 256 -- shards of "
            r"one audit share it")
    refused("cases", ["--cases", "6"], r"cases\.json \(shard 2/2\): \"cases_per_property\" is 6 but .*s1\.json "
                                      r"\(shard 1/2\) has 5")
    refused("timeout", ["--cases", "5", "--timeout", "3"], r"\"timeout\" is 3\.0 but .* has 10\.0")
    # another --property selection: the plan differs too, but the selection is named first
    other = [a if a != "mse_loss_agrees_with_the_reference,sum_reduction_is_sum_of_none" else
             "sum_reduction_is_sum_of_none,mse_loss_agrees_with_the_reference" for a in base]
    o, _, _ = audit("properties", other + ["--cases", "5", "--shard", "2/2"], 0)
    p = run([L, "report", "merge", s1, o], None)
    check(p.returncode == 2 and '"properties" is ["sum_reduction_is_sum_of_none","mse_loss_agrees_with_the_reference"]'
          in p.stderr, f"properties: exit {p.returncode}: {p.stderr}")


# ---- browser -------------------------------------------------------------------------------------------------------
def png_pixels(path):
    """(width, height, rows of RGBA/RGB bytes) of an 8-bit truecolour PNG, as chromium writes them."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, f"PNG depth {depth} colour type {ctype}"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride, rows, prev = w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def test_browser():
    if not args.chromium:
        print("chromium not found: skipped")
        sys.exit(77)
    path, doc, _ = audit("fail", ["--target", failing_target(), "--loss", "mse_loss,nll_loss", "--dtype", "float64",
                                  "--cases", "10", "--timeout", "5"], 1)
    page = os.path.join(work, "fail.html")
    run([L, "report", "html", path, "--out", page], 0)
    png = os.path.join(work, "fail.png")
    p = run([args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={os.path.join(work, 'profile')}", f"--screenshot={png}", "--window-size=1000,2000",
             "file://" + os.path.abspath(page)], None, timeout=180)
    if not os.path.exists(png):
        sys.exit(f"chromium wrote no screenshot (exit {p.returncode})\n{p.stderr[-2000:]}")
    w, h, bpp, rows = png_pixels(png)
    colours, white, red, green = set(), 0, 0, 0
    for y, row in enumerate(rows):
        for x in range(0, len(row), bpp):
            r, g, b = row[x], row[x + 1], row[x + 2]
            colours.add((r, g, b))
            white += r > 245 and g > 245 and b > 245
            red += y < 1000 and r > 180 and g < 80 and b < 80  # the FAIL badges (#cf222e): findings lead the page
            green += g > 100 and r < 60 and b < 90             # a pass badge's text (#1a7f37)
    print(f"screenshot {w}x{h}: {len(colours)} distinct colours, {100 * white / (w * h):.1f}% white, "
          f"{red} red and {green} green pixels")
    check((w, h) == (1000, 2000), f"screenshot is {w}x{h}")
    check(len(colours) >= 50, f"only {len(colours)} distinct colours: blank or unstyled")
    check(white < 0.97 * w * h, "the screenshot is almost all white")
    check(red > 20, "no red FAIL badge in the first screen (the findings come first)")
    check(green > 20, "no green pass badge (nll_loss) in the first two screens")


{"html": test_html, "merge_split": test_merge_split, "merge_errors": test_merge_errors,
 "merge_shards": test_merge_shards, "merge_settings": test_merge_settings, "browser": test_browser}[args.test]()
if failures:
    sys.exit(f"{len(failures)} failed checks:\n  " + "\n  ".join(failures))
print(f"report {args.test}: ok")
