// The audit run (audit.h): the plan, then each property row and the fixture rows against the target, then the
// diagnosis and counterexample of each failure, into one report.

#include "losscheck/audit.h"

#include <fmt/format.h>
#include <rapidcheck.h>  // RC_FAIL, RC_DISCARD in the audited target

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "diagnosis.h"
#include "fixtures.h"
#include "generators.h"
#include "losscheck/check.h"
#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/problem.h"
#include "losscheck/reference.h"
#include "losscheck/shell.h"
#include "losscheck/suggest.h"
#include "losscheck/properties.h"
#include "rapidcheck_runner.h"

namespace losscheck {

static_assert(default_audit_seed == properties::default_seed, "the audit's default seed is the suite's");

namespace {

using clock = std::chrono::steady_clock;

/// Thrown into a running property or fixture row when the audit must stop (the stop hook, the time limit).
struct audit_stopped : std::runtime_error {
  audit_stopped() : std::runtime_error("the audit was stopped") {}
};

/// When to stop: the stop hook and the deadline.
class stopper {
 public:
  stopper(const std::function<int()>& interrupted, std::optional<clock::time_point> deadline)
      : interrupted_(interrupted), deadline_(deadline) {}
  /// Why the audit stops early, or "" to go on: "interrupted" (the stop hook) or "time limit".
  std::string reason() {
    if (interrupted_) {
      if (const int sig = interrupted_(); sig != 0) {
        signal_ = sig;
        return "interrupted";
      }
    }
    if (deadline_ && clock::now() >= *deadline_) return "time limit";
    return "";
  }
  bool stop() { return !reason().empty(); }
  int signal() const { return signal_; }

 private:
  std::function<int()> interrupted_;
  std::optional<clock::time_point> deadline_;
  int signal_ = 0;
};

/// The first of `excluded` (audit_options::exclude_classes) that `c` belongs to, or "": "nonfinite" is NaN or inf,
/// the other names are edge_classes' (properties/generators.h).
std::string excluded_class(const loss_case& c, const std::vector<std::string>& excluded) {
  if (excluded.empty()) return "";
  const auto classes = properties::edge_classes(c);
  for (const auto& x : excluded) {
    const bool in = x == "nonfinite" ? std::any_of(classes.begin(), classes.end(),
                                                   [](const std::string& k) { return k == "NaN" || k == "inf"; })
                                     : std::find(classes.begin(), classes.end(), x) != classes.end();
    if (in) return x;
  }
  return "";
}

/// What an excluded case is answered with: `unsupported`, naming the class and the option.
std::string excluded_reason(const std::string& cls) { return fmt::format("excluded by --exclude-class {}", cls); }

/// The subject as the properties see it: an `unsupported` answer discards the generated case (a row whose cases are
/// all unsupported is skipped), and an incident of a monitored target (timeout, crash, garbage, wrong id) fails the
/// property at once -- never taken for an answer, so that "rejects what the reference rejects" cannot pass on a
/// crash.
class audited_target final : public target {
 public:
  audited_target(target& inner, target_monitor* monitor, stopper& stop, std::vector<std::string> excluded)
      : inner_(inner), monitor_(monitor), stop_(stop), excluded_(std::move(excluded)) {}
  std::string name() const override { return inner_.name(); }
  loss_result evaluate(const loss_case& c) override {
    if (stop_.stop()) throw audit_stopped();
    if (incident_) {
      // one incident per property: shrinking against a crashing or hanging program would cost a restart per try
      const std::string not_asked = "exec target not asked: this property already had an incident: " + incident_->first;
      RC_FAIL(not_asked);
    }
    if (const std::string x = excluded_class(c, excluded_); !x.empty()) {
      // a class the target deliberately does not support: never asked, discarded as if unsupported
      ++unsupported_;
      if (reasons_.size() < 4) reasons_.insert(excluded_reason(x));
      RC_DISCARD(excluded_reason(x));
    }
    loss_result r = inner_.evaluate(c);
    if (stop_.stop()) throw audit_stopped();  // an answer cut short by the stop is no answer
    for (const auto& [name, why] : r.unsupported_grads) unsupported_grads_.insert(name + ": " + why);
    if (monitor_ && monitor_->last_was_incident()) {
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
  target_monitor* monitor_;
  stopper& stop_;
  std::vector<std::string> excluded_;
  int unsupported_ = 0;
  std::set<std::string> unsupported_grads_;
  std::set<std::string> reasons_;
  std::optional<std::pair<std::string, std::string>> incident_;
};

/// For the diagnosis: a monitored target's incident is thrown, never taken for an answer.
class incident_throwing_target final : public target {
 public:
  incident_throwing_target(target& inner, target_monitor* monitor) : inner_(inner), monitor_(monitor) {}
  std::string name() const override { return inner_.name(); }
  loss_result evaluate(const loss_case& c) override {
    loss_result r = inner_.evaluate(c);
    if (monitor_ && monitor_->last_was_incident()) throw std::runtime_error(r.error.value_or("exec target incident"));
    return r;
  }

 private:
  target& inner_;
  target_monitor* monitor_;
};

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
/// Every case a failure report shows ("  case: {...}" lines), in order: the counterexample, then the cases the
/// property compared it with.
std::vector<std::string> shown_cases(const std::string& report) {
  std::vector<std::string> out;
  std::istringstream in(report);
  std::string line;
  while (std::getline(in, line))
    if (const auto p = line.find("case: {"); p != std::string::npos) out.push_back(line.substr(p + 6));
  return out;
}

std::optional<std::string> first_case(const std::string& report) {
  std::istringstream in(report);
  std::string line;
  while (std::getline(in, line)) {
    const auto p = line.find("case: {");
    if (p != std::string::npos) return line.substr(p + 6);
  }
  return std::nullopt;
}

/// A counterexample as the report keeps it: the case as JSON, or the text when it does not parse (still shown; its
/// diagnosis says why there is none).
nlohmann::json counterexample_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    return text;
  }
}

std::string fmt_ulps(double v) { return check::format_ulps(v); }

std::vector<audit_finding> findings_of(const std::vector<properties::finding>& fs) {
  std::vector<audit_finding> out;
  for (const auto& f : fs) out.push_back({f.text, f.kind, f.detail, f.equally});
  return out;
}

/// " --id ID" selecting a fixture case whose id (JSON text) is a string; "" for another id.
std::string id_option(const std::string& id_json) {
  try {
    const auto j = nlohmann::json::parse(id_json);
    if (j.is_string()) return " --id " + shell_quote(j.get<std::string>());
  } catch (const std::exception&) {
  }
  return "";
}

/// The fixture rows: every case of `files` whose (loss, dtype) has a row in `plan`'s shard, grouped by that row.
/// A failing row's case goes to `counterexamples` (order → the case as JSON text). A stop throws audit_stopped.
std::vector<audit_row> fixture_rows(target& t, target_monitor* monitor,
                                    const std::vector<std::pair<std::string, std::vector<cli::fixture_case>>>& files,
                                    const audit_plan& plan, stopper& stop,
                                    std::map<std::size_t, std::string>& counterexamples,
                                    const std::vector<std::string>& excluded) {
  std::map<std::size_t, audit_row> groups;  // order → row
  std::map<std::size_t, double> worst_score;
  std::map<std::size_t, std::vector<double>> ulps, magnitudes;
  std::set<std::size_t> had_incident;
  for (const auto& [path, cases] : files) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& fc = cases[i];
      const std::size_t order = plan.fixture_row(fc.c.loss, std::string(to_string(fc.c.type)));
      if (order == plan.rows.size() || !plan.in_shard(order)) continue;
      if (stop.stop()) throw audit_stopped();
      auto& g = groups[order];
      if (had_incident.count(order)) continue;  // one incident per row, as in the properties
      if (g.loss.empty()) {
        g.order = order;
        g.loss = fc.c.loss;
        g.check = "fixtures";
        g.kind = "fixtures";
        g.dtype = plan.rows[order].dtype;
        g.max_ulps = 0.0;
      }
      const auto start = clock::now();
      loss_result got;
      const std::string excluded_as = excluded_class(fc.c, excluded);
      if (!excluded_as.empty()) {
        got.unsupported = excluded_reason(excluded_as);  // never asked
      } else {
        try {
          got = t.evaluate(fc.c);
        } catch (const std::exception& e) {
          got = loss_result::failure(fc.c.id, e.what());
        }
      }
      g.seconds += std::chrono::duration<double>(clock::now() - start).count();
      if (stop.stop()) throw audit_stopped();
      const bool incident = excluded_as.empty() && monitor && monitor->last_was_incident();
      for (const auto& [name, why] : got.unsupported_grads) {
        const std::string grad = name + ": " + why;
        if (std::find(g.unsupported_grads.begin(), g.unsupported_grads.end(), grad) == g.unsupported_grads.end())
          g.unsupported_grads.insert(std::upper_bound(g.unsupported_grads.begin(), g.unsupported_grads.end(), grad), grad);
      }
      if (got.unsupported && !incident) {
        ++g.unsupported;
        if (g.unsupported_reasons.size() < 4 && std::find(g.unsupported_reasons.begin(), g.unsupported_reasons.end(),
                                                          *got.unsupported) == g.unsupported_reasons.end())
          g.unsupported_reasons.insert(
              std::upper_bound(g.unsupported_reasons.begin(), g.unsupported_reasons.end(), *got.unsupported),
              *got.unsupported);
        continue;
      }
      ++g.cases;
      check::comparison cmp;
      if (incident) {
        cmp.passed = false;
        cmp.message = got.error.value_or("exec target incident");
        cmp.max_ulps = std::numeric_limits<double>::quiet_NaN();
        had_incident.insert(order);
      } else {
        cmp = cli::compare_fixture(fc, got);
        if (!fc.expected.error && !fc.grads_recorded) ++g.outputs_only;
        if (!std::isnan(cmp.max_ulps)) g.max_ulps = std::max(*g.max_ulps, cmp.max_ulps);
        if (cmp.elements > 0) {
          ulps[order].push_back(cmp.max_ulps);
          magnitudes[order].push_back(check::worst_magnitude(cmp));
        }
      }
      if (cmp.passed) continue;
      const double score = cmp.worst && cmp.worst->bound > 0 ? cmp.worst->ulps / cmp.worst->bound
                                                               : std::numeric_limits<double>::infinity();
      const bool first = g.verdict != check_verdict::fail;
      g.verdict = check_verdict::fail;
      if (!first && score <= worst_score[order] && !incident) continue;
      worst_score[order] = score;
      g.message = fmt::format("{} case {} (id {}): {}", path, i, fc.c.id, cmp.message);
      if (cmp.worst && !(cmp.worst->ulps <= cmp.worst->bound)) {
        const std::string rel = check::relative_error_text(cmp.worst->got, cmp.worst->expected);
        g.message += fmt::format(" ({}: got {}, expected {}, {} ULPs of the scale {:.3g} > bound {}{})", cmp.worst->where,
                                 format_float(cmp.worst->got, fc.c.type), format_float(cmp.worst->expected, fc.c.type),
                                 fmt_ulps(cmp.worst->ulps), cmp.worst->scale, cmp.worst->bound,
                                 rel.empty() ? "" : ", " + rel);
      }
      counterexamples[order] = to_json(fc.c);
      g.counterexample = counterexample_json(counterexamples[order]);
      g.report = fmt::format("{}\n  case: {}\n  expected: {}\n  {} gave: {}\n  replay: losscheck fixtures verify --target {}{} {}\n",
                             g.message, to_json(fc.c), cli::expected_json(fc), t.name(), to_json(got),
                             shell_quote(t.name()), id_option(fc.c.id), shell_quote(path));
    }
  }
  std::vector<audit_row> out;
  for (auto& [order, g] : groups) {
    if (!ulps[order].empty()) g.histogram = ulps_histogram::of(ulps[order]);
    g.error_points = error_points_of(magnitudes[order], ulps[order]);
    if (g.verdict == check_verdict::pass && g.cases == 0 && g.unsupported > 0) {
      g.verdict = check_verdict::skipped;
      g.message = fmt::format("all {} fixture cases unsupported by the target", g.unsupported);
    }
    out.push_back(std::move(g));
  }
  return out;
}

/// The fixture files of `o`, read: every *.json of the directory (sorted), then the files named.
std::vector<std::pair<std::string, std::vector<cli::fixture_case>>> read_fixtures(const audit_options& o) {
  std::vector<std::string> paths;
  if (!o.fixtures_dir.empty()) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(o.fixtures_dir, ec))
      if (e.path().extension() == ".json") paths.push_back(e.path().string());
    if (ec) throw std::invalid_argument(fmt::format("fixtures directory {}: {}", o.fixtures_dir, ec.message()));
    std::sort(paths.begin(), paths.end());
  }
  paths.insert(paths.end(), o.fixture_files.begin(), o.fixture_files.end());
  std::vector<std::pair<std::string, std::vector<cli::fixture_case>>> files;
  for (const auto& p : paths) {
    try {
      files.emplace_back(p, cli::read_fixture_file(p));
    } catch (const format_error& e) {
      throw std::invalid_argument(e.what());
    }
  }
  return files;
}

double seconds_since(clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); }


/// The plan of `o`, and the fixture files it reads. Throws std::invalid_argument for usage errors.
struct planned_audit {
  audit_plan plan;
  std::vector<std::string> fixture_names;
  std::vector<std::pair<std::string, std::vector<cli::fixture_case>>> fixture_files;
};

planned_audit plan_of(const audit_options& o) {
  if (o.precision < static_cast<unsigned>(std::numeric_limits<double>::digits))
    throw std::invalid_argument(fmt::format("precision {} bits: the reference needs at least {} bits, so that every "
                                            "float64 input converts to it exactly",
                                            o.precision, std::numeric_limits<double>::digits));
  if (o.cases < 1) throw std::invalid_argument(fmt::format("cases {}: want at least 1 case per property", o.cases));
  plan_request request;
  for (const auto& loss : loss_catalog()) request.known_losses.emplace_back(loss.name);
  for (const auto& p : properties::registry())
    // the float32/float64 consistency property compares the two dtypes: one row for both
    request.known_properties.push_back({p.loss, p.name, p.spans_dtypes, p.half_only});
  request.losses = o.losses;
  request.dtypes = o.dtypes;
  request.properties = o.properties;
  request.shard = o.shard;
  make_plan(request);  // the selection and the shard checked before any file is read
  planned_audit out;
  if (selects(o.properties, "fixtures")) out.fixture_files = read_fixtures(o);
  for (const auto& [path, cases] : out.fixture_files)
    request.fixture_files.push_back(std::filesystem::path(path).filename().string());
  out.fixture_names = request.fixture_files;
  out.plan = make_plan(request);
  return out;
}

audit_settings settings_of(const audit_options& o, const planned_audit& p, const target& subject) {
  audit_settings st;
#ifdef LOSSCHECK_VERSION
  st.losscheck_version = LOSSCHECK_VERSION;
#endif
  st.target = subject.name();
  st.seed = o.seed;
  st.cases_per_property = o.cases;
  st.losses = p.plan.losses;
  st.dtypes = p.plan.dtypes;
  st.properties = o.properties;
  st.precision = o.precision;
  st.timeout = o.timeout_seconds;
  st.exclude_classes = o.exclude_classes;
  st.fixtures = p.fixture_names;
  st.plan = p.plan.rows;
  st.planned_checks = static_cast<long long>(p.plan.rows.size());
  if (o.shard.count > 1) st.shard = o.shard;
  st.fixtures_dir = o.fixtures_dir;
  st.all_losses = p.plan.all_losses;
  return st;
}

/// One run of the audit: the phases share the target, the reference, the stop and the report being filled.
class audit_run {
 public:
  audit_run(target& subject, const audit_options& o, planned_audit planned, clock::time_point started)
      : subject_(subject),
        o_(o),
        planned_(std::move(planned)),
        reference_(reference::make_target(o.precision)),
        stop_(o.interrupted, deadline_of(o, started)),
        audited_(subject, o.monitor, stop_, o.exclude_classes),
        rows_(planned_.plan.shard_rows()) {
    if (const auto deadline = deadline_of(o, started); o.monitor && deadline) o.monitor->set_deadline(*deadline);
  }

  std::size_t total() const { return rows_.size(); }

  /// Every property row of the shard, until a stop.
  void property_rows(audit_report& report) {
    for (const plan_row* pr : rows_) {
      if (pr->kind != "property") continue;
      if (stopped_ = stop_.reason(); !stopped_.empty()) return;
      progress(fmt::format("{} {} {}", pr->loss, pr->check, pr->dtype));
      audit_row r = property_row(*pr);
      if (stopped_ = stop_.reason(); !stopped_.empty()) return;  // this row did not finish: not reported
      report.rows.push_back(std::move(r));
      ++done_;
    }
  }

  /// The fixture rows of the shard; none when a stop cuts them short.
  void fixture_rows(audit_report& report) {
    const audit_plan& plan = planned_.plan;
    if (plan.rows.size() == plan.property_rows || !stopped_.empty()) return;
    progress("fixtures");
    try {
      auto fr = losscheck::fixture_rows(subject_, o_.monitor, planned_.fixture_files, plan, stop_, counterexamples_,
                                        o_.exclude_classes);
      std::set<std::size_t> reported;
      for (auto& r : fr) {
        reported.insert(*r.order);
        report.rows.push_back(std::move(r));
        ++done_;
      }
      // a planned fixture row with no fixture case of its loss and dtype is reported as skipped, never dropped
      for (std::size_t order = plan.property_rows; order < plan.rows.size(); ++order) {
        if (!plan.in_shard(order) || reported.count(order)) continue;
        audit_row r;
        r.order = order;
        r.loss = plan.rows[order].loss;
        r.check = "fixtures";
        r.kind = "fixtures";
        r.dtype = plan.rows[order].dtype;
        r.verdict = check_verdict::skipped;
        r.message = "no fixture case of this loss and dtype";
        report.rows.push_back(std::move(r));
        ++done_;
      }
    } catch (const audit_stopped&) {
      stopped_ = stop_.reason();  // the fixture rows did not finish: none is reported
    }
  }

  /// The diagnosis and counterexample fixture case of each failure (or why there is none).
  void diagnose(audit_report& report) {
    for (auto& r : report.rows) {
      if (r.verdict != check_verdict::fail) continue;
      if (stopped_.empty()) stopped_ = stop_.reason();
      if (!stopped_.empty()) {
        if (r.diagnosis.empty())
          r.diagnosis.push_back({fmt::format("diagnosis failed: the audit stopped ({}) before it ran", stopped_), "unexplained", ""});
        continue;
      }
      diagnose_row(r, report.counterexamples);
    }
    for (auto& r : report.rows) {
      if (r.diagnosis.empty()) continue;
      std::vector<properties::finding> fs;
      for (const auto& f : r.diagnosis) fs.push_back({f.text, f.kind, f.detail});
      r.diagnosis_class = properties::overall_kind(fs);
    }
  }

  /// Why the run stopped early ("interrupted", "time limit"), or "".
  std::string stopped() {
    if (stopped_.empty()) stopped_ = stop_.reason();
    return stopped_;
  }
  int signal() const { return stop_.signal(); }

 private:
  static std::optional<clock::time_point> deadline_of(const audit_options& o, clock::time_point started) {
    if (o.time_limit_seconds <= 0) return std::nullopt;
    return started + std::chrono::milliseconds(static_cast<long long>(std::llround(o.time_limit_seconds * 1000)));
  }

  void progress(const std::string& what) {
    if (o_.progress) o_.progress(done_, rows_.size(), what);
  }

  audit_row property_row(const plan_row& pr) {
    const auto& registry = properties::registry();
    const auto p = std::find_if(registry.begin(), registry.end(),
                                [&](const properties::property& q) { return q.loss == pr.loss && q.name == pr.check; });
    std::vector<dtype> dtypes;
    if (pr.dtype == "float32+float64") dtypes = {dtype::float32, dtype::float64};
    else dtypes = {*parse_dtype(pr.dtype)};
    properties::run_options ro;
    ro.seed = o_.seed;
    ro.max_success = o_.cases;
    ro.shrink = true;
    ro.replay_command = fmt::format("losscheck audit --target {} --loss {} --dtype {} --property {} --cases {} --seed {}{} "
                                    "--no-fixtures",
                                    shell_quote(subject_.name()), pr.loss,
                                    dtypes.size() == 2 ? std::string("float32,float64") : pr.dtype, pr.check, o_.cases,
                                    o_.seed,
                                    o_.precision == reference::default_precision_bits
                                        ? std::string()
                                        : fmt::format(" --precision {}", o_.precision));
    if (o_.baseline) {
      ro.replay_command += " --baseline " + shell_quote(o_.baseline_file);
      if (accepts_anything(pr.loss, pr.check)) ro.accepts = [this, &pr](const loss_case& c) { return accepted(pr, c); };
    }
    const properties::context ctx{audited_, *reference_, dtypes};
    const auto t0 = clock::now();
    const auto outcome = properties::run_property(*p, ctx, ro);
    audit_row r;
    r.order = pr.order;
    r.loss = pr.loss;
    r.check = pr.check;
    r.kind = "property";
    r.dtype = pr.dtype;
    r.seconds = seconds_since(t0);
    r.cases = outcome.cases;
    r.unsupported = audited_.take_unsupported();
    const auto grads = audited_.take_unsupported_grads();
    r.unsupported_grads.assign(grads.begin(), grads.end());
    const auto reasons = audited_.take_unsupported_reasons();
    r.unsupported_reasons.assign(reasons.begin(), reasons.end());
    if (!outcome.agreement_ulps.empty()) {
      r.max_ulps = *std::max_element(outcome.agreement_ulps.begin(), outcome.agreement_ulps.end());
      r.histogram = ulps_histogram::of(outcome.agreement_ulps);
      r.error_points = error_points_of(outcome.agreement_magnitudes, outcome.agreement_ulps);
    }
    if (const auto incident = audited_.take_incident()) {
      r.verdict = check_verdict::fail;
      r.message = incident->first;
      counterexamples_[pr.order] = incident->second;
      r.counterexample = counterexample_json(incident->second);
      r.report = fmt::format("{}\n  case: {}\n(the property stopped asking the program after this incident)\n{}",
                             incident->first, incident->second, outcome.report);
      r.diagnosis.push_back({"the program misbehaved: " + incident->first, "bug", ""});
      return r;
    }
    switch (outcome.status) {
      case properties::run_status::passed:
        if (outcome.vacuous > 0) r.message = outcome.report.substr(outcome.report.find("; ") + 2);
        break;
      case properties::run_status::skipped:
        // every case ran and checked nothing (the target declares the gradients the property is about missing)
        r.verdict = check_verdict::skipped;
        r.message = outcome.report.substr(std::string_view("skipped: ").size());
        break;
      case properties::run_status::gave_up:
        // too many generated cases discarded (mostly: unsupported by the target): not a finding against the target.
        // The cases that did run passed: a pass over fewer cases (the count says how many); none: skipped.
        r.gave_up = true;
        r.verdict = r.cases > 0 ? check_verdict::pass : check_verdict::skipped;
        r.message = r.unsupported > 0 ? fmt::format("{} of {} generated cases unsupported by the target", r.unsupported,
                                                    r.unsupported + r.cases)
                                      : "gave up: too many generated cases discarded (raise --cases)";
        break;
      case properties::run_status::failed:
        r.verdict = check_verdict::fail;
        r.report = outcome.report;
        r.message = first_message(outcome.report);
        if (const auto c = first_case(outcome.report)) {
          counterexamples_[pr.order] = *c;
          r.counterexample = counterexample_json(*c);
        }
        if (!outcome.original_counterexample.empty()) originals_[pr.order] = outcome.original_counterexample;
        r.accepted = outcome.only_accepted;  // every failing case was accepted by the baseline, case by case
        break;
      case properties::run_status::error:
        // RapidCheck could not run it: nothing was shown to hold, so it is no pass
        r.verdict = check_verdict::fail;
        r.report = outcome.report;
        r.message = first_message(outcome.report);
        break;
    }
    return r;
  }

  /// Whether the baseline names a finding of `loss` for `check` (or for every check).
  bool accepts_anything(const std::string& loss, const std::string& check) const {
    return std::any_of(o_.baseline->accepted.begin(), o_.baseline->accepted.end(),
                       [&](const baseline_entry& e) { return e.loss == loss && (e.check == check || e.check == "*"); });
  }

  /// Whether the failure of property row `pr` on case `c` is an accepted finding: `c` diagnosed as a row's
  /// counterexample is, and its finding key (the most serious finding's) is one the baseline accepts for the row.
  bool accepted(const plan_row& pr, const loss_case& c) {
    incident_throwing_target asked(subject_, o_.monitor);
    const auto found = properties::diagnose(c, asked, *reference_);
    if (found.empty()) return false;
    audit_row r;
    r.loss = pr.loss;
    r.check = pr.check;
    r.verdict = check_verdict::fail;
    r.diagnosis = findings_of(found);
    r.diagnosis_class = properties::overall_kind(found);
    return o_.baseline->accepts(r);
  }

  void diagnose_row(audit_row& r, std::vector<counterexample_case>& out) {
    const auto text = counterexamples_.find(*r.order);
    if (text == counterexamples_.end()) {
      if (r.diagnosis.empty())
        r.diagnosis.push_back({"diagnosis failed: the failure report holds no counterexample case", "unexplained", ""});
      return;
    }
    loss_case c;
    try {
      // parse_json, not the report's copy: it rounds decimals to float32 correctly (docs/format.md)
      c = case_from_json(parse_json(text->second));
    } catch (const std::exception& e) {
      if (r.diagnosis.empty())
        r.diagnosis.push_back({fmt::format("diagnosis failed: the counterexample is not a case: {}", e.what()), "unexplained", ""});
      return;
    }
    progress(fmt::format("diagnosing {} {} {}", r.loss, r.check, r.dtype));
    if (r.diagnosis.empty()) {
      std::vector<properties::finding> found;
      try {
        incident_throwing_target asked(subject_, o_.monitor);
        found = properties::diagnose(c, asked, *reference_);
        // A shrunk counterexample can be degenerate (an empty input, weights shrunk to 0, a NaN mean) or too small to
        // tell mistakes apart (one target: dividing by the count of targets and `sum` agree): then diagnose the
        // original failing case too and prefer its diagnosis when it is neither.
        auto ambiguous = [](const std::vector<properties::finding>& fs) {
          return std::any_of(fs.begin(), fs.end(), [](const properties::finding& f) { return f.ambiguous; });
        };
        std::string degenerate = properties::degenerate_reason(c, reference_->evaluate(c));
        const bool shrunk_ambiguous = ambiguous(found);
        if (degenerate.empty() && shrunk_ambiguous) degenerate = "known mistakes coincide on it";
        if (auto o = originals_.find(*r.order); !degenerate.empty() && o != originals_.end() && o->second != text->second) {
          const loss_case original = case_from_json(parse_json(o->second));
          const loss_result want = reference_->evaluate(original);
          if (properties::degenerate_reason(original, want).empty()) {
            auto from_original = properties::diagnose(original, asked, *reference_);
            if (!from_original.empty() && !ambiguous(from_original)) {
              for (auto& f : from_original)
                f.detail += fmt::format("{}diagnosed on the original counterexample: the shrunk one is degenerate or too "
                                        "small ({})",
                                        f.detail.empty() ? "" : "; ", degenerate);
              found = std::move(from_original);
              c = original;
              r.counterexample = counterexample_json(o->second);
              r.report += fmt::format("{}the shrunk counterexample is degenerate or too small ({}); the diagnosis and the "
                                      "counterexample fixture use the original failing case: {}\n",
                                      r.report.empty() || r.report.ends_with('\n') ? "" : "\n", degenerate, o->second);
            }
          }
        }
        // still ambiguous: the same case with its batch doubled tells the coinciding mistakes apart (one target:
        // the count of targets and `sum`; doubled, the count is 2 and the sum twice the mean)
        if (ambiguous(found)) {
          const auto bigger = properties::with_batch_doubled(c);
          const loss_result want = bigger ? reference_->evaluate(*bigger) : loss_result{};
          if (bigger && want.ok() && properties::degenerate_reason(*bigger, want).empty()) {
            auto from_bigger = properties::diagnose(*bigger, asked, *reference_);
            if (!from_bigger.empty() && !ambiguous(from_bigger)) {
              for (auto& f : from_bigger)
                f.detail += fmt::format("{}diagnosed on the counterexample with its batch doubled: on the case itself "
                                        "known mistakes coincide",
                                        f.detail.empty() ? "" : "; ");
              found = std::move(from_bigger);
              c = *bigger;
              r.counterexample = counterexample_json(to_json(c));
              r.report += fmt::format("{}known mistakes coincide on the counterexample; the diagnosis and the "
                                      "counterexample fixture use it with its batch doubled: {}\n",
                                      r.report.empty() || r.report.ends_with('\n') ? "" : "\n", to_json(c));
            }
          }
        }
      } catch (const std::exception& e) {
        found = {{fmt::format("diagnosis failed: {}", e.what()), "unexplained", ""}};
      }
      // the counterexample itself agrees with torch: the property compared it with another case (the mapped
      // reduction of legacy flags, the permuted batch, the batch of one); the mistake may be in that one
      if (found.empty()) {
        const auto cases = shown_cases(r.report);
        for (std::size_t k = 1; k < cases.size() && found.empty(); ++k) {
          try {
            const loss_case other = case_from_json(parse_json(cases[k]));
            incident_throwing_target asked(subject_, o_.monitor);
            auto from_other = properties::diagnose(other, asked, *reference_);
            if (from_other.empty()) continue;
            for (auto& f : from_other)
              f.detail += fmt::format("{}diagnosed on the case the property compared the counterexample with (the "
                                      "counterexample itself agrees with the reference)",
                                      f.detail.empty() ? "" : "; ");
            found = std::move(from_other);
            c = other;
            r.counterexample = counterexample_json(cases[k]);
          } catch (const std::exception&) {
            // not a case, or the diagnosis failed: no evidence from it
          }
        }
      }
      if (found.empty())
        found.push_back({"agrees with the reference on the counterexample itself, and its gradients agree with its "
                         "own forward: the failure is in how answers relate (see the property's message)",
                         "unexplained", ""});
      r.diagnosis = findings_of(found);
    }
    counterexample_case cc;
    cc.id = fmt::format("{}/{}/{}", r.loss, r.check, r.dtype);
    cc.c = c;
    cc.c.id = nlohmann::json(cc.id).dump();
    try {
      cc.expected = reference_->evaluate(cc.c);
      cc.expected.id = "null";
    } catch (const std::exception& e) {
      r.report += fmt::format("{}counterexample not written as a fixture: the reference failed on it: {}\n",
                              r.report.empty() || r.report.ends_with('\n') ? "" : "\n", e.what());
      return;
    }
    out.push_back(std::move(cc));
  }

  target& subject_;
  const audit_options& o_;
  planned_audit planned_;
  std::unique_ptr<target> reference_;
  stopper stop_;
  audited_target audited_;
  std::vector<const plan_row*> rows_;  // this shard's
  std::size_t done_ = 0;
  std::map<std::size_t, std::string> counterexamples_;  // order → a failure's case as JSON text (read by parse_json)
  std::map<std::size_t, std::string> originals_;        // order → the failing case before shrinking, as JSON text
  std::string stopped_;                                 // why the run stopped early, "" while it goes on
};

}  // namespace

audit_report audit(target& subject, const audit_options& o) {
  const auto started = clock::now();
  // the edge classes --exclude-class may name (properties::edge_classes, and nonfinite = NaN or inf)
  static const std::vector<std::string> excludable = {
      "nonfinite", "NaN",  "inf",         "-0",         "0",           "1",           "subnormal",  "huge",
      "empty",     "N=1",  "0-D",         "unbatched",  "K-dim",       "C=1",         "C=2",        "ignored target",
      "all ignored", "target out of range", "probability target", "label smoothing", "weight", "pos_weight",
      "log_target", "legacy flags", "grad_output", "reduction=(default)", "reduction=none", "reduction=mean",
      "reduction=sum", "reduction=batchmean"};
  for (const auto& x : o.exclude_classes)
    if (std::find(excludable.begin(), excludable.end(), x) == excludable.end())
      throw std::invalid_argument(fmt::format("unknown edge class '{}' for --exclude-class{} (classes: {})", x,
                                              did_you_mean(x, excludable), fmt::join(excludable, ", ")));
  planned_audit planned = plan_of(o);  // usage errors throw here, before anything runs
  audit_report report;
  report.settings = settings_of(o, planned, subject);
  properties::rapidcheck::configure_quietly(o.seed);
  audit_run run(subject, o, std::move(planned), started);
  if (o.on_start) o.on_start(report);

  auto phase = [&](double& seconds, auto&& step) {
    const auto t0 = clock::now();
    step();
    seconds = seconds_since(t0);
  };
  phase(report.timings.properties, [&] { run.property_rows(report); });
  phase(report.timings.fixtures, [&] { run.fixture_rows(report); });
  std::sort(report.rows.begin(), report.rows.end(), [](const audit_row& a, const audit_row& b) { return *a.order < *b.order; });
  phase(report.timings.diagnosis, [&] { run.diagnose(report); });

  const std::string stopped = run.stopped();
  report.incomplete = !stopped.empty();
  report.incomplete_reason = stopped;
  if (stopped == "interrupted") report.interrupt_signal = run.signal() ? run.signal() : SIGINT;
  if (o.monitor) report.target_summary = o.monitor->summary();
  if (o.baseline) report.apply_baseline(*o.baseline, o.baseline_file);
  report.timings.total = seconds_since(started);
  return report;
}

void name_counterexamples_file(audit_report& report, const std::string& file) {
  const std::string name = report.counterexamples.empty() ? std::string() : file;
  report.counterexamples_file = name;
  for (auto& r : report.rows) {
    r.counterexample_fixture.reset();
    if (name.empty()) continue;
    const std::string id = fmt::format("{}/{}/{}", r.loss, r.check, r.dtype);
    if (std::any_of(report.counterexamples.begin(), report.counterexamples.end(),
                    [&](const counterexample_case& c) { return c.id == id; }))
      r.counterexample_fixture = fixture_ref{name, id};
  }
}

}  // namespace losscheck
