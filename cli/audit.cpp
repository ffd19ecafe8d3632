// `losscheck audit`: the property suite (properties/) and the golden fixtures (fixtures/) against one target, one
// row per loss × check × dtype, with reports for people (the table, the failures) and for CI (JSON, JUnit XML).

#include "audit.h"

#include <fmt/format.h>
#include <rapidcheck.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <utility>

#include "commands.h"
#include "exec_target.h"
#include "fixtures.h"
#include "losscheck/check.h"
#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/problem.h"
#include "losscheck/reference.h"
#include "properties.h"

namespace losscheck::cli {
namespace {

/// One row of the audit: a property (or the fixtures) of one loss in one dtype.
struct row {
  std::string loss;
  std::string check;  ///< property name, or "fixtures"
  std::string kind;   ///< "property" or "fixtures"
  std::string dtype;  ///< "float32", "float64", or "float32+float64" for the dtype-consistency property
  std::string verdict = "pass";  ///< "pass", "fail", "skipped"
  int cases = 0;                 ///< cases run (properties: successful cases before a failure)
  int unsupported = 0;           ///< cases the target answered `unsupported` (discarded / skipped)
  std::optional<double> max_ulps;  ///< fixtures: the largest error in ULPs of the scale
  std::string message;             ///< failure: one line
  std::string report;              ///< failure: the whole report (seed, counterexample, replay)
  std::optional<std::string> counterexample;  ///< failure: the (shrunk) case as one line of JSON
  double seconds = 0;
  bool incident = false;  ///< fixtures: an exec target incident stopped this row
};

/// The subject as the properties see it: an `unsupported` answer discards the generated case (a row whose cases are
/// all unsupported is skipped), and an incident of an exec target (timeout, crash, garbage, wrong id) fails the
/// property at once -- never taken for an answer, so that "rejects what the reference rejects" cannot pass on a
/// crash.
class audited_target final : public target {
 public:
  explicit audited_target(target& inner) : inner_(inner), exec_(dynamic_cast<exec_target*>(&inner)) {}
  std::string name() const override { return inner_.name(); }
  loss_result evaluate(const loss_case& c) override {
    if (incident_) {
      // one incident per property: shrinking against a crashing or hanging program would cost a restart per try
      const std::string not_asked = "exec target not asked: this property already had an incident: " + incident_->first;
      RC_FAIL(not_asked);
    }
    loss_result r = inner_.evaluate(c);
    if (exec_ && exec_->last_was_incident()) {
      incident_.emplace(r.error.value_or("exec target incident"), to_json(c));
      const std::string incident = incident_->first + "\n  case: " + incident_->second;
      RC_FAIL(incident);
    }
    if (r.unsupported) {
      ++unsupported_;
      const std::string unsupported = "unsupported: " + *r.unsupported;
      RC_DISCARD(unsupported);
    }
    return r;
  }
  int take_unsupported() { return std::exchange(unsupported_, 0); }
  /// The first incident of the property just run (message, case as JSON), and forget it.
  std::optional<std::pair<std::string, std::string>> take_incident() { return std::exchange(incident_, std::nullopt); }

 private:
  target& inner_;
  exec_target* exec_;
  int unsupported_ = 0;
  std::optional<std::pair<std::string, std::string>> incident_;
};

std::string fmt_ulps(const std::optional<double>& v) {
  if (!v) return "-";
  return std::isfinite(*v) ? fmt::format("{:.2f}", *v) : "inf";
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=+") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

/// The message of a failure report: the first line of the property's own description (after RapidCheck's
/// "FAILED ..." header and its "file:line:" / "RC_FAIL:" lines).
std::string first_message(const std::string& report) {
  std::istringstream in(report);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with("FAILED ") || line.starts_with("RC_FAIL") || line.ends_with(":")) continue;
    if (line.find(".cpp:") != std::string::npos || line.find(".h:") != std::string::npos) continue;
    return line;
  }
  return report.substr(0, report.find('\n'));
}

/// The first "case: {...}" line of a failure report (the shrunk counterexample as the property printed it).
std::optional<std::string> first_case(const std::string& report) {
  std::istringstream in(report);
  std::string line;
  while (std::getline(in, line)) {
    const auto p = line.find("case: {");
    if (p != std::string::npos) return line.substr(p + 6);
  }
  return std::nullopt;
}

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = fmt::format("{}.tmp.{}", path, static_cast<long>(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("{}: cannot write: {}", tmp, std::strerror(errno)));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("{}: write failed: {}", tmp, std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error(fmt::format("{}: cannot rename {} to it: {}", path, tmp, why));
  }
}

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

std::string junit_report(const std::string& target_name, std::uint64_t seed, const std::vector<row>& rows,
                         double seconds) {
  int failures = 0, skipped = 0;
  for (const auto& r : rows) failures += r.verdict == "fail", skipped += r.verdict == "skipped";
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuites name=\"losscheck audit\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                   rows.size(), failures, skipped, seconds);
  x += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3f}\">\n",
                   xml_escape("losscheck audit " + target_name), rows.size(), failures, skipped, seconds);
  x += fmt::format("    <properties><property name=\"seed\" value=\"{}\"/><property name=\"target\" value=\"{}\"/></properties>\n",
                   seed, xml_escape(target_name));
  for (const auto& r : rows) {
    x += fmt::format("    <testcase classname=\"losscheck.{}\" name=\"{}[{}]\" time=\"{:.3f}\"", xml_escape(r.loss),
                     xml_escape(r.check), xml_escape(r.dtype), r.seconds);
    if (r.verdict == "pass") {
      x += "/>\n";
      continue;
    }
    x += ">\n";
    if (r.verdict == "skipped")
      x += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(r.message));
    else
      x += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml_escape(r.message), r.kind,
                       xml_escape(r.report));
    x += "    </testcase>\n";
  }
  x += "  </testsuite>\n</testsuites>\n";
  return x;
}

nlohmann::json json_report(const audit_options& o, const std::string& target_name,
                           const std::vector<std::string>& losses, const std::vector<std::string>& dtypes,
                           const std::vector<row>& rows, double seconds) {
  nlohmann::json j;
  j["format"] = "losscheck-audit";
  j["version"] = 1;
#ifdef LOSSCHECK_VERSION
  j["losscheck"] = LOSSCHECK_VERSION;
#endif
  j["target"] = target_name;
  j["seed"] = o.seed;
  j["cases_per_property"] = o.cases;
  j["losses"] = losses;
  j["dtypes"] = dtypes;
  int passed = 0, failed = 0, skipped = 0;
  long long cases = 0;
  auto rs = nlohmann::json::array();
  for (const auto& r : rows) {
    passed += r.verdict == "pass", failed += r.verdict == "fail", skipped += r.verdict == "skipped";
    cases += r.cases;
    nlohmann::json e;
    e["loss"] = r.loss;
    e["check"] = r.check;
    e["kind"] = r.kind;
    e["dtype"] = r.dtype;
    e["verdict"] = r.verdict;
    e["cases"] = r.cases;
    e["unsupported"] = r.unsupported;
    e["max_ulps"] = r.max_ulps && std::isfinite(*r.max_ulps) ? nlohmann::json(*r.max_ulps)
                    : r.max_ulps                           ? nlohmann::json("inf")
                                                           : nlohmann::json(nullptr);
    e["seconds"] = r.seconds;
    e["message"] = r.message.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.message);
    e["report"] = r.report.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.report);
    nlohmann::json ce = nullptr;
    if (r.counterexample) {
      try {
        ce = nlohmann::json::parse(*r.counterexample);
      } catch (const std::exception&) {
        ce = *r.counterexample;
      }
    }
    e["counterexample"] = ce;
    rs.push_back(std::move(e));
  }
  j["verdict"] = failed ? "fail" : "pass";
  j["summary"] = {{"checks", rows.size()}, {"passed", passed}, {"failed", failed}, {"skipped", skipped},
                  {"cases", cases}, {"seconds", seconds}};
  j["results"] = std::move(rs);
  return j;
}

/// The fixture rows: every case of `files` whose loss and dtype are selected, grouped by (loss, dtype).
std::vector<row> fixture_rows(target& t, const std::vector<std::pair<std::string, std::vector<fixture_case>>>& files,
                              const std::vector<std::string>& losses, const std::vector<std::string>& dtypes) {
  auto* exec = dynamic_cast<exec_target*>(&t);
  std::map<std::pair<std::size_t, std::size_t>, row> groups;  // (loss index, dtype index) → row
  std::map<std::pair<std::size_t, std::size_t>, double> worst_score;
  for (const auto& [path, cases] : files) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& fc = cases[i];
      const auto li = std::find(losses.begin(), losses.end(), fc.c.loss);
      const auto di = std::find(dtypes.begin(), dtypes.end(), std::string(to_string(fc.c.type)));
      if (li == losses.end() || di == dtypes.end()) continue;
      const std::pair key{static_cast<std::size_t>(li - losses.begin()), static_cast<std::size_t>(di - dtypes.begin())};
      auto& g = groups[key];
      if (g.incident) continue;  // one incident per row, as in the properties
      if (g.loss.empty()) {
        g.loss = fc.c.loss;
        g.check = "fixtures";
        g.kind = "fixtures";
        g.dtype = *di;
        g.max_ulps = 0.0;
      }
      const auto start = std::chrono::steady_clock::now();
      loss_result got;
      try {
        got = t.evaluate(fc.c);
      } catch (const std::exception& e) {
        got = loss_result::failure(fc.c.id, e.what());
      }
      g.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (got.unsupported && !(exec && exec->last_was_incident())) {
        ++g.unsupported;
        continue;
      }
      ++g.cases;
      check::comparison cmp;
      if (exec && exec->last_was_incident()) {
        cmp.passed = false;
        cmp.message = got.error.value_or("exec target incident");
        cmp.max_ulps = std::numeric_limits<double>::quiet_NaN();
        g.incident = true;
      } else {
        cmp = check::compare(fc.c, fc.expected, got);
        if (!std::isnan(cmp.max_ulps)) g.max_ulps = std::max(*g.max_ulps, cmp.max_ulps);
      }
      if (cmp.passed) continue;
      const double score = cmp.worst && cmp.worst->bound > 0 ? cmp.worst->ulps / cmp.worst->bound
                                                               : std::numeric_limits<double>::infinity();
      const bool first = g.verdict != "fail";
      g.verdict = "fail";
      if (!first && score <= worst_score[key] && !g.incident) continue;
      worst_score[key] = score;
      g.message = fmt::format("{} case {} (id {}): {}", path, i, fc.c.id, cmp.message);
      if (cmp.worst && !(cmp.worst->ulps <= cmp.worst->bound))
        g.message += fmt::format(" ({}: got {}, expected {}, {} ULPs of the scale {:.3g} > bound {})", cmp.worst->where,
                                 format_float(cmp.worst->got, fc.c.type), format_float(cmp.worst->expected, fc.c.type),
                                 fmt_ulps(cmp.worst->ulps), cmp.worst->scale, cmp.worst->bound);
      g.counterexample = to_json(fc.c);
      g.report = fmt::format("{}\n  case: {}\n  expected: {}\n  {} gave: {}\n  replay: losscheck fixtures verify --target {} {}\n",
                             g.message, to_json(fc.c), to_json(fc.expected), t.name(), to_json(got),
                             shell_quote(t.name()), path);
    }
  }
  std::vector<row> out;
  for (auto& [key, g] : groups) {
    if (g.verdict == "pass" && g.cases == 0 && g.unsupported > 0) {
      g.verdict = "skipped";
      g.message = fmt::format("all {} fixture cases unsupported by the target", g.unsupported);
    }
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

int audit(const audit_options& o, std::ostream& out, std::ostream& err) {
  using clock = std::chrono::steady_clock;
  const auto started = clock::now();

  // ---- what to run: losses, dtypes, properties; usage errors exit 2 before anything runs ----
  std::vector<std::string> losses;
  for (const auto& spec : loss_catalog())
    if (o.losses.empty() || std::find(o.losses.begin(), o.losses.end(), spec.name) != o.losses.end())
      losses.emplace_back(spec.name);
  for (const auto& l : o.losses) {
    if (std::find(losses.begin(), losses.end(), l) == losses.end()) {
      std::vector<std::string> names;
      for (const auto& spec : loss_catalog()) names.emplace_back(spec.name);
      err << fmt::format("losscheck audit: unknown loss '{}' (losses: {})\n", l, fmt::join(names, ", "));
      return 2;
    }
  }
  std::vector<std::string> dtypes;
  for (const char* d : {"float32", "float64"})
    if (o.dtypes.empty() || std::find(o.dtypes.begin(), o.dtypes.end(), d) != o.dtypes.end()) dtypes.push_back(d);
  for (const auto& d : o.dtypes) {
    if (d != "float32" && d != "float64") {
      err << fmt::format("losscheck audit: unknown dtype '{}' (dtypes: float32, float64)\n", d);
      return 2;
    }
  }
  for (const auto& name : o.properties) {
    const bool known = name == "fixtures" || std::any_of(properties::registry().begin(), properties::registry().end(),
                                                          [&](const auto& p) { return p.name == name; });
    if (!known) {
      err << fmt::format("losscheck audit: unknown property '{}' (docs/properties.md lists them)\n", name);
      return 2;
    }
  }
  auto selected = [&](const std::string& name) {
    return o.properties.empty() || std::find(o.properties.begin(), o.properties.end(), name) != o.properties.end();
  };

  // ---- the fixture files, read first: an unreadable or malformed one is exit 2 ----
  std::vector<std::pair<std::string, std::vector<fixture_case>>> fixture_files;
  if (!o.no_fixtures && !o.fixtures_dir.empty() && selected("fixtures")) {
    std::error_code ec;
    std::vector<std::string> paths;
    for (const auto& e : std::filesystem::directory_iterator(o.fixtures_dir, ec))
      if (e.path().extension() == ".json") paths.push_back(e.path().string());
    if (ec) {
      err << fmt::format("losscheck audit: fixtures directory {}: {}\n", o.fixtures_dir, ec.message());
      return 2;
    }
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) {
      try {
        fixture_files.emplace_back(p, read_fixture_file(p));
      } catch (const std::exception& e) {
        err << "losscheck audit: " << e.what() << '\n';
        return 2;
      }
    }
  }

  // RapidCheck announces its configuration on first use: let it announce the audit's seed, not a random one
  if (!std::getenv("RC_PARAMS")) ::setenv("RC_PARAMS", fmt::format("seed={}", o.seed).c_str(), 0);

  std::unique_ptr<target> subject;
  try {
    subject = make_target(o.target_name, o.precision,
                          std::chrono::milliseconds(static_cast<long long>(std::llround(o.timeout_seconds * 1000))));
  } catch (const std::invalid_argument& e) {
    err << "losscheck audit: " << e.what() << '\n';
    return 2;
  }
  auto reference = reference::make_target(o.precision);
  audited_target audited(*subject);

  // ---- the plan: one row per loss × property × dtype, in catalog and registry order ----
  struct planned {
    const properties::property* p;
    std::vector<dtype> dtypes;
    std::string dtype_label;
  };
  std::vector<std::pair<std::string, std::vector<planned>>> plan;
  std::size_t total = 0;
  for (const auto& loss : losses) {
    std::vector<planned> ps;
    for (const auto& p : properties::registry()) {
      if (p.loss != loss || !selected(p.name)) continue;
      if (p.name == "float32_result_lies_within_the_float32_bound_of_float64") {
        if (dtypes.size() == 2) ps.push_back({&p, {dtype::float32, dtype::float64}, "float32+float64"});
        continue;
      }
      for (const auto& d : dtypes) ps.push_back({&p, {*parse_dtype(d)}, d});
    }
    total += ps.size();
    plan.emplace_back(loss, std::move(ps));
  }
  total += fixture_files.empty() ? 0 : losses.size() * dtypes.size();

  out << fmt::format("losscheck audit: target {}\n", subject->name());
  out << fmt::format("seed {}, {} cases per property, dtypes {}, losses {}\n", o.seed, o.cases, fmt::join(dtypes, ","),
                     losses.size() == loss_catalog().size() ? std::string("all") : fmt::format("{}", fmt::join(losses, ",")));
  out << fmt::format("fixtures: {}\n", fixture_files.empty() ? std::string("none")
                                                            : fmt::format("{} files in {}", fixture_files.size(), o.fixtures_dir));
  out.flush();

  std::vector<row> rows;
  std::size_t done = 0;
  auto progress = [&](const std::string& what) {
    if (!o.progress) return;
    err << fmt::format("\r\033[K[{}/{}] {}", done, total, what) << std::flush;
  };
  for (const auto& [loss, ps] : plan) {
    for (const auto& pl : ps) {
      progress(fmt::format("{} {} {}", loss, pl.p->name, pl.dtype_label));
      properties::run_options ro;
      ro.seed = o.seed;
      ro.max_success = o.cases;
      ro.shrink = true;
      ro.replay_command = fmt::format("losscheck audit --target {} --loss {} --dtype {} --property {} --cases {} --seed {} --no-fixtures",
                                      shell_quote(o.target_name), loss,
                                      pl.dtypes.size() == 2 ? std::string("float32,float64") : pl.dtype_label,
                                      pl.p->name, o.cases, o.seed);
      const properties::context ctx{audited, *reference, pl.dtypes};
      const auto t0 = clock::now();
      const auto outcome = properties::run_property(*pl.p, ctx, ro);
      row r;
      r.loss = loss;
      r.check = pl.p->name;
      r.kind = "property";
      r.dtype = pl.dtype_label;
      r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
      r.cases = outcome.cases;
      r.unsupported = audited.take_unsupported();
      const auto incident = audited.take_incident();
      if (incident) {
        r.verdict = "fail";
        r.message = incident->first;
        r.counterexample = incident->second;
        r.report = fmt::format("{}\n  case: {}\n(the property stopped asking the program after this incident)\n{}",
                               incident->first, incident->second, outcome.report);
      } else if (!outcome.passed) {
        if (outcome.report.starts_with("GAVE UP")) {
          // too many generated cases discarded: inconclusive, not a finding against the target
          r.verdict = "skipped";
          r.message = r.unsupported > 0 ? fmt::format("{} cases unsupported by the target", r.unsupported)
                                        : "gave up: too many generated cases discarded (raise --cases)";
        } else {
          r.verdict = "fail";
          r.report = outcome.report;
          r.message = first_message(outcome.report);
          r.counterexample = first_case(outcome.report);
        }
      }
      rows.push_back(std::move(r));
      ++done;
    }
  }
  if (!fixture_files.empty()) {
    progress("fixtures");
    auto fr = fixture_rows(*subject, fixture_files, losses, dtypes);
    done += fr.size();
    for (auto& r : fr) rows.push_back(std::move(r));
  }
  if (o.progress) err << "\r\033[K" << std::flush;
  const double seconds = std::chrono::duration<double>(clock::now() - started).count();

  // ---- the summary table ----
  std::size_t wl = 4, wc = 5;
  for (const auto& r : rows) wl = std::max(wl, r.loss.size()), wc = std::max(wc, r.check.size());
  out << '\n'
      << fmt::format("{:<{}}  {:<{}}  {:<15}  {:<7}  {:>6}  {:>8}\n", "loss", wl, "check", wc, "dtype", "verdict",
                     "cases", "max ULPs");
  int passed = 0, failed = 0, skipped = 0;
  long long cases = 0;
  for (const auto& r : rows) {
    passed += r.verdict == "pass", failed += r.verdict == "fail", skipped += r.verdict == "skipped";
    cases += r.cases;
    out << fmt::format("{:<{}}  {:<{}}  {:<15}  {:<7}  {:>6}  {:>8}\n", r.loss, wl, r.check, wc, r.dtype,
                       r.verdict == "pass" ? "pass" : r.verdict == "fail" ? "FAIL" : "skipped", r.cases,
                       fmt_ulps(r.max_ulps));
  }
  // per loss: the verdicts at a glance
  out << '\n';
  for (const auto& loss : losses) {
    int lp = 0, lf = 0, ls = 0;
    long long lc = 0;
    for (const auto& r : rows)
      if (r.loss == loss) lp += r.verdict == "pass", lf += r.verdict == "fail", ls += r.verdict == "skipped", lc += r.cases;
    out << fmt::format("{:<{}}  {:<4}  {:>3} passed, {:>3} failed, {:>3} skipped, {:>6} cases\n", loss, wl,
                       lf ? "FAIL" : "pass", lp, lf, ls, lc);
  }
  out << fmt::format("\n{} checks: {} passed, {} failed, {} skipped; {} cases in {:.1f} s (seed {})\n", rows.size(),
                     passed, failed, skipped, cases, seconds, o.seed);
  if (auto* exec = dynamic_cast<exec_target*>(subject.get()); exec && exec->incidents() > 0)
    out << fmt::format("exec target: {} incidents (timeouts, crashes, exits, garbage, wrong ids), started {} times; "
                       "first: {}\n",
                       exec->incidents(), exec->starts(), exec->first_incident());
  for (const auto& r : rows) {
    if (r.verdict != "fail") continue;
    out << fmt::format("\nFAIL {} {} [{}]: {}\n", r.loss, r.check, r.dtype, r.message);
    std::istringstream in(r.report);
    std::string line;
    while (std::getline(in, line)) out << "  " << line << '\n';
  }
  out << fmt::format("\nverdict: {}\n", failed ? "FAIL" : "pass");
  out.flush();

  // ---- reports ----
  int status = failed ? 1 : 0;
  try {
    if (!o.json_path.empty())
      write_atomically(o.json_path, json_report(o, subject->name(), losses, dtypes, rows, seconds).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    if (!o.junit_path.empty()) write_atomically(o.junit_path, junit_report(subject->name(), o.seed, rows, seconds));
  } catch (const std::exception& e) {
    err << "losscheck audit: " << e.what() << '\n';
    status = 2;
  }
  return status;
}

}  // namespace losscheck::cli
