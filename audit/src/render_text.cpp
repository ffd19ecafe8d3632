// The renderers of a report for a terminal and for JUnit XML (report.h), and what the renderers share
// (render_common.h).

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "losscheck/audit/report.h"
#include "losscheck/check.h"
#include "losscheck/shell.h"
#include "render_common.h"

namespace losscheck {

namespace detail {

std::string ulps_text(const std::optional<double>& v) {
  if (!v) return "-";
  return check::format_ulps(*v);
}

std::vector<std::string> losses_of(const audit_report& a) {
  std::vector<std::string> losses = a.settings.losses;
  for (const auto& r : a.rows)
    if (std::find(losses.begin(), losses.end(), r.loss) == losses.end()) losses.push_back(r.loss);
  return losses;
}

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

std::string fixture_replay(const audit_report& a, const audit_row& r) {
  if (!r.counterexample_fixture || r.counterexample_fixture->file.empty()) return "";
  const auto& f = *r.counterexample_fixture;
  return fmt::format("losscheck fixtures verify --target {}{} {}", shell_quote(a.settings.target),
                     f.id.empty() ? "" : " --id " + shell_quote(f.id), shell_quote(f.file));
}

std::string one_replay(const audit_report& a, const audit_row& r) {
  if (std::string replay = fixture_replay(a, r); !replay.empty()) return replay;
  const auto lines = replay_lines(r.report);
  if (lines.empty()) return "";
  const std::string& line = lines.front();
  const auto start = line.find_first_not_of(' ', line.find(':') + 1);
  return start == std::string::npos ? std::string() : line.substr(start);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------------------------
// Terminal

void audit_report::print_header(std::ostream& out) const {
  const auto& s = settings;
  out << fmt::format("losscheck audit: target {}\n", s.target);
  out << fmt::format("seed {}, {} cases per property, dtypes {}, losses {}\n", s.seed, s.cases_per_property.value_or(0),
                     fmt::join(s.dtypes, ","), s.all_losses ? std::string("all") : fmt::format("{}", fmt::join(s.losses, ",")));
  const std::size_t files = s.fixtures ? s.fixtures->size() : 0;
  if (!s.exclude_classes.empty())
    out << fmt::format("excluded edge classes (cases not asked, counted as unsupported): {}\n",
                       fmt::join(s.exclude_classes, ", "));
  out << fmt::format("fixtures: {}\n", files == 0 ? std::string("none") : fmt::format("{} files in {}", files, s.fixtures_dir));
  if (s.shard && s.shard->count > 1)
    out << fmt::format("shard {}/{}: {} of the {} planned checks\n", s.shard->index, s.shard->count, planned_in_shard(),
                       s.planned_checks.value_or(0));
}

namespace {

/// "check [float32, float64]; check2 [float64]": the rows of a finding by check.
std::string checks_text(const audit_report& a, const finding_group& g) {
  std::vector<std::pair<std::string, std::vector<std::string>>> by_check;
  for (auto i : g.rows) {
    const audit_row& r = a.rows[i];
    auto it = std::find_if(by_check.begin(), by_check.end(), [&](const auto& p) { return p.first == r.check; });
    if (it == by_check.end()) by_check.push_back({r.check, {r.dtype}});
    else it->second.push_back(r.dtype);
  }
  std::vector<std::string> parts;
  for (const auto& [check, dtypes] : by_check) parts.push_back(fmt::format("{} [{}]", check, fmt::join(dtypes, ", ")));
  return fmt::format("{}", fmt::join(parts, "; "));
}

/// The one-line case of a counterexample (JSON as written, a string as it is).
std::string case_text(const nlohmann::json& c) {
  if (c.is_string()) return c.get<std::string>();
  return c.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// One finding for a terminal: what, which checks, the smallest counterexample, one replay command.
void print_finding(std::ostream& out, const audit_report& a, const finding_group& g, std::size_t number) {
  const audit_row& ex = a.rows[g.example];
  out << fmt::format("\n{}. {} {} ({}): {}\n", number, g.accepted ? "accepted" : "FAIL", g.loss,
                     g.kind.empty() ? std::string("no diagnosis") : g.kind, g.text);
  out << fmt::format("   {} check{}: {}\n", g.rows.size(), g.rows.size() == 1 ? "" : "s", checks_text(a, g));
  out << fmt::format("   smallest counterexample, {} [{}]: {}\n", ex.check, ex.dtype, ex.message);
  if (!ex.counterexample.is_null()) out << "   case: " << case_text(ex.counterexample) << '\n';
  for (const auto& f : ex.diagnosis)
    if (&f != &ex.diagnosis.front() || f.text != g.text || !f.detail.empty())
      out << fmt::format("   diagnosis ({}): {}{}\n", f.kind, f.text, f.detail.empty() ? "" : " -- " + f.detail);
  if (const std::string replay = detail::one_replay(a, ex); !replay.empty()) out << "   replay: " << replay << '\n';
}

}  // namespace

void audit_report::print(std::ostream& out, bool verbose) const {
  const std::vector<finding_group> groups = findings();
  std::size_t wl = 4, wc = 5;
  for (const auto& r : rows) wl = std::max(wl, r.loss.size()), wc = std::max(wc, r.check.size());
  // findings first: one per root cause
  if (!groups.empty()) {
    long long failing = 0, accepted_groups = 0;
    for (const auto& g : groups) failing += static_cast<long long>(g.rows.size()), accepted_groups += g.accepted;
    out << fmt::format("\nfindings: {} root cause{} in {} failing check{}{}\n", groups.size(),
                       groups.size() == 1 ? "" : "s", failing, failing == 1 ? "" : "s",
                       accepted_groups ? fmt::format(" ({} accepted by the baseline {})", accepted_groups, baseline_file)
                                       : std::string());
    std::size_t n = 0;
    for (const auto& g : groups)
      if (!g.accepted) print_finding(out, *this, g, ++n);
    for (const auto& g : groups)
      if (g.accepted) print_finding(out, *this, g, ++n);
  }
  out << '\n'
      << fmt::format("{:<{}}  {:<{}}  {:<15}  {:<8}  {:>6}  {:>8}\n", "loss", wl, "check", wc, "dtype", "verdict",
                     "cases", "max ULPs");
  std::set<std::string> all_unsupported_grads;
  std::vector<std::string> outputs_only;
  long long hidden = 0;
  for (const auto& r : rows) {
    for (const auto& g : r.unsupported_grads) all_unsupported_grads.insert(r.loss + " " + g);
    if (r.outputs_only > 0) outputs_only.push_back(fmt::format("{} [{}] {}", r.loss, r.dtype, r.outputs_only));
    // the table: every row with --verbose; else the fixture rows (max ULPs against the golden values) and every
    // row that did not simply pass
    if (!verbose && r.verdict == check_verdict::pass && !r.gave_up && r.kind != "fixtures") {
      ++hidden;
      continue;
    }
    const std::string v = r.verdict == check_verdict::fail ? std::string(r.accepted ? "accepted" : "FAIL")
                                                           : std::string(to_string(r.verdict));
    out << fmt::format("{:<{}}  {:<{}}  {:<15}  {:<8}  {:>6}  {:>8}\n", r.loss, wl, r.check, wc, r.dtype, v, r.cases,
                       detail::ulps_text(r.max_ulps));
  }
  if (hidden > 0) out << fmt::format("(and {} passing property rows: --verbose lists every row)\n", hidden);
  // per loss: the verdicts at a glance
  out << '\n';
  for (const auto& loss : detail::losses_of(*this)) {
    long long lp = 0, lf = 0, ls = 0, lc = 0, la = 0;
    std::map<std::string, int> kinds;
    for (const auto& r : rows)
      if (r.loss == loss) {
        lp += r.verdict == check_verdict::pass, ls += r.verdict == check_verdict::skipped, lc += r.cases;
        if (r.verdict == check_verdict::fail) (r.accepted ? la : lf) += 1;
        if (r.verdict == check_verdict::fail && !r.accepted && !r.diagnosis_class.empty()) ++kinds[r.diagnosis_class];
      }
    std::string k;
    for (const auto& [kind, n] : kinds) k += fmt::format("{}{} {}", k.empty() ? "  (" : ", ", n, kind);
    if (!k.empty()) k += ")";
    out << fmt::format("{:<{}}  {:<4}  {:>3} passed, {:>3} failed, {:>3} skipped, {:>6} cases{}{}\n", loss, wl,
                       lf ? "FAIL" : "pass", lp, lf, ls, lc, la ? fmt::format(", {} accepted", la) : std::string(), k);
  }
  const counts c = count();
  out << fmt::format("\n{} checks: {} passed, {} failed, {} skipped{}; {} cases in {:.1f} s (seed {})\n", c.checks,
                     c.passed, c.failed, c.skipped,
                     c.accepted ? fmt::format(", {} accepted failures (baseline {})", c.accepted, baseline_file) : std::string(),
                     c.cases, timings.total, settings.seed);
  if (!all_unsupported_grads.empty())
    out << fmt::format("gradients the target does not compute (not compared): {}\n", fmt::join(all_unsupported_grads, "; "));
  if (!outputs_only.empty())
    out << fmt::format("fixture cases without recorded gradients (outputs compared only): {}\n", fmt::join(outputs_only, "; "));
  if (!target_summary.empty()) out << target_summary << '\n';
  if (c.gave_up > 0) {
    std::vector<std::string> which;
    for (const auto& r : rows)
      if (r.gave_up) which.push_back(fmt::format("{} {} [{}] ({} cases ran)", r.loss, r.check, r.dtype, r.cases));
    out << fmt::format("gave up: {} check{} (RapidCheck discarded too many generated cases; each covers only the cases "
                       "that ran): {}\n",
                       c.gave_up, c.gave_up == 1 ? "" : "s", fmt::join(which, "; "));
  }
  if (verbose) {
    for (const auto& r : rows) {
      if (r.verdict != check_verdict::fail) continue;
      out << fmt::format("\n{} {} {} [{}]: {}\n", r.accepted ? "accepted" : "FAIL", r.loss, r.check, r.dtype, r.message);
      for (const auto& f : r.diagnosis)
        out << fmt::format("  diagnosis ({}): {}{}\n", f.kind, f.text, f.detail.empty() ? "" : " -- " + f.detail);
      std::istringstream in(r.report);
      std::string line;
      while (std::getline(in, line)) out << "  " << line << '\n';
    }
  } else if (!groups.empty()) {
    out << "(each failing check's whole report: --verbose)\n";
  }
  if (incomplete)
    out << fmt::format("\nINCOMPLETE ({}): {} of the {} planned checks ran\n",
                       incomplete_reason.empty() ? std::string("?") : incomplete_reason, c.checks, planned_in_shard());
  const long long new_findings = std::count_if(groups.begin(), groups.end(), [](const auto& g) { return !g.accepted; });
  if (!groups.empty())
    out << (new_findings == 0
                ? fmt::format("\nonly accepted findings remain: {} (baseline {})\n", groups.size(), baseline_file)
                : fmt::format("\n{} finding{} above, one per root cause\n", new_findings, new_findings == 1 ? "" : "s"));
  out << fmt::format("\nverdict: {}\n", headline(verdict()));
}

// ---------------------------------------------------------------------------------------------------------------
// JUnit XML

namespace {

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

/// A JSON value as one line of text: strings as they are, other values as JSON.
std::string text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string audit_report::junit() const {
  const counts c = count();
  const losscheck::verdict v = verdict();
  // an audit that stopped early or checked nothing is said to CI as an error (its exit code is not 0 either)
  const bool error = incomplete || v == losscheck::verdict::nothing_checked;
  const std::string target = settings.target;
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuites name=\"losscheck audit\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" "
                   "time=\"{:.3f}\">\n",
                   c.checks + error, c.failed, int{error}, c.skipped, timings.total);
  x += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                   xml_escape("losscheck audit " + target), c.checks + error, c.failed, int{error}, c.skipped,
                   timings.total);
  x += fmt::format("    <properties><property name=\"seed\" value=\"{}\"/><property name=\"target\" value=\"{}\"/>"
                   "<property name=\"verdict\" value=\"{}\"/>",
                   settings.seed, xml_escape(target), to_string(v));
  if (incomplete)
    x += fmt::format("<property name=\"incomplete\" value=\"{}\"/>",
                     xml_escape(incomplete_reason.empty() ? std::string("yes") : incomplete_reason));
  x += "</properties>\n";
  for (const auto& r : rows) {
    x += fmt::format("    <testcase classname=\"losscheck.{}\" name=\"{}[{}]\" time=\"{:.3f}\"", xml_escape(r.loss),
                     xml_escape(r.check), xml_escape(r.dtype), r.seconds);
    if (r.verdict == check_verdict::pass && !r.gave_up) {
      x += "/>\n";
      continue;
    }
    x += ">\n";
    if (r.verdict == check_verdict::fail && r.accepted) {
      x += fmt::format("      <system-out>accepted by the baseline {}: {}</system-out>\n", xml_escape(baseline_file),
                       xml_escape(r.message));
    } else if (r.verdict == check_verdict::pass) {
      x += fmt::format("      <system-out>gave up: {}</system-out>\n", xml_escape(r.message));
    } else if (r.verdict == check_verdict::skipped) {
      x += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(r.message));
    } else {
      std::string body = r.report.empty() ? r.message : r.report;
      if (!body.empty() && body.back() != '\n') body += '\n';
      if (r.report.find("case: ") == std::string::npos && !r.counterexample.is_null())
        body += "case: " + text(r.counterexample) + "\n";
      for (const auto& d : r.diagnosis)
        body += fmt::format("diagnosis ({}): {}{}\n", d.kind, d.text, d.detail.empty() ? "" : " -- " + d.detail);
      if (const std::string replay = detail::fixture_replay(*this, r); !replay.empty())
        body += fmt::format("counterexample fixture: {} (id {}); replay: {}\n", r.counterexample_fixture->file,
                            r.counterexample_fixture->id, replay);
      x += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml_escape(r.message),
                       xml_escape(r.kind), xml_escape(body));
    }
    x += "    </testcase>\n";
  }
  if (error) {
    const std::string why =
        incomplete ? fmt::format("INCOMPLETE ({}): {} of the {} planned checks ran",
                                 incomplete_reason.empty() ? std::string("?") : incomplete_reason, c.checks, planned_in_shard())
                   : std::string(headline(v));
    x += fmt::format("    <testcase classname=\"losscheck.audit\" name=\"verdict\" time=\"0.000\">\n"
                     "      <error message=\"{}\" type=\"{}\"/>\n    </testcase>\n",
                     xml_escape(why), xml_escape(std::string(to_string(incomplete ? losscheck::verdict::incomplete : v))));
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

}  // namespace losscheck
