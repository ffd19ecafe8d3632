// The renderer of a report as one self-contained HTML file (report.h): no script, no network, inline CSS and SVG.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "losscheck/audit/report.h"
#include "render_common.h"

namespace losscheck {
namespace {

using json = nlohmann::json;

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
.v-skipped,.v-nothing{color:var(--skip);background:var(--skip-bg)}.v-incomplete{color:var(--warn);background:var(--warn-bg)}
tr.fail td{background:#fff5f5}
.big{font-size:18px;padding:2px 12px}
.banner{border:1px solid var(--warn);background:var(--warn-bg);color:#4d2d00;border-radius:6px;padding:8px 12px;
margin:10px 0;font-weight:600}
.meta th{width:13em}
.note{color:var(--muted);font-size:12px;max-width:36em}
.cls{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600}
.cls-convention{color:#0550ae;background:#ddf4ff}.cls-bug{color:var(--fail);background:var(--fail-bg)}
.cls-unexplained,.cls-gave-up{color:var(--warn);background:var(--warn-bg)}
.failure{border:1px solid #ffcecb;border-left:4px solid var(--fail);border-radius:6px;padding:4px 14px 10px;
margin:14px 0}
.msg{font-weight:600;overflow-wrap:anywhere}
svg.hist,svg.scatter{display:block}svg.scatter text{font:8px ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;fill:#57606a}svg.hist text{font:8px ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;fill:#57606a}
details summary{cursor:pointer;color:var(--muted)}
.finding{border:1px solid #ffcecb;border-left:4px solid var(--fail);border-radius:6px;padding:4px 14px 10px;margin:14px 0}
.finding.accepted{border-color:#d0d7de;border-left-color:var(--muted)}
.side{display:grid;grid-template-columns:1fr 1fr;gap:10px}.side pre{margin:0}
a{color:#0969da}
)";

/// A badge: a row's verdict, or (big) the audit's.
std::string badge(const std::string& cls, const std::string& label, const char* extra = "") {
  return fmt::format("<span class=\"v v-{}{}\">{}</span>", cls, extra, h(label));
}

std::string row_badge(check_verdict v) {
  return badge(std::string(to_string(v)), v == check_verdict::fail ? "FAIL" : std::string(to_string(v)));
}

/// The audit's verdict as a badge: the headline without its explanation ("NOTHING CHECKED").
std::string verdict_badge(verdict v) {
  const std::string_view label = headline(v).substr(0, headline(v).find(" ("));
  const char* cls = v == verdict::pass ? "pass" : v == verdict::fail ? "fail" : v == verdict::incomplete ? "incomplete" : "nothing";
  return badge(cls, std::string(label), " big");
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
/// bars, bins below); a malformed histogram is said to be so.
std::string histogram_svg(const ulps_histogram& hist) {
  if (!hist.well_formed()) return "<span class=\"note\">(malformed histogram)</span>";
  const auto& edges = hist.edges;
  const auto& cs = hist.counts;
  const std::size_t bins = cs.size();
  long long most = 0, total = 0;
  for (long long c : cs) most = std::max(most, c), total += c;
  const int bw = 21, top = 10, bar_h = 22, bottom = 10, width = static_cast<int>(bins) * bw, height = top + bar_h + bottom;
  std::string s = fmt::format("<svg class=\"hist\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\">", width,
                              height, width, height);
  std::string desc;
  for (std::size_t i = 0; i < bins; ++i) {
    const long long c = cs[i];
    std::string bin, label;
    if (i == 0) bin = "exactly 0", label = "0";
    else if (i + 1 == bins) bin = fmt::format("above {} or not finite", edge_text(edges.back())), label = ">" + edge_label(edges.back());
    else bin = fmt::format("in ({}, {}]", edge_text(edges[i - 1]), edge_text(edges[i])), label = edge_label(edges[i]);
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

/// Error versus magnitude as an inline SVG scatter plot: x = log10 of the magnitude of each comparison's worst
/// element, y = its error in ULPs of the scale on a log axis from 0.01 to 1e4 (0 at the bottom, above 1e4 or not
/// finite at the top, in red). Where the errors grow with the magnitude, the implementation loses accuracy on large
/// (or tiny) values; the histogram beside it cannot show that.
std::string scatter_svg(const std::vector<std::array<double, 2>>& points) {
  if (points.empty()) return "";
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& [m, u] : points)
    if (m > 0 && std::isfinite(m)) lo = std::min(lo, std::log10(m)), hi = std::max(hi, std::log10(m));
  if (!(lo <= hi)) lo = hi = 0;
  if (hi - lo < 1) lo -= 0.5, hi += 0.5;
  const int w = 150, ht = 42, left = 2, top = 4;
  const double ulo = -2, uhi = 4;  // log10 ULPs
  std::string s = fmt::format("<svg class=\"scatter\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\">",
                              w, ht + 10, w, ht + 10);
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f6f8fa\"/>", left, top, w - 2 * left, ht - top);
  // the 1-ULP line
  const double y1 = top + (ht - top) * (1 - (0 - ulo) / (uhi - ulo));
  s += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#d0d7de\"/>", left, w - left, y1, y1);
  long long above = 0;
  for (const auto& [m, u] : points) {
    const double xm = m > 0 && std::isfinite(m) ? std::log10(m) : lo;
    const bool off = !(u <= std::pow(10.0, uhi));
    above += off;
    const double lu = u <= 0 ? ulo : off ? uhi : std::clamp(std::log10(u), ulo, uhi);
    const double x = left + 3 + (w - 2 * left - 6) * (xm - lo) / (hi - lo);
    const double y = top + (ht - top) * (1 - (lu - ulo) / (uhi - ulo));
    s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"1.6\" fill=\"{}\" fill-opacity=\"0.6\"/>", x, y,
                     off ? "#cf222e" : "#0969da");
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\">1e{:.0f}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">1e{:.0f}</text>",
                   left, ht + 9, lo, w - left, ht + 9, hi);
  s += fmt::format("<desc>error in ULPs versus magnitude, {} comparisons ({} above 1e4 ULPs or not finite); the line is "
                   "1 ULP</desc></svg>",
                   points.size(), above);
  return s;
}

void html_meta_row(std::string& o, const std::string& name, const std::string& value_html) {
  o += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", h(name), value_html);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

/// The fragment id of a row: its order in the plan, else its position in the report.
std::string row_id(const audit_row& r, std::size_t position) {
  return fmt::format("r{}", r.order ? static_cast<long long>(*r.order) : static_cast<long long>(position));
}

}  // namespace

std::string audit_report::html() const {
  const counts c = count();
  const losscheck::verdict v = verdict();
  const std::string& target = settings.target;
  const std::vector<std::string> losses = detail::losses_of(*this);
  const std::string_view title = headline(v).substr(0, headline(v).find(" ("));

  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // nothing may be fetched: no script, no stylesheet, no image but inline ones
  o += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n";
  o += fmt::format("<title>losscheck audit: {} — {}</title>\n", h(target), h(std::string(title)));
  o += "<style>" + std::string(css) + "</style>\n</head>\n<body>\n";

  // ---- header ----
  o += fmt::format("<header>\n<h1>losscheck audit {}</h1>\n", verdict_badge(v));
  if (incomplete)
    o += fmt::format("<div class=\"banner\">INCOMPLETE ({}): {} of the {} planned checks ran; the verdict covers only "
                     "those.</div>\n",
                     h(incomplete_reason.empty() ? std::string("reason not given") : incomplete_reason), c.checks,
                     settings.planned_checks ? std::to_string(planned_in_shard()) : std::string("?"));
  o += "<table class=\"meta\">\n";
  html_meta_row(o, "target", "<code>" + h(target) + "</code>");
  html_meta_row(o, "seed", std::to_string(settings.seed));
  if (settings.cases_per_property) html_meta_row(o, "cases per property", std::to_string(*settings.cases_per_property));
  html_meta_row(o, "losses", h(join(settings.losses, ", ")));
  html_meta_row(o, "dtypes", h(join(settings.dtypes, ", ")));
  if (settings.properties && !settings.properties->empty())
    html_meta_row(o, "properties", h(join(*settings.properties, ", ")));
  if (settings.precision) html_meta_row(o, "reference precision", fmt::format("{} bits", *settings.precision));
  if (settings.fixtures)
    html_meta_row(o, "fixture files", settings.fixtures->empty() ? std::string("none") : h(join(*settings.fixtures, ", ")));
  html_meta_row(o, "summary",
                fmt::format("{} checks: {} passed, {} failed, {} skipped; {} cases in {:.1f} s{}", c.checks, c.passed,
                            c.failed, c.skipped, c.cases, timings.total,
                            c.gave_up ? fmt::format(" ({} gave up: too many generated cases discarded)", c.gave_up) : ""));
  if (settings.planned_checks) html_meta_row(o, "planned checks", std::to_string(*settings.planned_checks));
  if (settings.shard) html_meta_row(o, "shard", fmt::format("{} of {}", settings.shard->index, settings.shard->count));
  if (merged_from) html_meta_row(o, "merged from", fmt::format("{} shards", *merged_from));
  if (!counterexamples_file.empty()) html_meta_row(o, "counterexamples", "<code>" + h(counterexamples_file) + "</code>");
  if (!settings.losscheck_version.empty()) html_meta_row(o, "losscheck", h(settings.losscheck_version));
  o += "</table>\n</header>\n";

  // ---- the findings first: one per root cause ----
  const std::vector<finding_group> groups = findings();
  if (!groups.empty()) {
    o += fmt::format("<h2 id=\"findings\">Findings ({} root cause{}, {} failing check{})</h2>\n", groups.size(),
                     groups.size() == 1 ? "" : "s", c.failed + c.accepted, c.failed + c.accepted == 1 ? "" : "s");
    std::vector<const finding_group*> ordered;
    for (const auto& g : groups)
      if (!g.accepted) ordered.push_back(&g);
    for (const auto& g : groups)
      if (g.accepted) ordered.push_back(&g);
    for (const finding_group* g : ordered) {
      const audit_row& ex = rows[g->example];
      const std::string cls = g->kind.empty() ? std::string("unexplained") : g->kind;
      o += fmt::format("<section class=\"finding{}\">\n<h3>{} {} <span class=\"cls cls-{}\">{}</span> {}</h3>\n",
                       g->accepted ? " accepted" : "",
                       g->accepted ? badge("skipped", "accepted") : row_badge(check_verdict::fail), h(g->loss), h(cls),
                       h(cls), h(g->text));
      std::vector<std::string> links;
      for (auto i : g->rows)
        links.push_back(fmt::format("<a href=\"#{}\">{} [{}]</a>", row_id(rows[i], i), breakable(rows[i].check),
                                    h(rows[i].dtype)));
      o += fmt::format("<p>{} check{}: {}</p>\n", g->rows.size(), g->rows.size() == 1 ? "" : "s", join(links, ", "));
      o += fmt::format("<p class=\"msg\">smallest counterexample ({} [{}]): {}</p>\n", breakable(ex.check), h(ex.dtype),
                       h(ex.message));
      // expected and got side by side, from the failure's report
      std::string expected, got;
      std::istringstream in(ex.report);
      for (std::string line; std::getline(in, line);) {
        const auto p = line.find_first_not_of(' ');
        if (p == std::string::npos) continue;
        const std::string t = line.substr(p);
        if (expected.empty() && t.rfind("expected (reference): ", 0) == 0) expected = t.substr(22);
        else if (got.empty() && t.find(" gave: ") != std::string::npos && t.find(" gave: ") < 40) got = t;
      }
      if (!ex.counterexample.is_null())
        o += "<details><summary>the case</summary>\n<pre>" + h(pretty(ex.counterexample)) + "</pre>\n</details>\n";
      if (!expected.empty() && !got.empty()) {
        const auto gp = got.find(" gave: ");
        const auto pretty_text = [](const std::string& t) {
          try {
            return pretty(nlohmann::json::parse(t));
          } catch (const std::exception&) {
            return t;
          }
        };
        o += fmt::format("<div class=\"side\"><div><b>expected (the reference)</b><pre>{}</pre></div><div><b>{} gave"
                         "</b><pre>{}</pre></div></div>\n",
                         h(pretty_text(expected)), h(got.substr(0, gp)), h(pretty_text(got.substr(gp + 7))));
      }
      if (const std::string replay = detail::one_replay(*this, ex); !replay.empty()) o += "<p><b>Replay</b></p>\n<pre>" + h(replay) + "</pre>\n";
      o += "</section>\n";
    }
  }

  // ---- per loss, at a glance ----
  o += "<h2>Losses</h2>\n<table>\n<tr><th>loss</th><th>verdict</th><th>passed</th><th>failed</th><th>skipped</th>"
       "<th>cases</th></tr>\n";
  for (const auto& loss : losses) {
    long long lp = 0, lf = 0, ls = 0, lc = 0;
    for (const auto& r : rows) {
      if (r.loss != loss) continue;
      lp += r.verdict == check_verdict::pass, lf += r.verdict == check_verdict::fail;
      ls += r.verdict == check_verdict::skipped, lc += r.cases;
    }
    const check_verdict lv = lf ? check_verdict::fail : lp ? check_verdict::pass : check_verdict::skipped;
    o += fmt::format("<tr><td><a href=\"#{}\">{}</a></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                     "<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                     anchor("loss-", loss), h(loss), row_badge(lv), lp, lf, ls, lc);
  }
  o += "</table>\n";
  o += "<p class=\"note\">Errors in ULPs of the scale (docs/tolerances.md). Histogram bins, labelled by their upper "
       "edge: exactly 0, then (previous edge, edge], then above the last edge or not finite (red); bar heights on a "
       "log scale, counts above the bars.</p>\n";

  // ---- one table per loss (the unsupported column only when a target answered `unsupported`) ----
  const bool any_unsupported = std::any_of(rows.begin(), rows.end(), [](const audit_row& r) { return r.unsupported > 0; });
  for (const auto& loss : losses) {
    o += fmt::format("<h2 id=\"{}\">{}</h2>\n", anchor("loss-", loss), h(loss));
    o += fmt::format("<table class=\"rows\">\n<tr><th>check</th><th>dtype</th><th>verdict</th><th>cases</th>{}"
                     "<th>max ULPs</th><th>errors in ULPs</th><th>error vs magnitude</th><th>note</th></tr>\n",
                     any_unsupported ? "<th>unsupported</th>" : "");
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const audit_row& r = rows[k];
      if (r.loss != loss) continue;
      const std::string id = row_id(r, k);
      std::string check = breakable(r.check);
      std::string note;
      if (r.verdict == check_verdict::fail) {
        check = fmt::format("<a href=\"#{}\">{}</a>", id, check);
        note = fmt::format("<a href=\"#{}\">failure below</a>", id);
        if (!r.diagnosis_class.empty())
          note += fmt::format(" <span class=\"cls cls-{}\">{}</span>", h(r.diagnosis_class), h(r.diagnosis_class));
      } else if (!r.message.empty()) {
        note = (r.gave_up ? "<span class=\"cls cls-gave-up\">gave up</span> " : "") + h(r.message);
      }
      if (!r.unsupported_grads.empty())
        note += fmt::format("{}gradients not offered: {}", note.empty() ? "" : "<br>", h(join(r.unsupported_grads, "; ")));
      if (r.outputs_only > 0)
        note += fmt::format("{}{} case{} without recorded gradients: outputs compared only", note.empty() ? "" : "<br>",
                            r.outputs_only, r.outputs_only == 1 ? "" : "s");
      o += fmt::format("<tr class=\"{}\"><td>{}</td><td class=\"d\">{}</td><td class=\"d\">{}</td><td class=\"n\">{}</td>{}"
                       "<td class=\"n\">{}</td><td class=\"d\">{}</td><td class=\"d\">{}</td><td class=\"note\">{}</td></tr>\n",
                       to_string(r.verdict), check, h(r.dtype), row_badge(r.verdict), r.cases,
                       any_unsupported ? fmt::format("<td class=\"n\">{}</td>", r.unsupported) : "",
                       h(detail::ulps_text(r.max_ulps)), r.histogram ? histogram_svg(*r.histogram) : "",
                       scatter_svg(r.error_points), note);
    }
    o += "</table>\n";
  }

  // ---- the failures ----
  if (c.failed + c.accepted) {
    o += fmt::format("<h2 id=\"failures\">Failing checks ({})</h2>\n", c.failed + c.accepted);
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const audit_row& r = rows[k];
      if (r.verdict != check_verdict::fail) continue;
      o += fmt::format("<section class=\"failure\" id=\"{}\">\n<h3>{} {} · {} [{}]</h3>\n", row_id(r, k),
                       row_badge(check_verdict::fail), h(r.loss), breakable(r.check), h(r.dtype));
      o += fmt::format("<p class=\"msg\">{}</p>\n", h(r.message));
      if (!r.diagnosis.empty()) {
        o += "<p><b>Diagnosis</b></p>\n<ul>\n";
        for (const auto& d : r.diagnosis) {
          const std::string cls = d.kind.empty() ? std::string("unexplained") : d.kind;
          o += fmt::format("<li><span class=\"cls cls-{}\">{}</span> {}{}</li>\n", h(cls), h(cls), h(d.text),
                           d.detail.empty() ? "" : " <span class=\"note\">— " + h(d.detail) + "</span>");
        }
        o += "</ul>\n";
      } else {
        o += "<p class=\"note\">Diagnosis: no known mistake reproduces this answer.</p>\n";
      }
      if (!r.counterexample.is_null())
        o += "<p><b>Counterexample</b></p>\n<pre>" + h(pretty(r.counterexample)) + "</pre>\n";
      std::vector<std::string> replays = detail::replay_lines(r.report);
      if (const std::string fr = detail::fixture_replay(*this, r); !fr.empty())
        replays.push_back(fmt::format("replay the counterexample fixture ({}): {}", r.counterexample_fixture->id, fr));
      if (!replays.empty()) {
        o += "<p><b>Replay</b></p>\n<pre>";
        for (const auto& l : replays) o += h(l) + "\n";
        o += "</pre>\n";
      }
      if (!r.report.empty())
        o += "<details><summary>the whole report</summary>\n<pre>" + h(r.report) + "</pre>\n</details>\n";
      o += "</section>\n";
    }
  }
  o += fmt::format("<p class=\"note\">verdict: {}{} · seed {} · written by losscheck {}</p>\n", h(std::string(headline(v))),
                   incomplete && v != losscheck::verdict::incomplete ? " (incomplete)" : "", settings.seed,
                   h(settings.losscheck_version));
  o += "</body>\n</html>\n";
  return o;
}

}  // namespace losscheck
