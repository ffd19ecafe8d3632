// The registry, the runner (RapidCheck under a fixed default seed, with failure reports that replay) and the helpers
// shared by the property files.

#include "losscheck/properties.h"

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
thread_local std::vector<double>* running_magnitudes = nullptr;  // and the magnitude of each one's worst element
thread_local int* running_vacuous = nullptr;                // cases that checked nothing (nothing_to_check)
thread_local std::string* running_vacuous_reason = nullptr;
thread_local std::string* running_first_failure = nullptr;  // the first failing case (before shrinking), as JSON
thread_local const std::function<bool(const loss_case&)>* running_accepts = nullptr;  // the baseline's hook, or null
thread_local int* running_accepted = nullptr;                 // failures it accepted
thread_local std::string* running_first_accepted = nullptr;  // the first accepted failure's message, as fail() wrote it

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
    case run_status::skipped: return "skipped";
  }
  return "?";
}

namespace {

/// A failure's description without what RapidCheck adds around the property's own message: the "file.cpp:123:"
/// location line, the "RC_FAIL(text)" / "RC_ASSERT(...)" macro line, and the blank lines before the message.
std::string without_rapidcheck_internals(const std::string& description) {
  std::istringstream in(description);
  std::string line, out;
  bool started = false;
  while (std::getline(in, line)) {
    if (!started) {
      const bool location = line.ends_with(":") && (line.find(".cpp:") != std::string::npos || line.find(".h:") != std::string::npos);
      if (line.empty() || location || line.starts_with("RC_FAIL(") || line.starts_with("RC_ASSERT(") ||
          line.starts_with("RC_SUCCEED(") || line.starts_with("RC_DISCARD("))
        continue;
      started = true;
    }
    out += line + "\n";
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.empty() ? description : out;
}

}  // namespace

run_outcome run_property(const property& p, const context& ctx, const run_options& options) {
  run_outcome out;
  running_coverage = &out.coverage;
  running_ulps = &out.agreement_ulps;
  running_magnitudes = &out.agreement_magnitudes;
  std::string vacuous_reason;
  running_vacuous = &out.vacuous;
  running_vacuous_reason = &vacuous_reason;
  running_first_failure = &out.original_counterexample;
  std::string first_accepted;
  running_accepts = options.accepts ? &options.accepts : nullptr;
  running_accepted = &out.accepted;
  running_first_accepted = &first_accepted;
  const auto result = rapidcheck::check(p.loss + "." + p.name + "@" + ctx.subject.name(), p.name, [&] { p.fn(ctx); },
                                        options.seed, options.max_success, options.shrink);
  running_coverage = nullptr;
  running_ulps = nullptr;
  running_magnitudes = nullptr;
  running_vacuous = nullptr;
  running_vacuous_reason = nullptr;
  running_first_failure = nullptr;
  running_accepts = nullptr;
  running_accepted = nullptr;
  running_first_accepted = nullptr;
  out.vacuous = std::min(out.vacuous, result.successes);  // (shrinking may re-run vacuous and accepted cases)
  out.accepted = std::min(out.accepted, result.successes - out.vacuous);
  out.cases = result.successes - out.vacuous - out.accepted;
  std::ostringstream report;
  switch (result.status) {
    case rapidcheck::check_status::success:
      if (out.accepted > 0) {  // no failure but accepted ones: reported as the first of them (the audit marks it so)
        out.status = run_status::failed;
        out.only_accepted = true;
        report << "FAILED " << p.name << " against " << ctx.subject.name() << " only in ways the baseline accepts: "
               << out.accepted << " of " << out.accepted + out.cases << " cases (seed=" << options.seed
               << "); the first:\n"
               << first_accepted;
        out.original_counterexample.clear();  // the shown case is the one to diagnose
        if (!options.replay_command.empty())
          report << "replay this property: " << options.replay_command << "\n";
        break;
      }
      if (out.cases == 0 && out.vacuous > 0) {  // every case ran, none checked anything: no evidence either way
        out.status = run_status::skipped;
        report << "skipped: " << vacuous_reason << " (all " << out.vacuous << " cases)";
        break;
      }
      out.status = run_status::passed;
      report << "OK, passed " << out.cases << " cases (seed=" << options.seed << ")";
      if (out.vacuous > 0) report << "; " << out.vacuous << " more checked nothing: " << vacuous_reason;
      break;
    case rapidcheck::check_status::failure: {
      out.status = run_status::failed;
      const std::string description = without_rapidcheck_internals(result.description);
      report << "FAILED " << p.name << " against " << ctx.subject.name() << " after " << out.cases
             << " successful cases (seed=" << options.seed << ")\n"
             << description << "\n";
      // RapidCheck's own record of the picks (bare numbers) only when the property showed no case of its own
      if (!result.counterexample.empty() && description.find("case: {") == std::string::npos) {
        report << "counterexample (shrunk):\n";
        for (const auto& value : result.counterexample) report << "  " << value << "\n";
      }
      if (!options.replay_command.empty())
        report << "replay this property: RC_PARAMS=\"" << result.replay_params << "\" " << options.replay_command << "\n";
      if (out.accepted > 0)
        report << "(before it, " << out.accepted << " cases failed only in ways the baseline accepts)\n";
      break;
    }
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

void discard_if_half_overflow(target& subject, const loss_case& c, const loss_result& r) {
  if (!is_half(c.type) || !r.ok()) return;
  const loss_case twin = with_dtype(c, dtype::float32);
  const loss_result r32 = subject.evaluate(twin);
  if (!r32.ok()) return;
  auto overflowed = [](const tensor& h, const tensor& f) {
    if (h.values.size() != f.values.size()) return false;
    for (std::size_t i = 0; i < h.values.size(); ++i)
      if (std::isinf(h.values[i]) && std::isfinite(f.values[i])) return true;
    return false;
  };
  bool any = overflowed(*r.output, *r32.output);
  for (const auto& [name, g] : r.grads)
    if (auto it = r32.grads.find(name); it != r32.grads.end()) any = any || overflowed(g, it->second);
  if (any) RC_DISCARD(fmt::format("the answer overflows {} where float32 holds it", to_string(c.type)));
}

dtype pick_dtype(const context& ctx) {
  if (ctx.dtypes.size() == 1) return ctx.dtypes[0];
  return pick(rc::gen::elementOf(ctx.dtypes));
}

void fail(const std::string& message, const std::vector<std::pair<const loss_case*, const loss_result*>>& shown,
          const target& subject) {
  // a NaN's sign means nothing to a reader (fmt prints "-nan" for some NaNs)
  std::string text = message + "\n";
  for (std::size_t at = text.find("-nan"); at != std::string::npos; at = text.find("-nan", at)) text.erase(at, 1);
  for (const auto& [c, r] : shown) {
    text += "  case: " + to_json(*c) + "\n";
    if (r) text += "  " + subject.name() + " gave: " + to_json(*r) + "\n";
  }
  if (!shown.empty() && running_accepts) {
    bool accepted = false;
    try {
      accepted = (*running_accepts)(*shown.front().first);
    } catch (const std::exception&) {
      // a diagnosis that cannot be made accepts nothing
    }
    if (accepted) {
      ++*running_accepted;
      if (running_first_accepted->empty()) {
        *running_first_accepted = text;  // holds the case ("  case: {...}"), which the audit diagnoses
      }
      RC_SUCCEED("a failure the baseline accepts");
      std::abort();  // RC_SUCCEED throws
    }
  }
  if (!shown.empty() && running_first_failure && running_first_failure->empty())
    *running_first_failure = to_json(*shown.front().first);
  if (!shown.empty()) {
    // the subject by its target name (exec:COMMAND quoted); a mutant (tests only) replays as the impl it wraps
    const std::string t = subject.name().starts_with("mutant:") ? std::string("impl") : shell_quote(subject.name());
    text += "  replay: echo " + shell_quote(to_json(*shown.front().first)) + " | losscheck run --target " + t + "\n";
  }
  RC_FAIL(text);
  std::abort();  // RC_FAIL throws
}

void nothing_to_check(const std::string& why) {
  if (running_vacuous) {
    ++*running_vacuous;
    if (running_vacuous_reason && running_vacuous_reason->empty()) *running_vacuous_reason = why;
  }
  RC_SUCCEED(why);
  std::abort();  // RC_SUCCEED throws
}

const tensor* subject_grad(const loss_case& c, const loss_result& r, const std::string& name, const target& subject) {
  if (auto it = r.grads.find(name); it != r.grads.end()) return &it->second;
  if (r.unsupported_grads.count(name)) return nullptr;  // declared: skipped (docs/format.md)
  fail(fmt::format("{} gave no gradient of {} and does not list it in unsupported_grads", subject.name(), name),
       {{&c, &r}}, subject);
}

void require_grads(const loss_case& c, const loss_result& r, const std::vector<std::string>& names, const target& subject) {
  for (const auto& name : names)
    if (!subject_grad(c, r, name, subject))
      nothing_to_check(fmt::format("the subject computes no gradient of {} (unsupported_grads)", name));
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
  if (running_ulps && (cmp.elements > 0 || !cmp.passed)) {
    running_ulps->push_back(cmp.max_ulps);
    if (running_magnitudes) running_magnitudes->push_back(check::worst_magnitude(cmp));
  }
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

/// `got` without the gradients that the expectation cannot speak for: those the subject declared missing when it
/// answered the case the expectation comes from (`expected.unsupported_grads`, kept when a property derives its
/// expectation from another answer of the subject). Declared missing gradients are skipped, never failed.
loss_result comparable(const loss_result& expected, const loss_result& got) {
  loss_result g = got;
  for (const auto& [name, why] : expected.unsupported_grads)
    if (!expected.grads.count(name) && g.grads.erase(name)) g.unsupported_grads[name] = why;
  return g;
}

namespace {

/// A half case whose expected result was derived from one of the subject's own half answers (a sum of its none
/// output, a scaled gradient) rather than given by the reference or rounded once from float32: that answer's own
/// rounding to the half dtype (u_h·s) and the derivation's (u_h·s) stand where the two direct answers of the half
/// bound have one u_h·s each, so the derived expectation gets half an ULP more (docs/tolerances.md "Half precision").
bool derived_from_a_half_answer(const loss_case& c, std::string_view expected_from) {
  return is_half(c.type) && expected_from != "reference" && expected_from != float32_rounded_once;
}

check::tolerance with_half_ulp_more(check::tolerance t) {
  t.output.bound_ulps += 0.5;
  for (auto& [name, g] : t.grads) g.bound_ulps += 0.5;
  return t;
}

}  // namespace

void expect_agreement(const loss_case& c, const loss_result& expected, const loss_result& got, const target& subject,
                      std::string_view expected_from, const std::vector<const loss_case*>& also_show) {
  const loss_result g = comparable(expected, got);
  if (derived_from_a_half_answer(c, expected_from) && !expected.error && !got.error && !got.unsupported && got.output) {
    check::tolerance tol;
    try {
      tol = check::tolerance_for(c);
    } catch (const std::exception&) {
      report_agreement(c, expected, g, subject, expected_from, also_show, check::compare(c, expected, g));
      return;
    }
    report_agreement(c, expected, g, subject, expected_from, also_show,
                     check::compare(c, expected, g, with_half_ulp_more(tol)));
    return;
  }
  report_agreement(c, expected, g, subject, expected_from, also_show, check::compare(c, expected, g));
}

void expect_agreement(const loss_case& c, const loss_result& expected, const loss_result& got, const target& subject,
                      std::string_view expected_from, const std::vector<const loss_case*>& also_show,
                      const check::tolerance& tol) {
  const loss_result g = comparable(expected, got);
  report_agreement(c, expected, g, subject, expected_from, also_show,
                   check::compare(c, expected, g, derived_from_a_half_answer(c, expected_from) ? with_half_ulp_more(tol) : tol));
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
    if (!ok) {
      // an error in ULPs only where both are finite numbers; otherwise say what differs
      const std::string error = std::isfinite(g) && std::isfinite(e) && std::isfinite(s)
                                    ? check::format_ulps(std::fabs(g - e) / check::error_unit(s, c.type)) + " ULPs"
                                : std::isnan(g) ? std::string("NaN where the expected value is not")
                                : std::isnan(e) ? std::string("a value where NaN is expected")
                                                : std::string("non-finite values differ");
      fail(fmt::format("{}[{}]: got {} expected {} (scale {:.3g}, bound {} ULPs; {})", what, i, format_float(g, c.type),
                       format_float(e, c.type), s, k, error),
           shown, subject);
    }
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
    v[i] = round_long(values[i], type);  // long double → float directly (one rounding), not through double
  }
  return tensor::floats(type, std::move(shape), std::move(v));
}

}  // namespace detail
}  // namespace losscheck::properties
