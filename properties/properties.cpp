// The registry, the runner (RapidCheck under a fixed default seed, with failure reports that replay) and the helpers
// shared by the property files.

#include "properties.h"

#include <fmt/format.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/problem.h"
#include "losscheck/shell.h"
#include "rapidcheck_runner.h"
#include "support.h"

namespace losscheck::properties {
namespace {

/// The coverage of the property being run (one at a time per thread).
thread_local std::map<std::string, int>* running_coverage = nullptr;
thread_local std::vector<double>* running_ulps = nullptr;  // where expect_agreement records its errors

}  // namespace

run_options options_from_environment() {
  run_options o;
  const auto env = rapidcheck::from_environment();
  o.seed = env.seed.value_or(default_seed);
  o.max_success = env.max_success;
  o.shrink = env.shrink;
  if (const char* deep = std::getenv("LOSSCHECK_DEEP"); deep && std::string(deep) != "0" && std::string(deep) != "")
    o.max_success *= 100;
  return o;
}

const char* to_string(run_status s) {
  switch (s) {
    case run_status::passed: return "passed";
    case run_status::failed: return "failed";
    case run_status::gave_up: return "gave up";
    case run_status::error: return "error";
  }
  return "?";
}

run_outcome run_property(const property& p, const context& ctx, const run_options& options) {
  run_outcome out;
  running_coverage = &out.coverage;
  running_ulps = &out.agreement_ulps;
  const auto result = rapidcheck::check(p.loss + "." + p.name + "@" + ctx.subject.name(), p.name, [&] { p.fn(ctx); },
                                        options.seed, options.max_success, options.shrink);
  running_coverage = nullptr;
  running_ulps = nullptr;
  out.cases = result.successes;
  std::ostringstream report;
  switch (result.status) {
    case rapidcheck::check_status::success:
      out.status = run_status::passed;
      report << "OK, passed " << result.successes << " cases (seed=" << options.seed << ")";
      break;
    case rapidcheck::check_status::failure:
      out.status = run_status::failed;
      report << "FAILED " << p.name << " against " << ctx.subject.name() << " after " << result.successes
             << " successful cases (seed=" << options.seed << ")\n"
             << result.description << "\n";
      if (!result.counterexample.empty()) {
        report << "counterexample (shrunk):\n";
        for (const auto& value : result.counterexample) report << "  " << value << "\n";
      }
      if (!options.replay_command.empty())
        report << "replay this property: RC_PARAMS=\"" << result.replay_params << "\" " << options.replay_command << "\n";
      break;
    case rapidcheck::check_status::gave_up:
      out.status = run_status::gave_up;
      report << "GAVE UP " << p.name << " after " << result.successes << " cases (too many discarded): "
             << result.description;
      break;
    case rapidcheck::check_status::error:
      out.status = run_status::error;
      report << "ERROR " << p.name << ": " << result.description;
      break;
  }
  out.report = report.str();
  return out;
}

std::string format_coverage(const std::map<std::string, int>& coverage, int cases) {
  std::string out;
  for (const auto& [name, count] : coverage)
    out += fmt::format("    {:<28} {:>6} ({:.0f}%)\n", name, count, cases > 0 ? 100.0 * count / cases : 0.0);
  return out;
}

namespace detail {

void cover(const loss_case& c) {
  if (!running_coverage) return;
  for (const auto& e : edge_classes(c)) ++(*running_coverage)[e];
}

loss_result evaluate(target& t, const loss_case& c) { return t.evaluate(c); }

dtype pick_dtype(const context& ctx) {
  if (ctx.dtypes.size() == 1) return ctx.dtypes[0];
  return pick(rc::gen::elementOf(ctx.dtypes));
}

void fail(const std::string& message, const std::vector<std::pair<const loss_case*, const loss_result*>>& shown,
          const target& subject) {
  std::string text = message + "\n";
  for (const auto& [c, r] : shown) {
    text += "  case: " + to_json(*c) + "\n";
    if (r) text += "  " + subject.name() + " gave: " + to_json(*r) + "\n";
  }
  if (!shown.empty()) {
    // the subject by its target name (exec:COMMAND quoted); a mutant (tests only) replays as the impl it wraps
    const std::string t = subject.name().starts_with("mutant:") ? std::string("impl") : shell_quote(subject.name());
    text += "  replay: echo " + shell_quote(to_json(*shown.front().first)) + " | losscheck run --target " + t + "\n";
  }
  RC_FAIL(text);
  std::abort();  // RC_FAIL throws
}

void require_ok(const loss_case& c, const loss_result& r, const target& subject) {
  if (!r.ok())
    fail(fmt::format("{} rejected a valid case: {}", subject.name(), r.error.value_or(r.unsupported.value_or("?"))),
         {{&c, &r}}, subject);
}

namespace {

void report_agreement(const loss_case& c, const loss_result& expected, const loss_result& got, const target& subject,
                      std::string_view expected_from, const std::vector<const loss_case*>& also_show,
                      const check::comparison& cmp) {
  if (running_ulps && (cmp.elements > 0 || !cmp.passed)) running_ulps->push_back(cmp.max_ulps);
  if (cmp.passed) return;
  std::string msg = fmt::format("{} disagrees with {}: {}", subject.name(), expected_from, cmp.message);
  if (cmp.worst)
    msg += fmt::format("\n  worst element {}: got {} expected {} ({:.3g} ULPs of scale {:.3g}, bound {})",
                       cmp.worst->where, cmp.worst->got, cmp.worst->expected, cmp.worst->ulps, cmp.worst->scale,
                       cmp.worst->bound);
  msg += "\n  expected (" + std::string(expected_from) + "): " + to_json(expected);
  std::vector<std::pair<const loss_case*, const loss_result*>> shown = {{&c, &got}};
  for (const auto* o : also_show) shown.push_back({o, nullptr});
  fail(msg, shown, subject);
}

}  // namespace

void expect_agreement(const loss_case& c, const loss_result& expected, const loss_result& got, const target& subject,
                      std::string_view expected_from, const std::vector<const loss_case*>& also_show) {
  report_agreement(c, expected, got, subject, expected_from, also_show, check::compare(c, expected, got));
}

void expect_agreement(const loss_case& c, const loss_result& expected, const loss_result& got, const target& subject,
                      std::string_view expected_from, const std::vector<const loss_case*>& also_show,
                      const check::tolerance& tol) {
  report_agreement(c, expected, got, subject, expected_from, also_show, check::compare(c, expected, got, tol));
}

void expect_close(const loss_case& c, std::string_view what, const tensor& expected, const tensor& got,
                  const std::vector<double>& scale, double k, const target& subject,
                  const std::vector<const loss_case*>& also_show) {
  std::vector<std::pair<const loss_case*, const loss_result*>> shown = {{&c, nullptr}};
  for (const auto* o : also_show) shown.push_back({o, nullptr});
  if (expected.values.size() != got.values.size())
    fail(fmt::format("{}: {} values expected, {} got", what, expected.values.size(), got.values.size()), shown, subject);
  for (std::size_t i = 0; i < expected.values.size(); ++i) {
    const double e = expected.values[i], g = got.values[i];
    const double s = i < scale.size() ? scale[i] : 0.0;
    bool ok;
    if (std::isnan(e) || std::isnan(g)) ok = std::isnan(e) && std::isnan(g);
    else if (!std::isfinite(e) || !std::isfinite(g) || !std::isfinite(s)) ok = e == g;
    else ok = std::fabs(g - e) <= k * check::error_unit(s, c.type);
    if (!ok)
      fail(fmt::format("{}[{}]: got {} expected {} (scale {:.3g}, bound {} ULPs; {:.3g} ULPs)", what, i, g, e, s, k,
                       std::fabs(g - e) / check::error_unit(s, c.type)),
           shown, subject);
  }
}

std::string effective_reduction(const loss_case& c) {
  const problem p = resolve_problem(c);
  return std::string(to_string(std::visit([](const auto& q) { return q.red; }, p)));
}

loss_case with_reduction(loss_case c, const std::string& r) {
  c.options.erase("size_average");
  c.options.erase("reduce");
  c.options["reduction"] = r;
  c.grad_output.reset();
  return c;
}

shape_t output_shape_of(const loss_case& c) {
  loss_case d = c;
  d.grad_output.reset();
  return output_shape(resolve_problem(d));
}

void pick_grad_output(loss_case& c) {
  c.grad_output.reset();
  if (pick(rc::gen::inRange(0, 100)) < 35) return;
  const auto shape = output_shape_of(c);
  tensor g = tensor::zeros(c.type, shape);
  for (auto& v : g.values) {
    const int k = pick(rc::gen::inRange(-64, 65));
    v = k == 0 ? 1.0 : std::ldexp(static_cast<double>(k), -pick(rc::gen::inRange(0, 6)));
  }
  c.grad_output = g;
}

std::int64_t ignore_index_of(const loss_case& c) {
  if (auto it = c.options.find("ignore_index"); it != c.options.end()) return std::get<std::int64_t>(it->second);
  return -100;
}

double mean_divisor(const loss_case& c) {
  const problem p = resolve_problem(c);
  if (const auto* q = std::get_if<cross_entropy_problem>(&p); q && q->probability_target)
    return static_cast<double>(q->layout.batch * q->layout.inner);
  const tensor* target = nullptr;
  const tensor* weight = nullptr;
  std::int64_t ignore = 0;
  if (const auto* q = std::get_if<cross_entropy_problem>(&p)) target = q->target, weight = q->weight, ignore = q->ignore_index;
  if (const auto* q = std::get_if<nll_loss_problem>(&p)) target = q->target, weight = q->weight, ignore = q->ignore_index;
  if (target) {
    long double d = 0;
    for (auto y : target->ints)
      if (y != ignore) d += weight ? weight->values[static_cast<std::size_t>(y)] : 1.0L;
    return static_cast<double>(d);
  }
  return static_cast<double>(checked_numel(output_shape(p)));
}

double batchmean_divisor(const loss_case& c) {
  const tensor* in = c.input("input");
  return in && in->dim() > 0 ? static_cast<double>(in->shape[0]) : 1.0;
}

tensor rounded(dtype type, shape_t shape, const std::vector<long double>& values) {
  std::vector<double> v(values.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    // long double → float directly (one rounding), not through double
    v[i] = type == dtype::float32 ? static_cast<double>(static_cast<float>(values[i])) : static_cast<double>(values[i]);
  }
  return tensor::floats(type, std::move(shape), std::move(v));
}

}  // namespace detail
}  // namespace losscheck::properties
