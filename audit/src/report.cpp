// The report of an audit: counts and verdict, the JSON document both ways, and the merge of shards (report.h).

#include "losscheck/audit/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

namespace losscheck {

using json = nlohmann::json;

namespace {

// ---- reading fields: optional fields may be missing or odd; a reader never throws on them ----

const json& field(const json& j, const char* key) {
  static const json null_value;
  if (!j.is_object()) return null_value;
  const auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

std::string str(const json& j, const char* key) {
  const json& v = field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

/// A JSON value as text: strings as they are, other values as JSON.
std::string text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<std::string> strings(const json& v) {
  std::vector<std::string> out;
  if (v.is_array())
    for (const auto& e : v) out.push_back(text(e));
  return out;
}

std::optional<std::vector<std::string>> optional_strings(const json& v) {
  if (!v.is_array()) return std::nullopt;
  return strings(v);
}

/// A whole number >= 0 (read from text it is unsigned; built in memory it may be signed).
bool non_negative(const json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<long long>() >= 0);
}

json null_if_empty(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

const std::vector<std::string> known_keys = {
    "format",  "version",  "losscheck", "target",  "seed",          "cases_per_property", "losses",
    "dtypes",  "fixtures", "properties", "precision", "timeout",    "plan",               "planned_checks",
    "shard",   "incomplete", "incomplete_reason", "counterexamples_file", "counterexamples_files", "merged_from",
    "verdict", "summary",  "timings",   "results", "findings", "baseline", "exclude_classes"};

const std::vector<std::string> known_row_keys = {
    "order",   "loss",    "check",          "kind",    "dtype",          "verdict",        "gave_up",
    "cases",   "unsupported", "max_ulps",   "ulps_histogram", "seconds", "message",        "report",
    "counterexample", "counterexample_fixture", "diagnosis", "diagnosis_class", "unsupported_grads",
    "unsupported_reasons", "accepted", "error_points", "outputs_only"};

json extra_of(const json& j, const std::vector<std::string>& known) {
  json extra = json::object();
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) extra[it.key()] = it.value();
  return extra;
}

json row_json(const audit_row& r) {
  json e = r.extra.is_object() ? r.extra : json::object();
  if (r.order) e["order"] = *r.order;
  e["loss"] = r.loss;
  e["check"] = r.check;
  e["kind"] = r.kind;
  e["dtype"] = r.dtype;
  e["verdict"] = to_string(r.verdict);
  e["gave_up"] = r.gave_up;
  e["cases"] = r.cases;
  e["unsupported"] = r.unsupported;
  if (r.kind == "fixtures") e["outputs_only"] = r.outputs_only;
  e["unsupported_grads"] = r.unsupported_grads;
  e["unsupported_reasons"] = r.unsupported_reasons;
  e["max_ulps"] = !r.max_ulps ? json(nullptr) : std::isfinite(*r.max_ulps) ? json(*r.max_ulps) : json("inf");
  e["ulps_histogram"] = r.histogram ? json{{"edges", r.histogram->edges}, {"counts", r.histogram->counts}} : json(nullptr);
  {
    auto pts = json::array();
    for (const auto& [m, u] : r.error_points) pts.push_back({m, std::isfinite(u) ? json(u) : json("inf")});
    e["error_points"] = std::move(pts);
  }
  e["seconds"] = r.seconds;
  e["message"] = null_if_empty(r.message);
  e["report"] = null_if_empty(r.report);
  e["counterexample"] = r.counterexample;
  e["counterexample_fixture"] =
      r.counterexample_fixture ? json{{"file", r.counterexample_fixture->file}, {"id", r.counterexample_fixture->id}}
                               : json(nullptr);
  auto d = json::array();
  for (const auto& f : r.diagnosis) {
    json x{{"finding", f.text}, {"class", f.kind}, {"detail", f.detail}};
    if (!f.equally.empty()) x["equally"] = f.equally;
    d.push_back(std::move(x));
  }
  e["diagnosis"] = std::move(d);
  e["diagnosis_class"] = null_if_empty(r.diagnosis_class);
  e["accepted"] = r.accepted;
  return e;
}

audit_row row_from_json(const json& r) {
  audit_row row;
  if (non_negative(field(r, "order"))) row.order = field(r, "order").get<std::size_t>();
  row.loss = str(r, "loss");
  row.check = str(r, "check");
  row.kind = str(r, "kind");
  row.dtype = str(r, "dtype");
  row.verdict = parse_check_verdict(str(r, "verdict")).value_or(check_verdict::fail);
  row.gave_up = field(r, "gave_up") == true;
  row.cases = field(r, "cases").is_number_integer() ? field(r, "cases").get<long long>() : 0;
  row.unsupported = field(r, "unsupported").is_number_integer() ? field(r, "unsupported").get<long long>() : 0;
  row.outputs_only = field(r, "outputs_only").is_number_integer() ? field(r, "outputs_only").get<long long>() : 0;
  const json& mu = field(r, "max_ulps");
  if (mu.is_number()) row.max_ulps = mu.get<double>();
  else if (mu.is_string()) row.max_ulps = std::numeric_limits<double>::infinity();  // written as "inf"
  const json& h = field(r, "ulps_histogram");
  if (h.is_object()) {
    ulps_histogram hist;
    const json& edges = field(h, "edges");
    const json& counts = field(h, "counts");
    // what does not fit (a non-number, a fractional count) leaves the histogram malformed: its renderers say so
    if (edges.is_array() && std::all_of(edges.begin(), edges.end(), [](const json& x) { return x.is_number(); }))
      for (const auto& x : edges) hist.edges.push_back(x.get<double>());
    if (counts.is_array() && std::all_of(counts.begin(), counts.end(), [](const json& x) { return x.is_number_integer(); }))
      for (const auto& x : counts) hist.counts.push_back(x.get<long long>());
    row.histogram = std::move(hist);
  }
  if (const json& pts = field(r, "error_points"); pts.is_array())
    for (const auto& pt : pts)
      if (pt.is_array() && pt.size() == 2 && pt[0].is_number() && (pt[1].is_number() || pt[1].is_string()))
        row.error_points.push_back(
            {pt[0].get<double>(), pt[1].is_number() ? pt[1].get<double>() : std::numeric_limits<double>::infinity()});
  row.seconds = field(r, "seconds").is_number() ? field(r, "seconds").get<double>() : 0.0;
  row.message = str(r, "message");
  row.report = str(r, "report");
  row.counterexample = field(r, "counterexample");
  if (const json& f = field(r, "counterexample_fixture"); !str(f, "file").empty())
    row.counterexample_fixture = fixture_ref{str(f, "file"), str(f, "id")};
  if (const json& d = field(r, "diagnosis"); d.is_array())
    for (const auto& f : d) row.diagnosis.push_back({str(f, "finding"), str(f, "class"), str(f, "detail"), strings(field(f, "equally"))});
  row.diagnosis_class = str(r, "diagnosis_class");
  row.unsupported_grads = strings(field(r, "unsupported_grads"));
  row.unsupported_reasons = strings(field(r, "unsupported_reasons"));
  row.accepted = field(r, "accepted") == true && row.verdict == check_verdict::fail;
  row.extra = extra_of(r, known_row_keys);
  return row;
}

/// The fields shards of one audit share, as JSON (null: not recorded), in the order a mismatch is reported.
std::vector<std::pair<std::string, json>> shared_settings(const audit_report& r) {
  const json j = r.to_json();
  std::vector<std::pair<std::string, json>> out;
  for (const char* key : {"losscheck", "target", "seed", "cases_per_property", "losses", "dtypes", "fixtures",
                          "planned_checks", "properties", "precision", "timeout", "plan", "exclude_classes"})
    out.emplace_back(key, field(j, key));
  return out;
}

std::string plan_row_text(const json& row) {
  return fmt::format("{} {} [{}]", str(row, "loss"), str(row, "check"), str(row, "dtype"));
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------

bool ulps_histogram::well_formed() const {
  return !edges.empty() && counts.size() == edges.size() + 1 &&
         std::all_of(counts.begin(), counts.end(), [](long long c) { return c >= 0; });
}

ulps_histogram ulps_histogram::of(const std::vector<double>& ulps) {
  ulps_histogram h;
  h.edges = {0, 0.5, 1, 2, 4, 8, 16, 64, 1024};
  h.counts.assign(h.edges.size() + 1, 0);
  for (double u : ulps) {
    if (u == 0) {
      ++h.counts[0];
      continue;
    }
    std::size_t i = 1;
    while (i < h.edges.size() && !(u <= h.edges[i])) ++i;
    ++h.counts[i];  // i == edges.size(): above 1024, or NaN/inf
  }
  return h;
}

std::vector<std::array<double, 2>> error_points_of(const std::vector<double>& magnitudes, const std::vector<double>& ulps) {
  const std::size_t n = std::min(magnitudes.size(), ulps.size());
  std::vector<std::array<double, 2>> out;
  if (n == 0) return out;
  const std::size_t step = (n + audit_row::max_error_points - 2) / (audit_row::max_error_points - 1);
  std::size_t worst = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (!(ulps[i] <= ulps[worst])) worst = i;  // NaN and inf count as the largest
  // as JSON keeps them: a magnitude that is not finite is drawn at 0, an error that is not finite (NaN) is inf
  const auto point = [&](std::size_t i) {
    return std::array<double, 2>{std::isfinite(magnitudes[i]) ? magnitudes[i] : 0.0,
                                 std::isnan(ulps[i]) ? std::numeric_limits<double>::infinity() : ulps[i]};
  };
  for (std::size_t i = 0; i < n; i += std::max<std::size_t>(step, 1))
    if (i != worst) out.push_back(point(i));
  out.push_back(point(worst));
  return out;
}

audit_report::counts audit_report::count() const {
  counts c;
  for (const auto& r : rows) {
    ++c.checks;
    c.passed += r.verdict == check_verdict::pass;
    c.failed += r.verdict == check_verdict::fail && !r.accepted;
    c.accepted += r.verdict == check_verdict::fail && r.accepted;
    c.skipped += r.verdict == check_verdict::skipped;
    c.gave_up += r.gave_up;
    c.cases += r.cases;
  }
  return c;
}

verdict audit_report::verdict() const {
  const counts c = count();
  return verdict_of(c.passed, c.failed, incomplete);
}

int audit_report::exit_code() const { return losscheck::exit_code(verdict(), interrupt_signal); }

long long audit_report::planned_in_shard() const {
  if (!settings.planned_checks) return static_cast<long long>(rows.size());
  const long long n = settings.shard ? settings.shard->count : 1, i = settings.shard ? settings.shard->index : 1;
  long long k = 0;
  for (long long order = 0; order < *settings.planned_checks; ++order) k += order % n == i - 1;
  return k;
}

json audit_report::to_json() const {
  json j = extra.is_object() ? extra : json::object();
  j["format"] = "losscheck-audit";
  j["version"] = 1;
  if (!settings.losscheck_version.empty()) j["losscheck"] = settings.losscheck_version;
  j["target"] = settings.target;
  j["seed"] = settings.seed;
  if (settings.cases_per_property) j["cases_per_property"] = *settings.cases_per_property;
  j["losses"] = settings.losses;
  j["dtypes"] = settings.dtypes;
  if (settings.fixtures) j["fixtures"] = *settings.fixtures;
  if (settings.properties) j["properties"] = *settings.properties;
  if (settings.precision) j["precision"] = *settings.precision;
  if (settings.timeout) j["timeout"] = *settings.timeout;
  if (!settings.exclude_classes.empty()) j["exclude_classes"] = settings.exclude_classes;
  if (settings.plan) {
    auto plan = json::array();
    for (const auto& p : *settings.plan) plan.push_back({{"loss", p.loss}, {"check", p.check}, {"kind", p.kind}, {"dtype", p.dtype}});
    j["plan"] = std::move(plan);
  }
  if (settings.planned_checks) j["planned_checks"] = *settings.planned_checks;
  if (settings.shard) j["shard"] = {{"index", settings.shard->index}, {"count", settings.shard->count}};
  j["incomplete"] = incomplete;
  j["incomplete_reason"] = incomplete ? null_if_empty(incomplete_reason) : json(nullptr);
  j["counterexamples_file"] = null_if_empty(counterexamples_file);
  if (!counterexamples_files.empty()) j["counterexamples_files"] = counterexamples_files;
  if (merged_from) j["merged_from"] = *merged_from;
  j["verdict"] = to_string(verdict());
  const counts c = count();
  j["summary"] = {{"checks", c.checks}, {"passed", c.passed},   {"failed", c.failed},         {"skipped", c.skipped},
                  {"gave_up", c.gave_up}, {"cases", c.cases}, {"accepted", c.accepted}, {"seconds", timings.total}};
  j["baseline"] = null_if_empty(baseline_file);
  auto fs = json::array();
  for (const auto& g : findings()) {
    const audit_row& ex = rows[g.example];
    auto checks = json::array();
    for (auto i : g.rows) checks.push_back({{"check", rows[i].check}, {"dtype", rows[i].dtype}});
    fs.push_back({{"loss", g.loss},
                  {"class", null_if_empty(g.kind)},
                  {"finding", g.text},
                  {"key", g.key},
                  {"accepted", g.accepted},
                  {"checks", std::move(checks)},
                  {"example", {{"check", ex.check}, {"dtype", ex.dtype}, {"message", null_if_empty(ex.message)},
                               {"counterexample", ex.counterexample}}}});
  }
  j["findings"] = std::move(fs);
  j["timings"] = {{"properties", {{"seconds", timings.properties}}},
                  {"fixtures", {{"seconds", timings.fixtures}}},
                  {"diagnosis", {{"seconds", timings.diagnosis}}}};
  auto rs = json::array();
  for (const auto& r : rows) rs.push_back(row_json(r));
  j["results"] = std::move(rs);
  return j;
}

std::string audit_report::json_text() const {
  return to_json().dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

audit_report audit_report::from_json(const json& a, const std::string& name) {
  auto bad = [&](const std::string& what) { throw std::invalid_argument(fmt::format("{}: {}", name, what)); };
  if (!a.is_object()) bad("not a losscheck audit report (not a JSON object)");
  if (str(a, "format") != "losscheck-audit")
    bad(fmt::format("not a losscheck audit report (\"format\" is {}, want \"losscheck-audit\")", field(a, "format").dump()));
  if (!field(a, "version").is_number_integer() || field(a, "version").get<long long>() != 1)
    bad(fmt::format("audit report format version {}: this losscheck reads version 1", field(a, "version").dump()));
  if (!field(a, "target").is_string()) bad("\"target\" is missing or not a string");
  if (!non_negative(field(a, "seed"))) bad("\"seed\" is missing or not an unsigned integer");
  if (!field(a, "results").is_array()) bad("\"results\" is missing or not an array");
  std::size_t i = 0;
  for (const auto& r : field(a, "results")) {
    const std::string where = fmt::format("results[{}]", i++);
    if (!r.is_object()) bad(where + " is not an object");
    for (const char* key : {"loss", "check", "dtype", "verdict"})
      if (!field(r, key).is_string()) bad(fmt::format("{}.{} is missing or not a string", where, key));
    const std::string v = str(r, "verdict");
    if (!parse_check_verdict(v)) bad(fmt::format("{}.verdict is \"{}\" (want pass, fail or skipped)", where, v));
    if (!non_negative(field(r, "cases"))) bad(where + ".cases is missing or not a non-negative integer");
    const json& order = field(r, "order");
    if (!order.is_null() && !non_negative(order)) bad(where + ".order is not a non-negative integer");
  }
  const json& s = field(a, "shard");
  if (!s.is_null() && (!field(s, "index").is_number_integer() || !field(s, "count").is_number_integer() ||
                       field(s, "count").get<long long>() < 1 || field(s, "index").get<long long>() < 1 ||
                       field(s, "index").get<long long>() > field(s, "count").get<long long>()))
    bad(fmt::format("\"shard\" is {}: want {{\"index\": I, \"count\": N}} with 1 <= I <= N", s.dump()));

  audit_report out;
  auto& st = out.settings;
  st.losscheck_version = str(a, "losscheck");
  st.target = str(a, "target");
  st.seed = field(a, "seed").get<std::uint64_t>();
  if (field(a, "cases_per_property").is_number_integer()) st.cases_per_property = field(a, "cases_per_property").get<long long>();
  st.losses = strings(field(a, "losses"));
  st.dtypes = strings(field(a, "dtypes"));
  st.fixtures = optional_strings(field(a, "fixtures"));
  st.properties = optional_strings(field(a, "properties"));
  if (non_negative(field(a, "precision"))) st.precision = field(a, "precision").get<unsigned>();
  if (field(a, "timeout").is_number()) st.timeout = field(a, "timeout").get<double>();
  if (const json& plan = field(a, "plan"); plan.is_array()) {
    st.plan.emplace();
    for (const auto& p : plan)
      st.plan->push_back({st.plan->size(), str(p, "loss"), str(p, "check"), str(p, "kind"), str(p, "dtype")});
  }
  if (non_negative(field(a, "planned_checks"))) st.planned_checks = field(a, "planned_checks").get<long long>();
  if (s.is_object()) st.shard = shard{field(s, "index").get<int>(), field(s, "count").get<int>()};
  st.all_losses = false;
  out.incomplete = field(a, "incomplete") == true;
  out.incomplete_reason = str(a, "incomplete_reason");
  out.counterexamples_file = str(a, "counterexamples_file");
  out.counterexamples_files = strings(field(a, "counterexamples_files"));
  if (field(a, "merged_from").is_number_integer()) out.merged_from = field(a, "merged_from").get<long long>();
  const json& summary_seconds = field(field(a, "summary"), "seconds");
  out.timings.total = summary_seconds.is_number() ? summary_seconds.get<double>() : 0.0;
  auto phase = [&](const char* key) {
    const json& v = field(field(field(a, "timings"), key), "seconds");
    return v.is_number() ? v.get<double>() : 0.0;
  };
  out.timings.properties = phase("properties");
  out.timings.fixtures = phase("fixtures");
  out.timings.diagnosis = phase("diagnosis");
  for (const auto& r : field(a, "results")) out.rows.push_back(row_from_json(r));
  out.baseline_file = str(a, "baseline");
  out.settings.exclude_classes = strings(field(a, "exclude_classes"));
  // plan order, where every row says where it belongs (a report edited by hand may not)
  if (std::all_of(out.rows.begin(), out.rows.end(), [](const audit_row& r) { return r.order.has_value(); }))
    std::stable_sort(out.rows.begin(), out.rows.end(), [](const audit_row& x, const audit_row& y) { return *x.order < *y.order; });
  out.extra = extra_of(a, known_keys);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

audit_report merge_reports(const std::vector<audit_report>& shards, const std::vector<std::string>& names_in) {
  if (shards.empty()) throw std::invalid_argument("no report to merge");
  std::vector<std::string> names = names_in;
  for (std::size_t i = names.size(); i < shards.size(); ++i) names.push_back(fmt::format("report {}", i + 1));

  // shard I/N of each report; a report without "shard" is an unsharded run, 1/1
  std::vector<long long> index(shards.size()), count(shards.size());
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const auto& s = shards[i].settings.shard;
    index[i] = s ? s->index : 1;
    count[i] = s ? s->count : 1;
  }
  auto who = [&](std::size_t i) {
    return !shards[i].settings.shard ? names[i] + " (unsharded)"
                                     : fmt::format("{} (shard {}/{})", names[i], index[i], count[i]);
  };

  // the same audit: every setting that shapes the plan or its cases
  const auto first = shared_settings(shards[0]);
  for (std::size_t i = 1; i < shards.size(); ++i) {
    if (count[i] != count[0])
      throw std::invalid_argument(fmt::format("{}: shard count {} differs from {}: {} -- the shards of one audit share N",
                                              who(i), count[i], who(0), count[0]));
    const auto these = shared_settings(shards[i]);
    for (std::size_t f = 0; f < first.size(); ++f) {
      const std::string& key = first[f].first;
      const json& x = these[f].second;
      const json& y = first[f].second;
      if (x == y) continue;
      if (key == "plan" && x.is_array() && y.is_array()) {
        std::size_t k = 0;
        while (k < x.size() && k < y.size() && x[k] == y[k]) ++k;
        const std::string here = k < x.size() ? plan_row_text(x[k]) : std::string("the end of the plan");
        const std::string there = k < y.size() ? plan_row_text(y[k]) : std::string("the end of the plan");
        throw std::invalid_argument(fmt::format("{}: \"plan\" differs from {}'s at row {}: {} but {} -- shards of one "
                                                "audit share it",
                                                who(i), who(0), k, here, there));
      }
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
  if (!shards[0].settings.planned_checks)
    throw std::invalid_argument(fmt::format("{}: \"planned_checks\" is missing or not a non-negative integer", who(0)));
  const long long planned = *shards[0].settings.planned_checks;
  std::map<long long, std::pair<std::size_t, const audit_row*>> rows;  // order -> (shard, row)
  bool any_incomplete = false;
  std::string reason;
  audit_timings timings;
  std::vector<std::string> counterexample_files;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const audit_report& s = shards[i];
    if (s.incomplete && !any_incomplete) reason = s.incomplete_reason;
    any_incomplete = any_incomplete || s.incomplete;
    timings.total += s.timings.total;
    timings.properties += s.timings.properties;
    timings.fixtures += s.timings.fixtures;
    timings.diagnosis += s.timings.diagnosis;
    if (const std::string& f = s.counterexamples_file; !f.empty() &&
        std::find(counterexample_files.begin(), counterexample_files.end(), f) == counterexample_files.end())
      counterexample_files.push_back(f);
    std::size_t k = 0;
    for (const auto& r : s.rows) {
      const std::string where = fmt::format("{}: results[{}] ({} {} [{}])", who(i), k++, r.loss, r.check, r.dtype);
      if (!r.order) throw std::invalid_argument(where + " has no \"order\"");
      const auto order = static_cast<long long>(*r.order);
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

  audit_report merged = shards[by_index.at(1)];
  merged.settings.shard.reset();
  merged.merged_from = n;
  merged.rows.clear();
  for (const auto& [order, sr] : rows) merged.rows.push_back(*sr.second);
  merged.timings = timings;
  merged.incomplete = any_incomplete;
  merged.incomplete_reason = any_incomplete ? reason : std::string();
  merged.interrupt_signal = 0;
  merged.counterexamples.clear();
  merged.target_summary.clear();
  // each row's counterexample_fixture names its shard's file; one name on top only when they share it
  merged.counterexamples_file = counterexample_files.size() == 1 ? counterexample_files[0] : std::string();
  merged.counterexamples_files = counterexample_files.size() > 1 ? counterexample_files : std::vector<std::string>{};
  return merged;
}

}  // namespace losscheck
