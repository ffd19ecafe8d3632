// Diagnosis of a disagreement (diagnosis.h): the known mistakes of loss libraries, each evaluated with the
// reference, matched against the target's answer under the documented tolerance; constant factors; finite
// differences of the target's own forward.

#include "diagnosis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>

#include "losscheck/check.h"
#include "losscheck/json.h"
#include "losscheck/problem.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties {

loss_result scale_result(loss_result r, long double f, dtype type) {
  auto scale = [&](tensor& t) {
    for (auto& v : t.values) {
      const long double x = static_cast<long double>(v) * f;
      v = round_long(x, type);
    }
  };
  if (r.output) scale(*r.output);
  for (auto& [n, g] : r.grads) scale(g);
  return r;
}

check::tolerance scale_tolerance(check::tolerance t, double f, double extra_roundings) {
  auto s = [&](check::tensor_tolerance& x) {
    for (auto& v : x.scale) v *= std::fabs(f);
    x.bound_ulps += extra_roundings;
  };
  s(t.output);
  for (auto& [n, g] : t.grads) s(g);
  return t;
}

/// Every value of `r` divided by 0 in IEEE arithmetic: NaN where it is 0 or NaN, ±inf otherwise.
loss_result divided_by_zero(loss_result r) {
  auto divide = [](tensor& t) {
    for (auto& v : t.values) v = v == 0 || std::isnan(v) ? std::numeric_limits<double>::quiet_NaN() : std::copysign(HUGE_VAL, v);
  };
  if (r.output) divide(*r.output);
  for (auto& [n, g] : r.grads) divide(g);
  return r;
}

/// `t` with every scale infinite: values compared exactly (NaN with NaN, inf with inf of the same sign).
check::tolerance exactly(check::tolerance t) {
  auto s = [](check::tensor_tolerance& x) {
    for (auto& v : x.scale) v = HUGE_VAL;
  };
  s(t.output);
  for (auto& [n, g] : t.grads) s(g);
  return t;
}

std::optional<loss_result> linear_combination(long double a, const loss_result& x, long double b, const loss_result& y, dtype type) {
  if (!x.ok() || !y.ok() || x.output->values.size() != y.output->values.size()) return std::nullopt;
  loss_result r = x;
  auto mix = [&](tensor& out, const tensor& p, const tensor& q) {
    for (std::size_t i = 0; i < out.values.size(); ++i) {
      const long double v = a * p.values[i] + b * q.values[i];
      out.values[i] = round_long(v, type);
    }
  };
  mix(*r.output, *x.output, *y.output);
  for (auto& [n, g] : r.grads) {
    auto it = y.grads.find(n);
    if (it == y.grads.end() || it->second.values.size() != g.values.size()) return std::nullopt;
    mix(g, x.grads.at(n), it->second);
  }
  return r;
}

namespace {

using detail::effective_reduction;

using detail::main_input;

/// `c` with reduction `r` (legacy flags dropped), keeping grad_output when the output shape stays the same.
loss_case reduced_as(loss_case c, const std::string& r) {
  const bool keep = c.grad_output && r != "none" && effective_reduction(c) != "none";
  auto g = c.grad_output;
  c = detail::with_reduction(c, r);
  if (keep) c.grad_output = g;
  return c;
}

/// Whether `got` equals `want` within `bound` ULPs of the element scales (NaN matches NaN, ±inf itself).
bool matches(const tensor& got, const tensor& want, const check::tensor_tolerance& tol, dtype type) {
  if (got.values.size() != want.values.size() || got.shape != want.shape) return false;
  for (std::size_t i = 0; i < got.values.size(); ++i) {
    const double g = got.values[i], w = want.values[i];
    const double s = i < tol.scale.size() ? tol.scale[i] : std::fabs(w);
    if (std::isnan(g) || std::isnan(w)) {
      if (!(std::isnan(g) && std::isnan(w))) return false;
    } else if (!std::isfinite(g) || !std::isfinite(w) || !std::isfinite(s)) {
      if (g != w) return false;
    } else if (!(std::fabs(g - w) <= std::max(tol.bound_ulps, 1.0) * check::error_unit(s, type))) {
      return false;
    }
  }
  return true;
}

const check::tensor_tolerance* component_tolerance(const check::tolerance& t, const std::string& component) {
  if (component == "output") return &t.output;
  auto it = t.grads.find(component);
  return it == t.grads.end() ? nullptr : &it->second;
}

const tensor* component_of(const loss_result& r, const std::string& component) {
  if (component == "output") return r.output ? &*r.output : nullptr;
  auto it = r.grads.find(component);
  return it == r.grads.end() ? nullptr : &it->second;
}

/// "got X, the reference's Y" at the element where they differ most (non-finite differences first).
std::string worst_pair(const tensor& got, const tensor& want, dtype type) {
  std::size_t k = 0;
  double worst = -1;
  for (std::size_t i = 0; i < got.values.size() && i < want.values.size(); ++i) {
    const double g = got.values[i], w = want.values[i];
    const double d = std::isnan(g) != std::isnan(w) || (!std::isnan(g) && (std::isinf(g) || std::isinf(w)) && g != w)
                         ? INFINITY
                         : std::isnan(g) ? 0 : std::fabs(g - w);
    if (d > worst) worst = d, k = i;
  }
  return fmt::format("[{}]: got {}, the reference's {}", k, format_float(got.values[k], type), format_float(want.values[k], type));
}

/// The first element where `want` is NaN and `got` is a number.
std::optional<std::size_t> number_where_nan(const tensor& got, const tensor& want) {
  for (std::size_t i = 0; i < got.values.size() && i < want.values.size(); ++i)
    if (std::isnan(want.values[i]) && !std::isnan(got.values[i])) return i;
  return std::nullopt;
}

std::string component_name(const std::string& component) {
  return component == "output" ? "output" : "gradient of " + component;
}

/// Small numbers with names: the factors a scale mistake produces.
std::vector<std::pair<long double, std::string>> named_factors(const loss_case& c) {
  std::vector<std::pair<long double, std::string>> f = {{2, "2"}, {0.5L, "1/2"}, {-1, "-1"}, {-2, "-2"}, {-0.5L, "-1/2"}};
  const tensor* in = c.input(main_input(c.loss));
  if (in && in->dim() >= 1) {
    const long double n = static_cast<long double>(in->shape[0]);
    const long double numel = static_cast<long double>(in->numel());
    if (n > 1) f.push_back({n, fmt::format("N = {} (the batch size)", in->shape[0])}),
        f.push_back({1 / n, fmt::format("1/N, N = {} (the batch size)", in->shape[0])});
    if (numel > 1 && numel != n) f.push_back({numel, fmt::format("{} (the number of input elements)", in->numel())}),
        f.push_back({1 / numel, fmt::format("1/{} (one over the number of input elements)", in->numel())});
    if (const loss_record& record = record_of(c.loss); record.rowwise()) {
      const auto k = in->dim() >= 2 ? in->shape[1] : in->shape[0];
      if (k > 1 && k != in->shape[0])
        f.push_back({static_cast<long double>(k), fmt::format("{} ({})", k, record.row_name)}),
            f.push_back({1.0L / static_cast<long double>(k), fmt::format("1/{}", k)});
    }
  }
  return f;
}

std::optional<std::string> named_factor(long double r, const loss_case& c, long double rel);

/// The constant factor r with got ≈ r·want for every element (want's largest element fixes r), if there is one.
std::optional<long double> constant_factor(const tensor& got, const tensor& want, const check::tensor_tolerance& tol,
                                           const loss_case& c) {
  const dtype type = c.type;
  if (got.values.size() != want.values.size() || got.values.empty()) return std::nullopt;
  std::optional<std::size_t> k;
  for (std::size_t i = 0; i < want.values.size(); ++i) {
    const double w = want.values[i], g = got.values[i];
    if (!std::isfinite(w) || !std::isfinite(g)) {
      if (!(std::isnan(w) && std::isnan(g)) && w != g) return std::nullopt;  // r·inf = inf needs r > 0: checked below
      continue;
    }
    if (!k || std::fabs(w) > std::fabs(want.values[*k])) k = i;
  }
  if (!k || want.values[*k] == 0 || got.values[*k] == 0) return std::nullopt;
  const std::size_t kk = *k;
  std::size_t nonzero = 0;
  for (std::size_t i = 0; i < want.values.size(); ++i) nonzero += std::isfinite(want.values[i]) && want.values[i] != 0;
  const long double r = static_cast<long double>(got.values[kk]) / want.values[kk];
  tensor expect = want;
  for (auto& v : expect.values)
    if (std::isfinite(v)) v = static_cast<double>(r * v);
    else if (std::isinf(v) && r < 0) return std::nullopt;
  check::tensor_tolerance t = tol;
  for (auto& s : t.scale) s *= static_cast<double>(std::fabs(r));
  t.bound_ulps += 2;
  if (!matches(got, expect, t, type)) return std::nullopt;
  // any two numbers have a ratio: one element is evidence of a factor only when the factor is a known one
  if (nonzero < 2 && !named_factor(r, c, type == dtype::float32 ? 1e-5L : 1e-12L)) return std::nullopt;
  return r;
}

/// The name of the factor r ("2", "1/N, N = 4 (the batch size)") when it is one of named_factors(c) within the
/// relative accuracy `rel` of its measurement, else nothing.
std::optional<std::string> named_factor(long double r, const loss_case& c, long double rel) {
  for (const auto& [v, name] : named_factors(c))
    if (std::fabs(r - v) <= rel * std::fabs(v)) return name;
  return std::nullopt;
}

std::string factor_text(long double r, const loss_case& c, long double rel) {
  return named_factor(r, c, rel).value_or(fmt::format("{:.6g}", static_cast<double>(r)));
}

/// The candidate mistakes for `c`, evaluated with the reference (those that cannot be evaluated are left out).
std::vector<candidate> candidates(const loss_case& c, target& reference) {
  std::vector<candidate> out;
  const std::string red = effective_reduction(c);
  auto add_case = [&](std::string text, std::string kind, const loss_case& d) {
    try {
      loss_result v = reference.evaluate(d);
      if (!v.ok()) return;
      out.push_back({std::move(text), std::move(kind), std::move(v), check::tolerance_for(d)});
    } catch (const std::exception&) {
      // the reference or the tolerance model rejects this variant of the case: the mistake cannot be
      // evaluated here and is not a candidate (a candidate is never guessed)
    }
  };
  // a divisor other than torch's: Σ·(1/d), from the reference's `sum`
  // (a divisor of 0 -- every target ignored -- divides as IEEE does: NaN for 0, ±inf otherwise, compared exactly)
  auto add_divided = [&](std::string text, std::string kind, long double divisor) {
    if (!(divisor >= 0)) return;
    try {
      const loss_case s = reduced_as(c, "sum");
      loss_result v = reference.evaluate(s);
      if (!v.ok()) return;
      check::tolerance t = check::tolerance_for(s);
      if (divisor == 0) {
        out.push_back({std::move(text), std::move(kind), divided_by_zero(std::move(v)), exactly(std::move(t))});
        return;
      }
      out.push_back({std::move(text), std::move(kind), scale_result(v, 1 / divisor, c.type),
                     scale_tolerance(std::move(t), static_cast<double>(1 / divisor), 2)});
    } catch (const std::exception&) {
      // the reference or the tolerance model rejects this variant of the case: the mistake cannot be
      // evaluated here and is not a candidate (a candidate is never guessed)
    }
  };
  const loss_record& record = record_of(c.loss);
  const tensor* in = c.input(main_input(c.loss));
  const bool probability_target = detail::has_probability_target(c);
  const bool weighted = c.input("weight") != nullptr;

  if (red == "mean") {
    add_case("equals the `sum` reduction (`mean` was asked)", "convention", reduced_as(c, "sum"));
    if (record.allows_batchmean) add_case("equals `batchmean` (`mean` was asked)", "convention", reduced_as(c, "batchmean"));
    if (record.class_index_target() && record.option("ignore_index") && !probability_target) {  // the nll family
      const tensor* y = c.input("target");
      const auto ignore = detail::ignore_index_of(c);
      long double counted = 0, all = 0;
      for (auto v : y->ints) counted += v != ignore, all += 1;
      if (weighted) add_divided("divides by the number of targets, not by the sum of their weights", "convention", counted);
      if (all != counted && !weighted)
        add_divided(fmt::format("counts the ignored targets in the mean (divides by {}, not {})", all, counted),
                    "convention", all);
    } else if (probability_target && in) {
      add_divided(fmt::format("divides by the number of input elements ({}), not by N = {}", in->numel(),
                              detail::mean_divisor(c)), "convention", static_cast<long double>(in->numel()));
    } else if (!record.rowwise() && !record.allows_batchmean && in && in->dim() >= 2) {
      // (batchmean losses have the batch-size divisor as a candidate above)
      add_divided(fmt::format("divides by the batch size ({}), not by the number of elements ({})", in->shape[0],
                              detail::mean_divisor(reduced_as(c, "none"))),
                  "convention", static_cast<long double>(in->shape[0]));
    }
  } else if (red == "batchmean") {
    add_case("equals `mean` (`batchmean` was asked)", "convention", reduced_as(c, "mean"));
    add_case("equals the `sum` reduction (`batchmean` was asked)", "convention", reduced_as(c, "sum"));
  } else if (red == "sum") {
    add_case("equals the `mean` reduction (`sum` was asked)", "convention", reduced_as(c, "mean"));
  }

  // an optional input (weight, pos_weight) that is dropped
  for (const auto& spec : record.inputs) {
    const std::string name(spec.name);
    if (spec.required || !c.input(name)) continue;
    loss_case d = c;
    d.inputs.erase(name);
    add_case(fmt::format("ignores `{}`", name), "bug", d);
  }
  // the loss's own known mistakes (properties/diagnosis/<loss>.cpp)
  if (const auto mistakes = diagnosis_of(record).mistakes)
    mistakes({c, reference, add_case, [&](candidate k) { out.push_back(std::move(k)); }});
  return out;
}

/// For a non-finite value where the exact one is finite: an explanation computed from the inputs, if one applies
/// (properties/diagnosis/<loss>.cpp).
std::string overflow_explanation(const loss_case& c) {
  const auto explain = diagnosis_of(record_of(c.loss)).overflow_explanation;
  return explain ? explain(c) : "";
}

/// The subject's objective Σ_j g_j·out_j at `d` (grad_output g, or ones).
std::optional<long double> objective(target& subject, const loss_case& d, const std::vector<double>& g) {
  loss_result r;
  try {
    r = subject.evaluate(d);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!r.ok() || r.output->values.size() != g.size()) return std::nullopt;
  long double s = 0;
  for (std::size_t j = 0; j < g.size(); ++j) s += static_cast<long double>(g[j]) * r.output->values[j];
  return s;
}

/// Checks the subject's gradient `name` against a central difference of its own forward at up to 3 elements (the
/// largest of the gradient), in float64 when the subject evaluates float64 (else in the case dtype, with a
/// correspondingly larger step and tolerance). Returns a finding or nothing when consistent.
std::optional<finding> check_against_own_forward(const loss_case& c, const loss_result& r, const std::string& name,
                                                 target& subject, bool& checked) {
  checked = false;
  loss_case d = c;
  bool wide = false;
  if (c.type == dtype::float32) {  // try the same case in float64
    loss_case w = c;
    w.type = dtype::float64;
    for (auto& [n, t] : w.inputs)
      if (t.type == dtype::float32) t.type = dtype::float64;
    if (w.grad_output) w.grad_output->type = dtype::float64;
    try {
      const auto rw = subject.evaluate(w);
      if (rw.ok()) d = w, wide = true;
    } catch (const std::exception&) {
      // the subject has no float64: the check stays in the case dtype
    }
  } else {
    wide = true;
  }
  const loss_result rd = wide && d.type != c.type ? subject.evaluate(d) : r;
  auto git = rd.grads.find(name);
  if (!rd.ok() || git == rd.grads.end()) return std::nullopt;
  const tensor& grad = git->second;
  std::vector<double> g(rd.output->values.size(), 1.0);
  if (d.grad_output && d.grad_output->values.size() == g.size()) g = d.grad_output->values;
  std::vector<std::size_t> idx(grad.values.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return std::fabs(grad.values[a]) > std::fabs(grad.values[b]); });
  if (idx.size() > 3) idx.resize(3);
  const int step_exp = d.type == dtype::float64 ? -12 : -6;
  const long double rel = d.type == dtype::float64 ? 1e-6L : 2e-2L;  // truncation + rounding/step, see below
  std::optional<long double> ratio;
  bool consistent = true;
  std::string worst;
  for (auto i : idx) {
    const double an = grad.values[i];
    if (!std::isfinite(an)) continue;
    const double xi = d.inputs.at(name).values[i];
    auto at = [&](double step) -> std::optional<long double> {
      loss_case e = d;
      e.inputs[name].values[i] = xi + step;
      return objective(subject, e, g);
    };
    // The step starts at 2^step_exp relative to max(1, |x|) and shrinks by 8 until the central differences at h and
    // h/2 agree (a smooth forward: they differ by O(h^2 f''')). Where the forward changes regime within the step (a
    // clamp at eps beside an input of 1e-14, a norm near 0) the first steps cross it and the differences disagree;
    // a smaller step then measures the slope at x itself. When rounding (eps·|f|/h) outgrows the disagreement before
    // they agree, or a kink sits at x itself, there is no evidence either way.
    const long double eps = d.type == dtype::float64 ? 0x1p-52L : 0x1p-23L;
    double h = std::ldexp(1.0, std::ilogb(std::max(1.0, std::fabs(xi))) + step_exp);
    std::optional<long double> fd, spread;
    for (int level = 0; level < 16 && !fd; ++level, h /= 8) {
      if (xi + h / 2 == xi) break;  // the step no longer moves x
      const auto a1 = at(h), a2 = at(-h), b1 = at(h / 2), b2 = at(-h / 2);
      if (!a1 || !a2 || !b1 || !b2) return std::nullopt;
      const long double d1 = (*a1 - *a2) / (2 * h), d2 = (*b1 - *b2) / h;
      if (!std::isfinite(static_cast<double>(d1)) || !std::isfinite(static_cast<double>(d2))) break;  // no evidence
      const long double noise = eps * (std::fabs(*a1) + std::fabs(*a2) + std::fabs(*b1) + std::fabs(*b2)) / h;
      if (std::fabs(d1 - d2) <= rel * (std::fabs(d1) + std::fabs(d2)) + 4 * noise) {
        // a kink at x itself (a hinge, a clamp, the tie of cosine's margin): the one-sided slopes on [x+h/2, x+h]
        // and [x-h, x-h/2] disagree by far more than a smooth function's O(h f'') at every step, and a central
        // difference only averages them: no evidence
        const long double right = (*a1 - *b1) / (h / 2), left = (*b2 - *a2) / (h / 2);
        if (std::fabs(right - left) > 0.5L * (std::fabs(right) + std::fabs(left)) + 4 * noise) break;
        fd = (4 * d2 - d1) / 3;  // Richardson: O(h^4)
        spread = std::fabs(d1 - d2) + 4 * noise;
        break;
      }
      if (noise > 0.1L * (std::fabs(d1) + std::fabs(d2))) break;  // rounding would swamp a smaller step
    }
    if (!fd || !std::isfinite(static_cast<double>(*fd))) continue;  // no evidence at this element
    checked = true;
    // Tolerance: relative 1e-6 in float64 (truncation at h = 2^-12·|x|), 2e-2 in float32 (the forward's rounding,
    // 2^-24 relative, divided by a step of 2^-6 relative, times a few roundings), plus the estimate's own spread at
    // the step it was taken with; a diagnosis, not a verdict.
    const long double tol = rel * (std::fabs(an) + std::fabs(*fd)) + *spread + 1e-300L;
    if (std::fabs(an - *fd) <= tol) continue;
    consistent = false;
    if (worst.empty()) worst = fmt::format("{}[{}] = {} but the central difference of its own forward is {}", name, i, an,
                                           static_cast<double>(*fd));
    const long double rr = *fd != 0 ? an / *fd : 0;
    if (!ratio) ratio = rr;
    else if (std::fabs(*ratio - rr) > 10 * rel * std::fabs(rr)) ratio = 0.0L;  // not constant
  }
  if (consistent) return std::nullopt;
  finding f;
  f.kind = "bug";
  f.detail = worst + (wide && c.type == dtype::float32 ? " (checked in float64)" : "");
  if (ratio && *ratio != 0) {
    // the ratio of two central differences is known to about the tolerance of one over 10
    const std::string ft = factor_text(*ratio, c, d.type == dtype::float64 ? 1e-6L : 1e-3L);
    f.text = fmt::format("gradient of {} is {} × the finite-difference gradient of its own forward", name, ft);
  } else {
    f.text = fmt::format("gradient of {} disagrees with the finite difference of its own forward", name);
  }
  return f;
}

}  // namespace

std::string degenerate_reason(const loss_case& c, const loss_result& want) {
  const tensor* in = c.input(main_input(c.loss));
  if (in && in->numel() == 0) return "the input is empty: torch's mean over no elements is NaN";
  if (!want.ok()) return "";
  bool nan_out = false;
  for (double v : want.output->values) nan_out = nan_out || std::isnan(v);
  if (!nan_out) return "";
  for (const auto& [name, t] : c.inputs)
    for (double v : t.values)
      if (std::isnan(v)) return "";  // NaN in, NaN out: an ordinary case
  try {
    if (effective_reduction(c) == "mean" && detail::mean_divisor(c) == 0)
      return record_of(c.loss).class_index_target()
                 ? "no target counts toward the mean (all ignored, or their weights sum to 0): torch's mean is 0/0"
                 : "the mean's divisor is 0";
  } catch (const std::exception&) {
    // the case does not resolve: no reason beyond the NaN itself
  }
  return "torch's answer is NaN although every input is a number";
}

std::optional<loss_case> with_batch_doubled(const loss_case& c) {
  const loss_record& record = record_of(c.loss);
  const tensor* in0 = c.input(main_input(c.loss));
  if (!in0) return std::nullopt;
  const bool by_rows = record.rowwise() || record.class_index_target();
  loss_case d = c;
  if (in0->dim() == (by_rows ? 1 : 0)) {
    // unbatched ((C), (D) or 0-D): as the batch of one it equals (unbatched_input_equals_a_batch_of_one), every
    // batch-aligned input (a 0-D class index, a (C) probability target) given a leading 1 first
    for (auto& [name, t] : d.inputs) {
      const auto* spec = record.input(name);
      if (!spec || spec->batch == batch_axis::none) continue;
      if (t.dim() == in0->dim() || (by_rows && t.dim() == in0->dim() - 1)) t.shape.insert(t.shape.begin(), 1);
    }
    if (d.grad_output && d.grad_output->dim() == 0 && effective_reduction(c) == "none")
      d.grad_output->shape.insert(d.grad_output->shape.begin(), 1);
  } else if (record.rowwise() && in0->dim() != 2) {
    return std::nullopt;
  }
  const tensor* in = d.input(main_input(c.loss));
  if (in->dim() == 0) return std::nullopt;
  const auto n = in->shape[0];
  if (n == 0) return std::nullopt;
  auto doubled = [](tensor t) {
    t.shape[0] *= 2;
    if (t.is_floating()) t.values.insert(t.values.end(), t.values.begin(), t.values.end());
    else t.ints.insert(t.ints.end(), t.ints.begin(), t.ints.end());
    return t;
  };
  const tensor main = *in;
  in = &main;
  for (auto& [name, t] : d.inputs) {
    const auto* spec = record.input(name);
    if (!spec || t.dim() == 0 || t.shape[0] != n) continue;
    const bool aligned = spec->batch == batch_axis::leading ||
                         (spec->batch == batch_axis::leading_if_full_rank && t.dim() == in->dim()) ||
                         (spec->batch == batch_axis::last_if_one_dim && t.dim() == 1 && in->dim() == 1);
    if (aligned) t = doubled(t);
  }
  if (d.grad_output && d.grad_output->dim() > 0) {
    if (d.grad_output->shape[0] != n) return std::nullopt;
    d.grad_output = doubled(*d.grad_output);
  }
  return d;
}

std::string overall_kind(const std::vector<finding>& findings) {
  std::string k;
  for (const auto& f : findings) {
    if (f.kind == "bug") return "bug";
    if (f.kind == "unexplained") k = "unexplained";
    else if (k.empty()) k = f.kind;
  }
  return k;
}

namespace {

/// A half case (docs/tolerances.md "Half precision"): the known mistakes and the finite-difference check are not
/// told apart from rounding at 8 or 11 bits, so the case is asked again in float32, on the same values. Where the
/// target agrees with the reference there, its half answer differs by its half arithmetic (intermediates rounded
/// to the half dtype: a sum accumulated in it, a term stored in it), not by its formula: a "precision" finding with
/// the size of the miss. Where it disagrees in float32 too, the float32 case is diagnosed as usual.
std::vector<finding> diagnose_half(const loss_case& c, target& subject, target& reference, const loss_result& got,
                                   const loss_result& want) {
  const auto miss = check::compare(c, want, got);
  if (miss.passed) return {};  // agrees with the reference: the property compared it with another case
  const std::string size =
      miss.worst ? fmt::format("{} is {} where the correctly rounded {} value is {}: {} ULPs of {} at its scale {:.3g}, "
                               "beyond the {:.4g} that float32 arithmetic and one rounding allow",
                               miss.worst->where, format_float(miss.worst->got, c.type), to_string(c.type),
                               format_float(miss.worst->expected, c.type), check::format_ulps(miss.worst->ulps),
                               to_string(c.type), miss.worst->scale, miss.worst->bound)
                 : miss.message;
  const loss_case f = with_dtype(c, dtype::float32);
  loss_result got32, want32;
  try {
    got32 = subject.evaluate(f);
    want32 = reference.evaluate(f);
  } catch (const std::exception& e) {
    return {{"differs from the correctly rounded value", "unexplained",
             fmt::format("{}; the float32 twin could not be evaluated: {}", size, e.what())}};
  }
  if (got32.unsupported || got32.error || want32.error)
    return {{"differs from the correctly rounded value", "unexplained",
             fmt::format("{}; no float32 answer to compare with ({})", size,
                         got32.unsupported ? *got32.unsupported : got32.error ? *got32.error : *want32.error)}};
  const auto twin = check::compare(f, want32, got32);
  if (twin.passed)
    return {{fmt::format("rounds intermediates to {}: agrees with the reference in float32 on the same values, not in {}",
                         to_string(c.type), to_string(c.type)),
             "precision",
             fmt::format("{}; in float32 the target is within {} ULPs (the half kernel's arithmetic, not its formula)",
                         size, check::format_ulps(twin.max_ulps))}};
  std::vector<finding> out;
  for (auto f32 : diagnose(f, subject, reference)) {
    f32.text = "in float32 too: " + f32.text;
    out.push_back(std::move(f32));
  }
  return out;
}

}  // namespace

std::vector<finding> diagnose(const loss_case& c, target& subject, target& reference) {
  std::vector<finding> out;
  loss_result got, want;
  try {
    got = subject.evaluate(c);
  } catch (const std::exception& e) {
    return {{"the target gave no answer to the counterexample", "bug", e.what()}};
  }
  try {
    want = reference.evaluate(c);
  } catch (const std::exception& e) {
    want = loss_result::failure(c.id, e.what());
  }
  if (got.unsupported) return {{"answers `unsupported`: " + *got.unsupported, "convention", ""}};
  if (want.error && !got.error)
    return {{"accepts a case torch rejects", "bug", "the reference: " + *want.error}};
  if (got.error && !want.error) return {{"rejects a valid case", "bug", *got.error}};
  if (got.error) return {};
  if (!got.output) return {{"answers without an output", "bug", ""}};

  check::tolerance tol;
  try {
    tol = check::tolerance_for(c);
  } catch (const std::exception& e) {
    return {{"no tolerance for the case", "unexplained", e.what()}};
  }
  if (is_half(c.type)) return diagnose_half(c, subject, reference, got, want);
  std::vector<candidate> cands;
  bool cands_made = false;
  std::vector<std::string> components = {"output"};
  for (const auto& [n, g] : want.grads) components.push_back(n);
  std::vector<std::string> self_consistent;
  for (const auto& comp : components) {
    const tensor* gv = component_of(got, comp);
    const tensor* wv = component_of(want, comp);
    const auto* tt = component_tolerance(tol, comp);
    if (!wv || !tt) continue;
    if (!gv) {
      if (got.unsupported_grads.count(comp)) continue;
      out.push_back({fmt::format("does not report the {}", component_name(comp)), "bug", ""});
      continue;
    }
    if (matches(*gv, *wv, *tt, c.type)) continue;
    const std::string what = component_name(comp);
    if (gv->shape != wv->shape) {
      out.push_back({fmt::format("{} has shape [{}], the reference's [{}]", what, fmt::join(gv->shape, ","),
                                 fmt::join(wv->shape, ",")),
                     comp == "output" && effective_reduction(c) == "none" ? "bug" : "unexplained",
                     comp == "output" && effective_reduction(c) == "none" ? "reduction='none' was asked" : ""});
      continue;
    }
    // A number where torch's answer is NaN (a mean over nothing, or over weights that sum to 0): no mistake that
    // coincides with it here is evidence (sum and a mean returning 0 agree on an empty input), and a deviation from
    // torch there is never a mere convention.
    if (const auto k = number_where_nan(*gv, *wv); k) {
      const std::string why = degenerate_reason(c, want);
      out.push_back({fmt::format("{}[{}] is {} where torch's is NaN{}", what, *k, format_float(gv->values[*k], c.type),
                                 why.empty() ? "" : " (" + why + ")"),
                     "bug", "torch defines this case as NaN; a library may choose otherwise, but that is a choice to "
                            "accept explicitly (a baseline), not a convention losscheck can name"});
      continue;
    }
    if (!cands_made) cands = candidates(c, reference), cands_made = true;
    bool explained = false;
    std::vector<const candidate*> matched;
    for (const auto& cand : cands) {
      const tensor* cv = component_of(cand.value, comp);
      const auto* ct = component_tolerance(cand.tol, comp);
      if (!cv || !ct) continue;
      if (matches(*cv, *wv, *tt, c.type)) continue;  // the mistake makes no difference here: no evidence
      if (!matches(*gv, *cv, *ct, c.type)) continue;
      matched.push_back(&cand);
    }
    if (!matched.empty()) {
      finding f{fmt::format("{}: {}", what, matched.front()->text), matched.front()->kind,
                what + worst_pair(*gv, *wv, c.type)};
      if (matched.size() > 1) {  // e.g. one target: "divides by the number of targets" and `sum` agree
        f.ambiguous = true;
        std::vector<std::string> others;
        for (std::size_t k = 1; k < matched.size(); ++k) others.push_back(matched[k]->text);
        f.detail += fmt::format("; on this case it equally {}", fmt::join(others, "; or "));
        f.equally = others;
      }
      // a constant factor that fits too (a mean that divides by N where the batch holds 2 elements per sample is
      // 2 × torch's): not a competing diagnosis, but what a baseline may have accepted it as
      if (auto r = constant_factor(*gv, *wv, *tt, c))
        f.equally.push_back(fmt::format("{} × the reference's", factor_text(*r, c, c.type == dtype::float32 ? 1e-5L : 1e-12L)));
      out.push_back(std::move(f));
      explained = true;
    }
    // non-finite where the exact value is finite
    bool nonfinite = false;
    for (std::size_t i = 0; i < gv->values.size() && !nonfinite && !explained; ++i) {
      if (std::isfinite(wv->values[i]) && !std::isfinite(gv->values[i])) {
        const std::string why = overflow_explanation(c);
        // ±inf where the exact value is infinite and torch clamps (BCE's -100) is torch's convention, not a bug
        const bool clamp_convention = std::isinf(gv->values[i]) && why.find("exact loss is infinite") != std::string::npos;
        out.push_back({fmt::format("{}[{}] is {} where the reference's value is finite ({})", what, i,
                                   format_float(gv->values[i], c.type), format_float(wv->values[i], c.type)),
                       clamp_convention ? "convention" : "bug", why});
        nonfinite = true;
      }
    }
    if (nonfinite) continue;
    if (!explained) {
      if (auto r = constant_factor(*gv, *wv, *tt, c)) {
        const std::string ft = factor_text(*r, c, c.type == dtype::float32 ? 1e-5L : 1e-12L);
        out.push_back({fmt::format("{}: {} × the reference's", what, ft), *r < 0 ? "bug" : "convention",
                       what + worst_pair(*gv, *wv, c.type)});
        explained = true;
      }
    }
    // only where the record says the gradients are the forward's derivative (ctc_loss's are not: torch adds
    // e^log_probs, docs/torch-quirks.md; its own property checks the difference instead)
    if (comp != "output" && record_of(c.loss).has(generic_property::finite_differences)) {
      bool checked = false;
      if (auto f = check_against_own_forward(c, got, comp, subject, checked)) {
        out.push_back(*f);
        explained = true;
      } else if (checked) {
        self_consistent.push_back(comp);
      }
    }
    if (!explained) {
      out.push_back({fmt::format("{}: differs from the reference's and matches none of the known mistakes", what), "unexplained",
                     what + worst_pair(*gv, *wv, c.type)});
    }
  }
  // "output: X" and "gradient of input: X" become one finding "output, gradient of input: X"
  std::vector<finding> merged;
  for (auto& f : out) {
    const auto colon = f.text.find(": ");
    const std::string what = colon == std::string::npos ? "" : f.text.substr(0, colon);
    const std::string desc = colon == std::string::npos ? f.text : f.text.substr(colon + 2);
    auto same = std::find_if(merged.begin(), merged.end(), [&](const finding& m) {
      const auto mc = m.text.find(": ");
      return !what.empty() && mc != std::string::npos && m.kind == f.kind && m.text.substr(mc + 2) == desc;
    });
    if (same == merged.end()) {
      merged.push_back(std::move(f));
      continue;
    }
    const auto mc = same->text.find(": ");
    same->text = same->text.substr(0, mc) + ", " + what + same->text.substr(mc);
    same->detail += "; " + f.detail;
    same->ambiguous = same->ambiguous || f.ambiguous;
    for (auto& e : f.equally)
      if (std::find(same->equally.begin(), same->equally.end(), e) == same->equally.end()) same->equally.push_back(std::move(e));
  }
  // a gradient that disagrees with torch but agrees with the target's own forward: the forward's convention
  if (!self_consistent.empty())
    for (auto& f : merged)
      if (f.kind == "convention" || f.kind == "unexplained")
        f.detail += fmt::format("{}the gradients of {} are consistent with its own forward (finite differences)",
                                f.detail.empty() ? "" : "; ", fmt::join(self_consistent, ", "));
  return merged;
}

}  // namespace losscheck::properties
