// Reports rendered from the JSON document of an audit: JUnit XML, HTML, and the merge of sharded runs (report.h).

#include "report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "atomic_file.h"

namespace losscheck::cli {
namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------------------------
// Reading fields: a renderer never throws on a missing or odd optional field; it renders what is there.

std::string str(const json& j, const char* key, const std::string& fallback = "") {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

double num(const json& j, const char* key, double fallback = 0) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

long long integer(const json& j, const char* key, long long fallback = 0) {
  if (!j.is_object()) return fallback;
  const auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<long long>() : fallback;
}

const json& field(const json& j, const char* key) {
  static const json null_value;
  if (!j.is_object()) return null_value;
  const auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

/// A JSON value as text: strings as they are, other scalars as JSON.
std::string text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string seed_text(const json& audit) { return text(field(audit, "seed")); }

/// max_ulps as the audit prints it: a number with two decimals, "inf", or "-" for none.
std::string ulps_text(const json& v) {
  if (v.is_number()) return fmt::format("{:.2f}", v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  return "-";
}

/// The results in plan order (by `order` where every result has one, else as given).
std::vector<const json*> results_of(const json& audit) {
  std::vector<const json*> rs;
  const json& results = field(audit, "results");
  if (!results.is_array()) return rs;
  for (const auto& r : results) rs.push_back(&r);
  const bool ordered = std::all_of(rs.begin(), rs.end(), [](const json* r) { return field(*r, "order").is_number_integer(); });
  if (ordered)
    std::stable_sort(rs.begin(), rs.end(), [](const json* a, const json* b) { return integer(*a, "order") < integer(*b, "order"); });
  return rs;
}

struct counts {
  long long checks = 0, passed = 0, failed = 0, skipped = 0, cases = 0;
};

counts count_results(const json& audit) {
  counts c;
  for (const json* r : results_of(audit)) {
    const std::string v = str(*r, "verdict");
    ++c.checks;
    c.passed += v == "pass", c.failed += v == "fail", c.skipped += v == "skipped";
    c.cases += integer(*r, "cases");
  }
  return c;
}

/// The lines of a failure report that replay it ("replay: …", "replay this property: …").
std::vector<std::string> replay_lines(const std::string& report) {
  std::vector<std::string> out;
  std::istringstream in(report);
  std::string line;
  while (std::getline(in, line)) {
    const auto p = line.find_first_not_of(" \t");
    if (p != std::string::npos && line.compare(p, 6, "replay") == 0) out.push_back(line.substr(p));
  }
  return out;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=+") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

/// "losscheck fixtures verify …" for a counterexample written as a fixture, or "" without one.
std::string fixture_replay(const json& audit, const json& r) {
  const json& f = field(r, "counterexample_fixture");
  const std::string file = str(f, "file"), id = str(f, "id");
  if (file.empty()) return "";
  return fmt::format("losscheck fixtures verify --target {}{} {}", shell_quote(str(audit, "target")),
                     id.empty() ? "" : " --id " + shell_quote(id), shell_quote(file));
}

// ---------------------------------------------------------------------------------------------------------------
// Escaping

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows no control characters but tab, newline and carriage return
        if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') out += '?';
        else out += static_cast<char>(ch);
    }
  }
  return out;
}

/// Text and attribute values alike (&, <, >, ", ' escaped; control characters but tab and newline replaced).
std::string h(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (unsigned char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if ((ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f) out += "\xEF\xBF\xBD";  // U+FFFD
        else out += static_cast<char>(ch);
    }
  }
  return out;
}

/// A fragment identifier from a name: letters, digits, '_' and '-' kept, anything else '-'.
std::string anchor(const std::string& prefix, const std::string& name) {
  std::string out = prefix;
  for (unsigned char ch : name) out += std::isalnum(ch) || ch == '_' || ch == '-' ? static_cast<char>(ch) : '-';
  return out;
}

/// JSON for people: objects one key a line, arrays of scalars on one line (a tensor's data stays one line).
void pretty(const json& v, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  if (v.is_object()) {
    if (v.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    // the keys in the order of docs/format.md (a case, then a tensor), any other key after them by name
    static const std::vector<std::string> first = {"id", "loss", "dtype", "options", "inputs", "grad_output", "shape", "data"};
    std::vector<std::string> keys;
    for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
    auto rank = [&](const std::string& k) { return std::find(first.begin(), first.end(), k) - first.begin(); };
    std::stable_sort(keys.begin(), keys.end(), [&](const std::string& x, const std::string& y) { return rank(x) < rank(y); });
    for (std::size_t i = 0; i < keys.size(); ++i) {
      out += pad + "  " + json(keys[i]).dump(-1, ' ', false, json::error_handler_t::replace) + ": ";
      pretty(v.at(keys[i]), indent + 1, out);
      out += i + 1 < keys.size() ? ",\n" : "\n";
    }
    out += pad + "}";
  } else if (v.is_array() && std::any_of(v.begin(), v.end(), [](const json& e) { return e.is_structured(); })) {
    out += "[\n";
    for (std::size_t i = 0; i < v.size(); ++i) {
      out += pad + "  ";
      pretty(v[i], indent + 1, out);
      out += i + 1 < v.size() ? ",\n" : "\n";
    }
    out += pad + "]";
  } else if (v.is_array()) {
    out += "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i].dump(-1, ' ', false, json::error_handler_t::replace);
    out += "]";
  } else {
    out += v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

std::string pretty(const json& v) {
  std::string out;
  pretty(v, 0, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// HTML pieces

const char* const css = R"(
:root{--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#cf222e;--fail-bg:#ffebe9;--skip:#57606a;--skip-bg:#eaeef2;
--warn:#9a6700;--warn-bg:#fff8c5;--line:#d0d7de;--muted:#57606a;--bar:#0969da}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;
background:#fff;margin:0 auto;max-width:1280px;padding:16px 24px 48px}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid var(--line);
padding-bottom:4px}h3{font-size:15px;margin:22px 0 6px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:6px 0;
white-space:pre-wrap;overflow-wrap:anywhere;max-height:32em;overflow:auto}
table{border-collapse:collapse;margin:6px 0 12px}
table.rows{width:100%}table.rows th{white-space:nowrap}table.rows td:first-child{min-width:16em}table.rows td.n,table.rows td.d{width:1%;white-space:nowrap}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:middle}
th{background:#f6f8fa;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.v{display:inline-block;min-width:4.5em;text-align:center;font-weight:600;border-radius:4px;padding:0 6px}
.v-pass{color:var(--pass);background:var(--pass-bg)}.v-fail{color:var(--fail);background:var(--fail-bg)}
.v-skipped{color:var(--skip);background:var(--skip-bg)}
tr.fail td{background:#fff5f5}
.big{font-size:18px;padding:2px 12px}
.banner{border:1px solid var(--warn);background:var(--warn-bg);color:#4d2d00;border-radius:6px;padding:8px 12px;
margin:10px 0;font-weight:600}
.meta th{width:13em}
.note{color:var(--muted);font-size:12px;max-width:36em}
.cls{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600}
.cls-convention{color:#0550ae;background:#ddf4ff}.cls-bug{color:var(--fail);background:var(--fail-bg)}
.cls-unexplained{color:var(--warn);background:var(--warn-bg)}
.failure{border:1px solid #ffcecb;border-left:4px solid var(--fail);border-radius:6px;padding:4px 14px 10px;
margin:14px 0}
.msg{font-weight:600;overflow-wrap:anywhere}
svg.hist{display:block}svg.hist text{font:8px ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;fill:#57606a}
details summary{cursor:pointer;color:var(--muted)}
a{color:#0969da}
)";

std::string verdict_badge(const std::string& v, const char* extra = "") {
  const std::string cls = v == "pass" || v == "fail" || v == "skipped" ? v : "skipped";
  const std::string label = v == "fail" ? "FAIL" : v;
  return fmt::format("<span class=\"v v-{}{}\">{}</span>", cls, extra, h(label));
}

std::string compact_count(long long n) {
  if (n < 10000) return std::to_string(n);
  if (n < 1000000) return fmt::format("{}k", n / 1000);
  return fmt::format("{}M", n / 1000000);
}

std::string edge_text(double e) {
  if (e == 0.5) return "½";
  if (e == std::floor(e) && std::fabs(e) < 1e15) return fmt::format("{}", static_cast<long long>(e));
  return fmt::format("{:g}", e);
}

/// A bin's upper edge under its bar, short enough for the bar's width: 1024 as "1k".
std::string edge_label(double e) {
  if (e >= 1000 && e == std::floor(e) && std::fmod(e, 1024) == 0 && e < 1e7) return fmt::format("{}k", static_cast<long long>(e / 1024));
  return edge_text(e);
}

/// A check's name with break opportunities after its underscores, so that a long name wraps in a narrow column.
std::string breakable(const std::string& name) {
  std::string out;
  for (const std::string& part : [&] {
         std::vector<std::string> parts;
         std::size_t b = 0;
         for (std::size_t i = 0; i < name.size(); ++i)
           if (name[i] == '_') parts.push_back(name.substr(b, i + 1 - b)), b = i + 1;
         parts.push_back(name.substr(b));
         return parts;
       }())
    out += (out.empty() ? "" : "<wbr>") + h(part);
  return out;
}

/// The histogram of a row's errors in ULPs as an inline SVG bar chart (bar heights on a log scale, counts above the
/// bars, bins below), or "" when the row has none; a malformed histogram is said to be so.
std::string histogram_svg(const json& hist) {
  if (!hist.is_object()) return "";
  const json& edges = field(hist, "edges");
  const json& cs = field(hist, "counts");
  const bool ok = edges.is_array() && cs.is_array() && !edges.empty() && cs.size() == edges.size() + 1 &&
                  std::all_of(edges.begin(), edges.end(), [](const json& e) { return e.is_number(); }) &&
                  std::all_of(cs.begin(), cs.end(), [](const json& c) { return c.is_number_integer() && c.get<long long>() >= 0; });
  if (!ok) return "<span class=\"note\">(malformed histogram)</span>";
  const std::size_t bins = cs.size();
  long long most = 0, total = 0;
  for (const auto& c : cs) most = std::max(most, c.get<long long>()), total += c.get<long long>();
  const int bw = 21, top = 10, bar_h = 22, bottom = 10, width = static_cast<int>(bins) * bw, height = top + bar_h + bottom;
  std::string s = fmt::format("<svg class=\"hist\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\">", width,
                              height, width, height);
  std::string desc;
  for (std::size_t i = 0; i < bins; ++i) {
    const long long c = cs[i].get<long long>();
    std::string bin, label;
    if (i == 0) bin = "exactly 0", label = "0";
    else if (i + 1 == bins) bin = fmt::format("above {} or not finite", edge_text(edges.back().get<double>())), label = ">" + edge_label(edges.back().get<double>());
    else bin = fmt::format("in ({}, {}]", edge_text(edges[i - 1].get<double>()), edge_text(edges[i].get<double>())), label = edge_label(edges[i].get<double>());
    desc += fmt::format("{}{}: {}", i ? "; " : "", bin, c);
    // log scale, so that one large error among thousands of exact results stays visible
    const double frac = c == 0 || most == 0 ? 0 : std::log1p(static_cast<double>(c)) / std::log1p(static_cast<double>(most));
    const int bh = c == 0 ? 0 : std::max(2, static_cast<int>(std::lround(frac * bar_h)));
    const int x = static_cast<int>(i) * bw;
    const char* colour = i + 1 == bins ? "#cf222e" : "#0969da";
    s += fmt::format("<g><title>{} ULPs: {} of {}</title>", h(bin), c, total);
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f6f8fa\"/>", x + 1, top, bw - 2, bar_h);
    if (bh > 0)
      s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>", x + 2, top + bar_h - bh, bw - 4,
                       bh, colour);
    if (c > 0)
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", x + bw / 2, top + bar_h - bh - 2,
                       compact_count(c));
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>", x + bw / 2, height - 2, h(label));
  }
  s += fmt::format("<desc>errors in ULPs: {}</desc></svg>", h(desc));
  return s;
}

void html_meta_row(std::string& o, const std::string& name, const std::string& value_html) {
  o += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", h(name), value_html);
}

std::string join_strings(const json& arr, const char* sep) {
  std::string out;
  if (!arr.is_array()) return text(arr);
  for (std::size_t i = 0; i < arr.size(); ++i) out += (i ? sep : "") + text(arr[i]);
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------

void validate_audit_report(const json& a, const std::string& name) {
  auto bad = [&](const std::string& what) { throw std::invalid_argument(fmt::format("{}: {}", name, what)); };
  if (!a.is_object()) bad("not a losscheck audit report (not a JSON object)");
  if (str(a, "format") != "losscheck-audit")
    bad(fmt::format("not a losscheck audit report (\"format\" is {}, want \"losscheck-audit\")", field(a, "format").dump()));
  if (!field(a, "version").is_number_integer() || field(a, "version").get<long long>() != 1)
    bad(fmt::format("audit report format version {}: this losscheck reads version 1", field(a, "version").dump()));
  if (!field(a, "target").is_string()) bad("\"target\" is missing or not a string");
  if (!field(a, "seed").is_number_unsigned()) bad("\"seed\" is missing or not an unsigned integer");
  if (!field(a, "results").is_array()) bad("\"results\" is missing or not an array");
  std::size_t i = 0;
  for (const auto& r : field(a, "results")) {
    const std::string where = fmt::format("results[{}]", i++);
    if (!r.is_object()) bad(where + " is not an object");
    for (const char* key : {"loss", "check", "dtype", "verdict"})
      if (!field(r, key).is_string()) bad(fmt::format("{}.{} is missing or not a string", where, key));
    const std::string v = str(r, "verdict");
    if (v != "pass" && v != "fail" && v != "skipped")
      bad(fmt::format("{}.verdict is \"{}\" (want pass, fail or skipped)", where, v));
    if (!field(r, "cases").is_number_unsigned()) bad(where + ".cases is missing or not a non-negative integer");
    const json& order = field(r, "order");
    if (!order.is_null() && !order.is_number_unsigned()) bad(where + ".order is not a non-negative integer");
  }
}

std::string junit_from_json(const json& a) {
  const auto rs = results_of(a);
  const counts c = count_results(a);
  const double seconds = num(field(a, "summary"), "seconds");
  const std::string target = str(a, "target");
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuites name=\"losscheck audit\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                   c.checks, c.failed, c.skipped, seconds);
  x += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3f}\">\n",
                   xml_escape("losscheck audit " + target), c.checks, c.failed, c.skipped, seconds);
  x += fmt::format("    <properties><property name=\"seed\" value=\"{}\"/><property name=\"target\" value=\"{}\"/>",
                   xml_escape(seed_text(a)), xml_escape(target));
  if (field(a, "incomplete") == true)
    x += fmt::format("<property name=\"incomplete\" value=\"{}\"/>", xml_escape(str(a, "incomplete_reason", "yes")));
  x += "</properties>\n";
  for (const json* rp : rs) {
    const json& r = *rp;
    const std::string verdict = str(r, "verdict");
    x += fmt::format("    <testcase classname=\"losscheck.{}\" name=\"{}[{}]\" time=\"{:.3f}\"", xml_escape(str(r, "loss")),
                     xml_escape(str(r, "check")), xml_escape(str(r, "dtype")), num(r, "seconds"));
    if (verdict == "pass") {
      x += "/>\n";
      continue;
    }
    x += ">\n";
    if (verdict == "skipped") {
      x += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(str(r, "message")));
    } else {
      std::string body = str(r, "report", str(r, "message"));
      if (!body.empty() && body.back() != '\n') body += '\n';
      if (str(r, "report").find("case: ") == std::string::npos && !field(r, "counterexample").is_null())
        body += "case: " + text(field(r, "counterexample")) + "\n";
      const json& diag = field(r, "diagnosis");
      if (diag.is_array())
        for (const auto& d : diag)
          body += fmt::format("diagnosis ({}): {}{}\n", str(d, "class"), str(d, "finding"),
                              str(d, "detail").empty() ? "" : " -- " + str(d, "detail"));
      if (const std::string replay = fixture_replay(a, r); !replay.empty())
        body += fmt::format("counterexample fixture: {} (id {}); replay: {}\n", str(field(r, "counterexample_fixture"), "file"),
                            str(field(r, "counterexample_fixture"), "id"), replay);
      x += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml_escape(str(r, "message")),
                       xml_escape(str(r, "kind")), xml_escape(body));
    }
    x += "    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

std::string html_from_json(const json& a) {
  const auto rs = results_of(a);
  const counts c = count_results(a);
  const std::string target = str(a, "target");
  const bool incomplete = field(a, "incomplete") == true;
  const std::string verdict = c.failed ? "fail" : !incomplete && c.passed == 0 ? "nothing checked" : "pass";
  const json& summary = field(a, "summary");

  // the losses in the report's order, then any other loss a result names
  std::vector<std::string> losses;
  if (field(a, "losses").is_array())
    for (const auto& l : field(a, "losses"))
      if (l.is_string()) losses.push_back(l.get<std::string>());
  for (const json* r : rs)
    if (std::find(losses.begin(), losses.end(), str(*r, "loss")) == losses.end()) losses.push_back(str(*r, "loss"));

  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // nothing may be fetched: no script, no stylesheet, no image but inline ones
  o += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n";
  o += fmt::format("<title>losscheck audit: {} — {}</title>\n", h(target), incomplete && !c.failed ? "INCOMPLETE" : verdict == "fail" ? "FAIL" : verdict == "nothing checked" ? "NOTHING CHECKED" : "pass");
  o += "<style>" + std::string(css) + "</style>\n</head>\n<body>\n";

  // ---- header ----
  o += fmt::format("<header>\n<h1>losscheck audit {}</h1>\n", verdict_badge(verdict, " big"));
  if (incomplete) {
    const long long planned = integer(a, "planned_checks", -1);
    o += fmt::format("<div class=\"banner\">INCOMPLETE ({}): {} of the {} planned checks ran; the verdict covers only "
                     "those.</div>\n",
                     h(str(a, "incomplete_reason", "reason not given")), c.checks,
                     planned >= 0 ? std::to_string(planned) : std::string("?"));
  }
  o += "<table class=\"meta\">\n";
  html_meta_row(o, "target", "<code>" + h(target) + "</code>");
  html_meta_row(o, "seed", h(seed_text(a)));
  if (!field(a, "cases_per_property").is_null()) html_meta_row(o, "cases per property", h(text(field(a, "cases_per_property"))));
  html_meta_row(o, "losses", h(join_strings(field(a, "losses"), ", ")));
  html_meta_row(o, "dtypes", h(join_strings(field(a, "dtypes"), ", ")));
  if (field(a, "fixtures").is_array())
    html_meta_row(o, "fixture files", field(a, "fixtures").empty() ? std::string("none")
                                                                   : h(join_strings(field(a, "fixtures"), ", ")));
  html_meta_row(o, "summary",
                fmt::format("{} checks: {} passed, {} failed, {} skipped; {} cases in {:.1f} s", c.checks, c.passed,
                            c.failed, c.skipped, c.cases, num(summary, "seconds")));
  if (field(a, "planned_checks").is_number_integer())
    html_meta_row(o, "planned checks", std::to_string(integer(a, "planned_checks")));
  if (field(a, "shard").is_object())
    html_meta_row(o, "shard", fmt::format("{} of {}", integer(field(a, "shard"), "index"), integer(field(a, "shard"), "count")));
  if (field(a, "merged_from").is_number_integer())
    html_meta_row(o, "merged from", fmt::format("{} shards", integer(a, "merged_from")));
  if (field(a, "counterexamples_file").is_string())
    html_meta_row(o, "counterexamples", "<code>" + h(str(a, "counterexamples_file")) + "</code>");
  if (field(a, "losscheck").is_string()) html_meta_row(o, "losscheck", h(str(a, "losscheck")));
  o += "</table>\n</header>\n";

  // ---- per loss, at a glance ----
  o += "<h2>Losses</h2>\n<table>\n<tr><th>loss</th><th>verdict</th><th>passed</th><th>failed</th><th>skipped</th>"
       "<th>cases</th></tr>\n";
  for (const auto& loss : losses) {
    long long lp = 0, lf = 0, ls = 0, lc = 0;
    for (const json* r : rs) {
      if (str(*r, "loss") != loss) continue;
      const std::string v = str(*r, "verdict");
      lp += v == "pass", lf += v == "fail", ls += v == "skipped", lc += integer(*r, "cases");
    }
    const std::string lv = lf ? "fail" : lp ? "pass" : "skipped";
    o += fmt::format("<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                     "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                     anchor("loss-", loss), h(loss), verdict_badge(lv), lp, lf, ls, lc);
  }
  o += "</table>\n";
  o += "<p class=\"note\">Errors in ULPs of the scale (docs/tolerances.md). Histogram bins, labelled by their upper "
       "edge: exactly 0, then (previous edge, edge], then above the last edge or not finite (red); bar heights on a "
       "log scale, counts above the bars.</p>\n";

  // ---- one table per loss (the unsupported column only when a target answered `unsupported`) ----
  const bool any_unsupported = std::any_of(rs.begin(), rs.end(), [](const json* r) { return integer(*r, "unsupported") > 0; });
  for (const auto& loss : losses) {
    o += fmt::format("<h2 id=\"{}\">{}</h2>\n", anchor("loss-", loss), h(loss));
    o += fmt::format("<table class=\"rows\">\n<tr><th>check</th><th>dtype</th><th>verdict</th><th>cases</th>{}"
                     "<th>max ULPs</th><th>errors in ULPs</th><th>note</th></tr>\n",
                     any_unsupported ? "<th>unsupported</th>" : "");
    std::size_t k = 0;
    for (const json* rp : rs) {
      const json& r = *rp;
      ++k;
      if (str(r, "loss") != loss) continue;
      const std::string v = str(r, "verdict");
      const std::string id = fmt::format("r{}", field(r, "order").is_number_integer() ? integer(r, "order") : static_cast<long long>(k - 1));
      std::string check = breakable(str(r, "check"));
      std::string note;
      if (v == "fail") {
        check = fmt::format("<a href=\"#{}\">{}</a>", id, check);
        note = fmt::format("<a href=\"#{}\">failure below</a>", id);
        if (field(r, "diagnosis_class").is_string())
          note += fmt::format(" <span class=\"cls cls-{}\">{}</span>", h(str(r, "diagnosis_class")), h(str(r, "diagnosis_class")));
      } else if (!str(r, "message").empty()) {
        note = h(str(r, "message"));
      }
      if (field(r, "unsupported_grads").is_array() && !field(r, "unsupported_grads").empty())
        note += fmt::format("{}gradients not offered: {}", note.empty() ? "" : "<br>",
                            h(join_strings(field(r, "unsupported_grads"), "; ")));
      o += fmt::format("<tr class=\"{}\"><td>{}</td><td class=\"d\">{}</td><td class=\"d\">{}</td><td class=\"n\">{}</td>{}"
                       "<td class=\"n\">{}</td><td class=\"d\">{}</td><td class=\"note\">{}</td></tr>\n",
                       h(v), check, h(str(r, "dtype")), verdict_badge(v), integer(r, "cases"),
                       any_unsupported ? fmt::format("<td class=\"n\">{}</td>", integer(r, "unsupported")) : "",
                       h(ulps_text(field(r, "max_ulps"))), histogram_svg(field(r, "ulps_histogram")), note);
    }
    o += "</table>\n";
  }

  // ---- the failures ----
  if (c.failed) {
    o += fmt::format("<h2 id=\"failures\">Failures ({})</h2>\n", c.failed);
    std::size_t k = 0;
    for (const json* rp : rs) {
      const json& r = *rp;
      ++k;
      if (str(r, "verdict") != "fail") continue;
      const std::string id = fmt::format("r{}", field(r, "order").is_number_integer() ? integer(r, "order") : static_cast<long long>(k - 1));
      o += fmt::format("<section class=\"failure\" id=\"{}\">\n<h3>{} {} · {} [{}]</h3>\n", id, verdict_badge("fail"),
                       h(str(r, "loss")), breakable(str(r, "check")), h(str(r, "dtype")));
      o += fmt::format("<p class=\"msg\">{}</p>\n", h(str(r, "message")));
      const json& diag = field(r, "diagnosis");
      if (diag.is_array() && !diag.empty()) {
        o += "<p><b>Diagnosis</b></p>\n<ul>\n";
        for (const auto& d : diag) {
          const std::string cls = str(d, "class", "unexplained");
          o += fmt::format("<li><span class=\"cls cls-{}\">{}</span> {}{}</li>\n", h(cls), h(cls), h(str(d, "finding")),
                           str(d, "detail").empty() ? "" : " <span class=\"note\">— " + h(str(d, "detail")) + "</span>");
        }
        o += "</ul>\n";
      } else if (diag.is_array()) {
        o += "<p class=\"note\">Diagnosis: no known mistake reproduces this answer.</p>\n";
      }
      if (!field(r, "counterexample").is_null()) {
        o += "<p><b>Counterexample</b></p>\n<pre>" + h(pretty(field(r, "counterexample"))) + "</pre>\n";
      }
      std::vector<std::string> replays = replay_lines(str(r, "report"));
      if (const std::string fr = fixture_replay(a, r); !fr.empty())
        replays.push_back(fmt::format("replay the counterexample fixture ({}): {}", str(field(r, "counterexample_fixture"), "id"), fr));
      if (!replays.empty()) {
        o += "<p><b>Replay</b></p>\n<pre>";
        for (const auto& l : replays) o += h(l) + "\n";
        o += "</pre>\n";
      }
      if (!str(r, "report").empty())
        o += "<details><summary>the whole report</summary>\n<pre>" + h(str(r, "report")) + "</pre>\n</details>\n";
      o += "</section>\n";
    }
  }
  o += fmt::format("<p class=\"note\">verdict: {}{} · seed {} · written by losscheck {}</p>\n",
                   verdict == "fail" ? "FAIL" : verdict == "nothing checked" ? "NOTHING CHECKED" : "pass", incomplete ? " (incomplete)" : "", h(seed_text(a)),
                   h(str(a, "losscheck", "")));
  o += "</body>\n</html>\n";
  return o;
}

// ---------------------------------------------------------------------------------------------------------------

json merge_reports(const std::vector<json>& shards, const std::vector<std::string>& names_in) {
  if (shards.empty()) throw std::invalid_argument("no report to merge");
  std::vector<std::string> names = names_in;
  for (std::size_t i = names.size(); i < shards.size(); ++i) names.push_back(fmt::format("report {}", i + 1));
  for (std::size_t i = 0; i < shards.size(); ++i) validate_audit_report(shards[i], names[i]);

  // shard I/N of each report; a report without "shard" is an unsharded run, 1/1
  std::vector<long long> index(shards.size()), count(shards.size());
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const json& s = field(shards[i], "shard");
    if (s.is_null()) {
      index[i] = count[i] = 1;
      continue;
    }
    if (!field(s, "index").is_number_integer() || !field(s, "count").is_number_integer() || integer(s, "count") < 1 ||
        integer(s, "index") < 1 || integer(s, "index") > integer(s, "count"))
      throw std::invalid_argument(fmt::format("{}: \"shard\" is {}: want {{\"index\": I, \"count\": N}} with 1 <= I <= N",
                                              names[i], s.dump()));
    index[i] = integer(s, "index"), count[i] = integer(s, "count");
  }
  auto who = [&](std::size_t i) {
    return count[i] == 1 && field(shards[i], "shard").is_null() ? names[i] + " (unsharded)"
                                                                : fmt::format("{} (shard {}/{})", names[i], index[i], count[i]);
  };

  // the same audit: every option that shapes the plan or its cases
  for (std::size_t i = 1; i < shards.size(); ++i) {
    if (count[i] != count[0])
      throw std::invalid_argument(fmt::format("{}: shard count {} differs from {}: {} -- the shards of one audit share N",
                                              who(i), count[i], who(0), count[0]));
    for (const char* key : {"losscheck", "target", "seed", "cases_per_property", "losses", "dtypes", "fixtures",
                            "planned_checks", "properties", "precision"}) {
      const json& x = field(shards[i], key);
      const json& y = field(shards[0], key);
      if (x != y)
        throw std::invalid_argument(fmt::format("{}: \"{}\" is {} but {} has {} -- shards of one audit share it", who(i),
                                                key, x.is_null() ? "missing" : x.dump(), who(0),
                                                y.is_null() ? "none" : y.dump()));
    }
  }
  const long long n = count[0];
  std::map<long long, std::size_t> by_index;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const auto [it, fresh] = by_index.emplace(index[i], i);
    if (!fresh)
      throw std::invalid_argument(fmt::format("shard {}/{} given twice: {} and {}", index[i], n, names[it->second], names[i]));
  }
  for (long long k = 1; k <= n; ++k) {
    if (by_index.count(k)) continue;
    std::vector<std::string> given;
    for (const auto& [idx, i] : by_index) given.push_back(fmt::format("{}/{} {}", idx, n, names[i]));
    throw std::invalid_argument(fmt::format("shard {}/{} missing (given: {})", k, n, fmt::join(given, ", ")));
  }

  // the rows: each of the plan once, in the shard that owns it (order modulo N = I-1)
  const json& planned_j = field(shards[0], "planned_checks");
  if (!planned_j.is_number_unsigned())
    throw std::invalid_argument(fmt::format("{}: \"planned_checks\" is missing or not a non-negative integer", who(0)));
  const long long planned = planned_j.get<long long>();
  std::map<long long, std::pair<std::size_t, const json*>> rows;  // order -> (shard, result)
  bool any_incomplete = false;
  std::string reason;
  double seconds = 0;
  std::vector<std::string> counterexample_files;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const json& s = shards[i];
    const bool inc = field(s, "incomplete") == true;
    if (inc && !any_incomplete) reason = str(s, "incomplete_reason");
    any_incomplete = any_incomplete || inc;
    seconds += num(field(s, "summary"), "seconds");
    if (const std::string f = str(s, "counterexamples_file"); !f.empty() &&
        std::find(counterexample_files.begin(), counterexample_files.end(), f) == counterexample_files.end())
      counterexample_files.push_back(f);
    std::size_t k = 0;
    for (const auto& r : field(s, "results")) {
      const std::string where = fmt::format("{}: results[{}] ({} {} [{}])", who(i), k++, str(r, "loss"), str(r, "check"),
                                            str(r, "dtype"));
      if (!field(r, "order").is_number_unsigned()) throw std::invalid_argument(where + " has no \"order\"");
      const long long order = integer(r, "order");
      if (order >= planned)
        throw std::invalid_argument(fmt::format("{}: order {} is outside the plan of {} checks", where, order, planned));
      if (order % n != index[i] - 1)
        throw std::invalid_argument(fmt::format("{}: order {} belongs to shard {}/{}, not to this one", where, order,
                                                order % n + 1, n));
      const auto [it, fresh] = rows.emplace(order, std::pair{i, &r});
      if (!fresh)
        throw std::invalid_argument(fmt::format("{}: order {} is reported twice (also by {})", where, order,
                                                who(it->second.first)));
    }
  }
  if (!any_incomplete && static_cast<long long>(rows.size()) != planned) {
    std::vector<std::string> missing;
    for (long long k = 0; k < planned && missing.size() < 8; ++k)
      if (!rows.count(k)) missing.push_back(fmt::format("{} (shard {}/{})", k, k % n + 1, n));
    throw std::invalid_argument(fmt::format("{} of the {} planned checks are missing, and no shard says it is incomplete: "
                                            "order {}{}",
                                            planned - static_cast<long long>(rows.size()), planned,
                                            fmt::join(missing, ", "),
                                            planned - static_cast<long long>(rows.size()) > 8 ? ", …" : ""));
  }

  json merged = shards[by_index.at(1)];
  merged.erase("shard");
  merged["merged_from"] = n;
  auto results = json::array();
  for (const auto& [order, sr] : rows) results.push_back(*sr.second);
  merged["results"] = std::move(results);
  const counts c = count_results(merged);
  merged["summary"] = {{"checks", c.checks}, {"passed", c.passed},   {"failed", c.failed},
                       {"skipped", c.skipped}, {"cases", c.cases}, {"seconds", seconds}};
  merged["verdict"] = c.failed ? "fail" : any_incomplete ? "incomplete" : c.passed == 0 ? "nothing checked" : "pass";
  merged["incomplete"] = any_incomplete;
  merged["incomplete_reason"] = any_incomplete && !reason.empty() ? json(reason) : json(nullptr);
  // each result's counterexample_fixture names its shard's file; one name on top only when they share it
  if (merged.contains("counterexamples_file"))
    merged["counterexamples_file"] = counterexample_files.size() == 1 ? json(counterexample_files[0]) : json(nullptr);
  if (counterexample_files.size() > 1) merged["counterexamples_files"] = counterexample_files;
  return merged;
}

// ---------------------------------------------------------------------------------------------------------------

namespace {

json read_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  json j;
  try {
    j = json::parse(ss.str());
  } catch (const json::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}: not JSON: {}", path, e.what()));
  }
  validate_audit_report(j, path);
  return j;
}

}  // namespace

int report_command(const report_options& o, std::ostream& out, std::ostream& err) {
  const std::string cmd = "losscheck report " + o.action;
  json doc;
  try {
    std::vector<json> docs;
    for (const auto& p : o.inputs) docs.push_back(read_report(p));
    if (o.action == "html") {
      if (docs.size() != 1) throw std::invalid_argument(fmt::format("want one JSON report, got {}", docs.size()));
      doc = std::move(docs[0]);
    } else if (o.action == "merge") {
      doc = merge_reports(docs, o.inputs);
    } else {
      throw std::invalid_argument(fmt::format("unknown action '{}' (merge, html)", o.action));
    }
  } catch (const std::exception& e) {
    err << cmd << ": " << e.what() << '\n';
    return 2;
  }

  const counts c = count_results(doc);
  const bool incomplete = field(doc, "incomplete") == true;
  int status = 0;
  if (o.action == "merge") {
    out << fmt::format("losscheck report merge: {} report{} of the audit of {}\n", o.inputs.size(),
                       o.inputs.size() == 1 ? "" : "s", str(doc, "target"));
    for (const json* r : results_of(doc))
      if (str(*r, "verdict") == "fail")
        out << fmt::format("FAIL {} {} [{}]: {}\n", str(*r, "loss"), str(*r, "check"), str(*r, "dtype"), str(*r, "message"));
    out << fmt::format("\n{} checks: {} passed, {} failed, {} skipped; {} cases in {:.1f} s (seed {})\n", c.checks,
                       c.passed, c.failed, c.skipped, c.cases, num(field(doc, "summary"), "seconds"), seed_text(doc));
    if (incomplete)
      out << fmt::format("\nINCOMPLETE ({}): {} of the {} planned checks ran\n", str(doc, "incomplete_reason", "?"),
                         c.checks, integer(doc, "planned_checks"));
    const bool nothing_checked = !c.failed && !incomplete && c.passed == 0;
    out << fmt::format("\nverdict: {}\n", c.failed ? "FAIL" : incomplete ? "INCOMPLETE"
                                           : nothing_checked ? "NOTHING CHECKED (every check was skipped)" : "pass");
    status = c.failed ? 1 : incomplete ? 3 : nothing_checked ? 4 : 0;
  }
  try {
    if (!o.json_path.empty())
      write_file_atomically(o.json_path, doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
    if (!o.junit_path.empty()) write_file_atomically(o.junit_path, junit_from_json(doc));
    if (!o.html_path.empty()) write_file_atomically(o.html_path, html_from_json(doc));
  } catch (const std::exception& e) {
    err << cmd << ": " << e.what() << '\n';
    return 2;
  }
  out.flush();
  return status;
}

}  // namespace losscheck::cli
