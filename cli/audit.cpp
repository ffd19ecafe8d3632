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
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "commands.h"
#include "diagnosis.h"
#include "exec_target.h"
#include "interrupt.h"
#include "fixtures.h"
#include "losscheck/check.h"
#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/problem.h"
#include "losscheck/reference.h"
#include "properties.h"
#include "atomic_file.h"
#include "report.h"

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
  std::size_t order = 0;  ///< index in the whole plan (the same in every shard)
  std::vector<double> ulps;  ///< errors in ULPs of the scale of the comparisons made (histogram)
  std::vector<properties::finding> diagnosis;  ///< failure: what the answer matches instead
  std::set<std::string> unsupported_grads;     ///< "target: reason" declared by the program
  std::set<std::string> unsupported_reasons;   ///< the program's reasons for answering `unsupported` (first few)
  std::optional<std::string> counterexample_id;  ///< failure: its id in the counterexample fixture file
};

/// Thrown into a running property or fixture row when the audit must stop (Ctrl-C, the total time limit).
struct audit_stopped : std::runtime_error {
  audit_stopped() : std::runtime_error("the audit was stopped") {}
};

/// Why the audit stops early, or "" to go on: "interrupted" (SIGINT/SIGTERM) or "time limit".
std::string stop_reason(const std::optional<std::chrono::steady_clock::time_point>& deadline) {
  if (interrupted()) return "interrupted";
  if (deadline && std::chrono::steady_clock::now() >= *deadline) return "time limit";
  return "";
}

/// The subject as the properties see it: an `unsupported` answer discards the generated case (a row whose cases are
/// all unsupported is skipped), and an incident of an exec target (timeout, crash, garbage, wrong id) fails the
/// property at once -- never taken for an answer, so that "rejects what the reference rejects" cannot pass on a
/// crash.
class audited_target final : public target {
 public:
  audited_target(target& inner, std::optional<std::chrono::steady_clock::time_point> deadline)
      : inner_(inner), exec_(dynamic_cast<exec_target*>(&inner)), deadline_(deadline) {}
  std::string name() const override { return inner_.name(); }
  loss_result evaluate(const loss_case& c) override {
    if (!stop_reason(deadline_).empty()) throw audit_stopped();
    if (incident_) {
      // one incident per property: shrinking against a crashing or hanging program would cost a restart per try
      const std::string not_asked = "exec target not asked: this property already had an incident: " + incident_->first;
      RC_FAIL(not_asked);
    }
    loss_result r = inner_.evaluate(c);
    if (!stop_reason(deadline_).empty()) throw audit_stopped();  // an answer cut short by the signal is no answer
    for (const auto& [name, why] : r.unsupported_grads) unsupported_grads_.insert(name + ": " + why);
    if (exec_ && exec_->last_was_incident()) {
      incident_.emplace(r.error.value_or("exec target incident"), to_json(c));
      const std::string incident = incident_->first + "\n  case: " + incident_->second;
      RC_FAIL(incident);
    }
    if (r.unsupported) {
      ++unsupported_;
      if (reasons_.size() < 4) reasons_.insert(*r.unsupported);
      const std::string unsupported = "unsupported: " + *r.unsupported;
      RC_DISCARD(unsupported);
    }
    return r;
  }
  int take_unsupported() { return std::exchange(unsupported_, 0); }
  std::set<std::string> take_unsupported_grads() { return std::exchange(unsupported_grads_, {}); }
  std::set<std::string> take_unsupported_reasons() { return std::exchange(reasons_, {}); }
  /// The first incident of the property just run (message, case as JSON), and forget it.
  std::optional<std::pair<std::string, std::string>> take_incident() { return std::exchange(incident_, std::nullopt); }

 private:
  target& inner_;
  exec_target* exec_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  int unsupported_ = 0;
  std::set<std::string> unsupported_grads_;
  std::set<std::string> reasons_;
  std::optional<std::pair<std::string, std::string>> incident_;
};

/// For the diagnosis: an exec target's incident is thrown, never taken for an answer.
class incident_throwing_target final : public target {
 public:
  explicit incident_throwing_target(target& inner) : inner_(inner), exec_(dynamic_cast<exec_target*>(&inner)) {}
  std::string name() const override { return inner_.name(); }
  loss_result evaluate(const loss_case& c) override {
    loss_result r = inner_.evaluate(c);
    if (exec_ && exec_->last_was_incident()) throw std::runtime_error(r.error.value_or("exec target incident"));
    return r;
  }

 private:
  target& inner_;
  exec_target* exec_;
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


/// The histogram of errors in ULPs of the scale (docs/audit.md): exactly 0, then (edges[i-1], edges[i]], then above
/// the last edge or non-finite.
nlohmann::json ulps_histogram(const std::vector<double>& ulps) {
  static const std::vector<double> edges = {0, 0.5, 1, 2, 4, 8, 16, 64, 1024};
  std::vector<long long> counts(edges.size() + 1, 0);
  for (double u : ulps) {
    if (u == 0) {
      ++counts[0];
      continue;
    }
    std::size_t i = 1;
    while (i < edges.size() && !(u <= edges[i])) ++i;
    ++counts[i];  // i == edges.size(): above 1024, or NaN/inf
  }
  return {{"edges", edges}, {"counts", counts}};
}

/// What the JSON report says about the run besides its rows.
struct run_info {
  std::string target_name;
  std::vector<std::string> losses, dtypes, fixture_files;
  std::size_t planned_checks = 0;
  int shard_index = 1, shard_count = 1;
  std::string incomplete_reason;  ///< "" when every planned check of this shard ran
  std::string counterexamples_file;
  double seconds = 0;
};

nlohmann::json json_report(const audit_options& o, const run_info& info, const std::vector<row>& rows) {
  nlohmann::json j;
  j["format"] = "losscheck-audit";
  j["version"] = 1;
#ifdef LOSSCHECK_VERSION
  j["losscheck"] = LOSSCHECK_VERSION;
#endif
  j["target"] = info.target_name;
  j["seed"] = o.seed;
  j["cases_per_property"] = o.cases;
  j["losses"] = info.losses;
  j["dtypes"] = info.dtypes;
  j["fixtures"] = info.fixture_files;
  j["planned_checks"] = info.planned_checks;
  if (info.shard_count > 1) j["shard"] = {{"index", info.shard_index}, {"count", info.shard_count}};
  j["incomplete"] = !info.incomplete_reason.empty();
  j["incomplete_reason"] = info.incomplete_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.incomplete_reason);
  j["counterexamples_file"] =
      info.counterexamples_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.counterexamples_file);
  int passed = 0, failed = 0, skipped = 0;
  long long cases = 0;
  auto rs = nlohmann::json::array();
  for (const auto& r : rows) {
    passed += r.verdict == "pass", failed += r.verdict == "fail", skipped += r.verdict == "skipped";
    cases += r.cases;
    nlohmann::json e;
    e["order"] = r.order;
    e["loss"] = r.loss;
    e["check"] = r.check;
    e["kind"] = r.kind;
    e["dtype"] = r.dtype;
    e["verdict"] = r.verdict;
    e["cases"] = r.cases;
    e["unsupported"] = r.unsupported;
    e["unsupported_grads"] = r.unsupported_grads;
    e["unsupported_reasons"] = r.unsupported_reasons;
    e["max_ulps"] = r.max_ulps && std::isfinite(*r.max_ulps) ? nlohmann::json(*r.max_ulps)
                    : r.max_ulps                           ? nlohmann::json("inf")
                                                           : nlohmann::json(nullptr);
    e["ulps_histogram"] = r.ulps.empty() ? nlohmann::json(nullptr) : ulps_histogram(r.ulps);
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
    e["counterexample_fixture"] = r.counterexample_id && !info.counterexamples_file.empty()
                                      ? nlohmann::json{{"file", info.counterexamples_file}, {"id", *r.counterexample_id}}
                                      : nlohmann::json(nullptr);
    auto d = nlohmann::json::array();
    for (const auto& f : r.diagnosis) d.push_back({{"finding", f.text}, {"class", f.kind}, {"detail", f.detail}});
    e["diagnosis"] = std::move(d);
    e["diagnosis_class"] = r.diagnosis.empty() ? nlohmann::json(nullptr) : nlohmann::json(properties::overall_kind(r.diagnosis));
    rs.push_back(std::move(e));
  }
  j["verdict"] = failed ? "fail" : !info.incomplete_reason.empty() ? "incomplete" : passed == 0 ? "nothing checked" : "pass";
  j["summary"] = {{"checks", rows.size()}, {"passed", passed}, {"failed", failed}, {"skipped", skipped},
                  {"cases", cases}, {"seconds", info.seconds}};
  j["results"] = std::move(rs);
  return j;
}

/// The fixture rows: every case of `files` whose loss and dtype are selected, grouped by (loss, dtype).
/// `include(loss index, dtype index)` selects the rows of this shard; a stop (Ctrl-C, time limit) throws
/// audit_stopped.
std::vector<row> fixture_rows(target& t, const std::vector<std::pair<std::string, std::vector<fixture_case>>>& files,
                              const std::vector<std::string>& losses, const std::vector<std::string>& dtypes,
                              const std::function<bool(std::size_t, std::size_t)>& include,
                              const std::optional<std::chrono::steady_clock::time_point>& deadline) {
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
      if (!include(key.first, key.second)) continue;
      if (!stop_reason(deadline).empty()) throw audit_stopped();
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
      if (!stop_reason(deadline).empty()) throw audit_stopped();
      for (const auto& [name, why] : got.unsupported_grads) g.unsupported_grads.insert(name + ": " + why);
      if (got.unsupported && !(exec && exec->last_was_incident())) {
        ++g.unsupported;
        if (g.unsupported_reasons.size() < 4) g.unsupported_reasons.insert(*got.unsupported);
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
        if (cmp.elements > 0) g.ulps.push_back(cmp.max_ulps);
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

  if (o.shard_count < 1 || o.shard_index < 1 || o.shard_index > o.shard_count) {
    err << fmt::format("losscheck audit: --shard {}/{}: want I/N with 1 <= I <= N\n", o.shard_index, o.shard_count);
    return 2;
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
  std::optional<clock::time_point> deadline;
  if (o.time_limit_seconds > 0)
    deadline = started + std::chrono::milliseconds(static_cast<long long>(std::llround(o.time_limit_seconds * 1000)));
  audited_target audited(*subject, deadline);
  if (auto* exec = dynamic_cast<exec_target*>(subject.get()); exec && deadline) exec->set_deadline(*deadline);
  if (o.catch_signals) catch_interrupts();

  // ---- the plan: one row per loss × property × dtype, in catalog and registry order, then the fixture rows; a
  // shard I/N runs the rows whose index in the plan is I-1 modulo N ----
  struct planned {
    std::string loss;
    const properties::property* p;
    std::vector<dtype> dtypes;
    std::string dtype_label;
    std::size_t order;
  };
  std::vector<planned> plan;
  for (const auto& loss : losses) {
    for (const auto& p : properties::registry()) {
      if (p.loss != loss || !selected(p.name)) continue;
      if (p.name == "float32_result_lies_within_the_float32_bound_of_float64") {
        if (dtypes.size() == 2) plan.push_back({loss, &p, {dtype::float32, dtype::float64}, "float32+float64", plan.size()});
        continue;
      }
      for (const auto& d : dtypes) plan.push_back({loss, &p, {*parse_dtype(d)}, d, plan.size()});
    }
  }
  const std::size_t n_property_rows = plan.size();
  const std::size_t planned_checks = n_property_rows + (fixture_files.empty() ? 0 : losses.size() * dtypes.size());
  auto in_shard = [&](std::size_t order) {
    return static_cast<int>(order % static_cast<std::size_t>(o.shard_count)) == o.shard_index - 1;
  };
  std::size_t total = 0;
  for (std::size_t k = 0; k < planned_checks; ++k) total += in_shard(k);

  out << fmt::format("losscheck audit: target {}\n", subject->name());
  out << fmt::format("seed {}, {} cases per property, dtypes {}, losses {}\n", o.seed, o.cases, fmt::join(dtypes, ","),
                     losses.size() == loss_catalog().size() ? std::string("all") : fmt::format("{}", fmt::join(losses, ",")));
  out << fmt::format("fixtures: {}\n", fixture_files.empty() ? std::string("none")
                                                            : fmt::format("{} files in {}", fixture_files.size(), o.fixtures_dir));
  if (o.shard_count > 1)
    out << fmt::format("shard {}/{}: {} of the {} planned checks\n", o.shard_index, o.shard_count, total, planned_checks);
  out.flush();

  std::vector<row> rows;
  std::size_t done = 0;
  std::string stopped;  // why the audit stopped early, "" when it ran everything
  auto progress = [&](const std::string& what) {
    if (!o.progress) return;
    err << fmt::format("\r\033[K[{}/{}] {}", done, total, what) << std::flush;
  };
  for (const auto& pl : plan) {
    if (!in_shard(pl.order)) continue;
    if (stopped = stop_reason(deadline); !stopped.empty()) break;
    progress(fmt::format("{} {} {}", pl.loss, pl.p->name, pl.dtype_label));
    properties::run_options ro;
    ro.seed = o.seed;
    ro.max_success = o.cases;
    ro.shrink = true;
    ro.replay_command = fmt::format("losscheck audit --target {} --loss {} --dtype {} --property {} --cases {} --seed {} --no-fixtures",
                                    shell_quote(o.target_name), pl.loss,
                                    pl.dtypes.size() == 2 ? std::string("float32,float64") : pl.dtype_label,
                                    pl.p->name, o.cases, o.seed);
    const properties::context ctx{audited, *reference, pl.dtypes};
    const auto t0 = clock::now();
    const auto outcome = properties::run_property(*pl.p, ctx, ro);
    if (stopped = stop_reason(deadline); !stopped.empty()) break;  // this row did not finish: not reported
    row r;
    r.order = pl.order;
    r.loss = pl.loss;
    r.check = pl.p->name;
    r.kind = "property";
    r.dtype = pl.dtype_label;
    r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    r.cases = outcome.cases;
    r.unsupported = audited.take_unsupported();
    r.unsupported_grads = audited.take_unsupported_grads();
    r.unsupported_reasons = audited.take_unsupported_reasons();
    r.ulps = outcome.agreement_ulps;
    if (!r.ulps.empty()) r.max_ulps = *std::max_element(r.ulps.begin(), r.ulps.end());
    const auto incident = audited.take_incident();
    if (incident) {
      r.verdict = "fail";
      r.message = incident->first;
      r.counterexample = incident->second;
      r.report = fmt::format("{}\n  case: {}\n(the property stopped asking the program after this incident)\n{}",
                             incident->first, incident->second, outcome.report);
      r.diagnosis.push_back({"the program misbehaved: " + incident->first, "bug", ""});
    } else if (!outcome.passed) {
      if (outcome.report.starts_with("GAVE UP")) {
        // too many generated cases discarded (mostly: unsupported by the target): not a finding against the target.
        // The cases that did run passed: a pass over fewer cases (the count says how many); none: skipped.
        r.verdict = r.cases > 0 ? "pass" : "skipped";
        r.message = r.unsupported > 0
                        ? fmt::format("{} of {} generated cases unsupported by the target", r.unsupported,
                                      r.unsupported + r.cases)
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
  if (!fixture_files.empty() && stopped.empty()) {
    progress("fixtures");
    const std::size_t nd = dtypes.size();
    try {
      auto fr = fixture_rows(*subject, fixture_files, losses, dtypes,
                             [&](std::size_t li, std::size_t di) { return in_shard(n_property_rows + li * nd + di); },
                             deadline);
      std::set<std::size_t> reported;
      for (auto& r : fr) {
        const auto li = static_cast<std::size_t>(std::find(losses.begin(), losses.end(), r.loss) - losses.begin());
        const auto di = static_cast<std::size_t>(std::find(dtypes.begin(), dtypes.end(), r.dtype) - dtypes.begin());
        r.order = n_property_rows + li * nd + di;
        reported.insert(r.order);
        rows.push_back(std::move(r));
        ++done;
      }
      // a planned fixture row with no fixture case of its loss and dtype is reported as skipped, never dropped
      for (std::size_t li = 0; li < losses.size(); ++li)
        for (std::size_t di = 0; di < nd; ++di) {
          const std::size_t order = n_property_rows + li * nd + di;
          if (!in_shard(order) || reported.count(order)) continue;
          row r;
          r.order = order;
          r.loss = losses[li];
          r.check = "fixtures";
          r.kind = "fixtures";
          r.dtype = dtypes[di];
          r.verdict = "skipped";
          r.message = "no fixture case of this loss and dtype";
          rows.push_back(std::move(r));
          ++done;
        }
    } catch (const audit_stopped&) {
      stopped = stop_reason(deadline);  // the fixture rows did not finish: none is reported
    }
  }
  std::sort(rows.begin(), rows.end(), [](const row& a, const row& b) { return a.order < b.order; });

  // ---- diagnosis and counterexamples of the failures (skipped once the audit is stopped) ----
  std::vector<fixture_case> counterexamples;
  for (auto& r : rows) {
    if (r.verdict != "fail" || !r.counterexample) continue;
    if (!stop_reason(deadline).empty()) break;
    loss_case c;
    try {
      c = case_from_json(parse_json(*r.counterexample));
    } catch (const std::exception&) {
      continue;
    }
    progress(fmt::format("diagnosing {} {} {}", r.loss, r.check, r.dtype));
    if (r.diagnosis.empty()) {
      try {
        incident_throwing_target asked(*subject);
        r.diagnosis = properties::diagnose(c, asked, *reference);
      } catch (const std::exception& e) {
        r.diagnosis.push_back({"diagnosis failed", "unexplained", e.what()});
      }
      if (r.diagnosis.empty())
        r.diagnosis.push_back({"agrees with the reference on the counterexample itself, and its gradients agree with its "
                               "own forward: the failure is in how answers relate (see the property's message)",
                               "unexplained", ""});
    }
    fixture_case fc;
    fc.c = c;
    fc.c.id = nlohmann::json(fmt::format("{}/{}/{}", r.loss, r.check, r.dtype)).dump();
    try {
      fc.expected = reference->evaluate(fc.c);
      fc.expected.id = "null";
    } catch (const std::exception&) {
      continue;
    }
    r.counterexample_id = fmt::format("{}/{}/{}", r.loss, r.check, r.dtype);
    counterexamples.push_back(std::move(fc));
  }
  if (stopped.empty()) stopped = stop_reason(deadline);
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
  std::set<std::string> all_unsupported_grads;
  for (const auto& r : rows) {
    passed += r.verdict == "pass", failed += r.verdict == "fail", skipped += r.verdict == "skipped";
    cases += r.cases;
    for (const auto& g : r.unsupported_grads) all_unsupported_grads.insert(r.loss + " " + g);
    out << fmt::format("{:<{}}  {:<{}}  {:<15}  {:<7}  {:>6}  {:>8}\n", r.loss, wl, r.check, wc, r.dtype,
                       r.verdict == "pass" ? "pass" : r.verdict == "fail" ? "FAIL" : "skipped", r.cases,
                       fmt_ulps(r.max_ulps));
  }
  // per loss: the verdicts at a glance
  out << '\n';
  for (const auto& loss : losses) {
    int lp = 0, lf = 0, ls = 0;
    long long lc = 0;
    std::map<std::string, int> kinds;
    for (const auto& r : rows)
      if (r.loss == loss) {
        lp += r.verdict == "pass", lf += r.verdict == "fail", ls += r.verdict == "skipped", lc += r.cases;
        if (r.verdict == "fail" && !r.diagnosis.empty()) ++kinds[properties::overall_kind(r.diagnosis)];
      }
    std::string k;
    for (const auto& [kind, n] : kinds) k += fmt::format("{}{} {}", k.empty() ? "  (" : ", ", n, kind);
    if (!k.empty()) k += ")";
    out << fmt::format("{:<{}}  {:<4}  {:>3} passed, {:>3} failed, {:>3} skipped, {:>6} cases{}\n", loss, wl,
                       lf ? "FAIL" : "pass", lp, lf, ls, lc, k);
  }
  out << fmt::format("\n{} checks: {} passed, {} failed, {} skipped; {} cases in {:.1f} s (seed {})\n", rows.size(),
                     passed, failed, skipped, cases, seconds, o.seed);
  if (!all_unsupported_grads.empty())
    out << fmt::format("gradients the target does not compute (not compared): {}\n", fmt::join(all_unsupported_grads, "; "));
  if (auto* exec = dynamic_cast<exec_target*>(subject.get()); exec && exec->incidents() > 0)
    out << fmt::format("exec target: {} incidents (timeouts, crashes, exits, garbage, wrong ids), started {} times; "
                       "first: {}\n",
                       exec->incidents(), exec->starts(), exec->first_incident());
  for (const auto& r : rows) {
    if (r.verdict != "fail") continue;
    out << fmt::format("\nFAIL {} {} [{}]: {}\n", r.loss, r.check, r.dtype, r.message);
    for (const auto& f : r.diagnosis)
      out << fmt::format("  diagnosis ({}): {}{}\n", f.kind, f.text, f.detail.empty() ? "" : " -- " + f.detail);
    std::istringstream in(r.report);
    std::string line;
    while (std::getline(in, line)) out << "  " << line << '\n';
  }

  // ---- reports ----
  std::string counterexamples_file = o.counterexamples_path;
  if (counterexamples_file.empty() && !o.json_path.empty()) {
    counterexamples_file = o.json_path;
    if (counterexamples_file.ends_with(".json")) counterexamples_file.resize(counterexamples_file.size() - 5);
    counterexamples_file += ".counterexamples.json";
  }
  if (counterexamples.empty()) counterexamples_file.clear();
  // every check skipped (the target answered `unsupported` to all, or no fixture applied): nothing was shown to
  // hold, which is not a pass (exit 4)
  const bool nothing_checked = !failed && stopped.empty() && passed == 0;
  int status = failed ? 1 : nothing_checked ? 4 : 0;
  if (!stopped.empty()) {
    out << fmt::format("\nINCOMPLETE ({}): {} of the {} planned checks ran\n", stopped, rows.size(), total);
    if (stopped == "interrupted") status = 128 + (interrupted() ? interrupted() : SIGINT);
    else if (!failed) status = 3;
  }
  out << fmt::format("\nverdict: {}\n", failed             ? "FAIL"
                                         : !stopped.empty() ? "INCOMPLETE"
                                         : nothing_checked  ? "NOTHING CHECKED (every check was skipped)"
                                                            : "pass");
  out.flush();
  try {
    if (!counterexamples_file.empty()) {
      write_fixture_file(counterexamples_file,
                         nlohmann::json{{"tool", "losscheck audit"}, {"target", subject->name()}, {"seed", o.seed},
                                        {"expected", fmt::format("the reference at {} bits", o.precision)}}.dump(),
                         counterexamples);
      out << fmt::format("counterexamples: {} (replay: losscheck fixtures verify --target {} {})\n", counterexamples_file,
                         shell_quote(o.target_name), shell_quote(counterexamples_file));
    }
    run_info info;
    info.target_name = subject->name();
    info.losses = losses;
    info.dtypes = dtypes;
    for (const auto& [path, cs] : fixture_files) info.fixture_files.push_back(std::filesystem::path(path).filename().string());
    info.planned_checks = planned_checks;
    info.shard_index = o.shard_index;
    info.shard_count = o.shard_count;
    info.incomplete_reason = stopped;
    info.counterexamples_file = counterexamples_file;
    info.seconds = seconds;
    // every report is rendered from the JSON document, as `losscheck report` renders merged shards (report.h)
    const auto doc = json_report(o, info, rows);
    if (!o.json_path.empty())
      write_file_atomically(o.json_path, doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    if (!o.junit_path.empty()) write_file_atomically(o.junit_path, junit_from_json(doc));
    if (!o.html_path.empty()) write_file_atomically(o.html_path, html_from_json(doc));
  } catch (const std::exception& e) {
    err << "losscheck audit: " << e.what() << '\n';
    status = 2;
  }
  return status;
}

}  // namespace losscheck::cli
