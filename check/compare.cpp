// The comparison engine of docs/tolerances.md: the error unit, the overflow regime, the element-by-element
// comparison of results under a tolerance, and tolerance_for, which dispatches to each loss's tolerance
// (check/<loss>.cpp, one commented rounding table per loss).

#include "losscheck/check.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <variant>

#include "losscheck/dtype_traits.h"
#include "losscheck/json.h"
#include "tolerance_support.h"

namespace losscheck::check {

double max_finite(dtype type) { return dtype_traits(type).max_finite; }

namespace {

/// Half precision (docs/tolerances.md "Half precision"): a half result is computed in float32 and rounded once
/// (what most half kernels do), or rounded correctly from the exact value. Either is within u_h·|e| + k·u_32·s of the
/// exact value e (k roundings of float32 at the element's scale s >= |e|, then one rounding to the half dtype), so
/// two of them differ by at most ε_h·s + k·ε_32·s: the float32 table's bound k becomes 1 + k·ε_32/ε_h ULPs of the
/// half dtype (1 + k·2^-13 for float16, 1 + k·2^-16 for bfloat16). An evaluation that rounds intermediates to the
/// half dtype (accumulates in it) makes errors of k·ε_h·s and fails this bound, as it should.
tolerance half_tolerance(const loss_case& c) {
  tolerance t = tolerance_for(with_dtype(c, dtype::float32));
  const double ratio = dtype_traits(dtype::float32).epsilon / dtype_traits(c.type).epsilon;
  auto widen = [&](tensor_tolerance& x) { x.bound_ulps = 1 + x.bound_ulps * ratio; };
  widen(t.output);
  for (auto& [name, g] : t.grads) widen(g);
  return t;
}

}  // namespace

tolerance tolerance_for(const loss_case& c) {
  if (is_half(c.type)) return half_tolerance(c);
  const problem pr = resolve_problem(c);
  return std::visit([&](const auto& q) { return detail::tolerance_of(c, q); }, pr);
}

double error_unit(double scale, dtype type) {
  // Below the normal range there is no relative accuracy to hold anyone to: a rounding may flush to zero (LibTorch's
  // float32 sigmoid(-89) is 1/(1 + inf) = 0) or lose digits in a subnormal intermediate that a later product
  // amplifies (float32 exp(-100) * 97). Each rounding is allowed an absolute error of λ, the smallest normal number
  // (Higham's model with flush-to-zero underflow), so k roundings allow k·λ.
  const float_traits& t = dtype_traits(type);
  return t.epsilon * scale + t.min_normal;
}

namespace {

/// The overflow threshold of a half dtype (docs/tolerances.md "Half precision"): a value from 65504 up to 65520 (float16;
/// bfloat16: (2 − 2^-7)·2^127 up to (2 − 2^-8)·2^127) rounds to the largest finite value, a value at or above 65520 to
/// inf. A kernel that computes in float32 and rounds once may land on either side of the threshold when the exact
/// value is within its float32 error of it, so ±inf against ±max (same sign) is measured with inf standing for
/// ±2^(e_max+1) (one ULP beyond max): accepted where the bound allows one ULP. When the correctly rounded (expected)
/// value overflowed, the exact value is only known to lie in [threshold, scale]: accepted only where the scale does
/// not exceed 2^(e_max+1), so that a saturating target (max for an exact 10^6) still fails.
bool at_the_overflow_threshold(double e, double a, double scale, dtype type) {
  const double max = max_finite(type);
  const bool e_inf = std::isinf(e) && std::fabs(a) == max, a_inf = std::isinf(a) && std::fabs(e) == max;
  if (!(e_inf || a_inf) || std::signbit(e) != std::signbit(a)) return false;
  return a_inf || (std::isfinite(scale) && scale <= std::ldexp(1.0, dtype_traits(type).max_exponent + 1));
}

/// Compares one tensor element by element; updates `r`. Returns false (with r.message set) on the first mismatch of
/// structure; value failures are recorded and the comparison goes on to find the worst element.
void compare_tensor(const std::string& name, const tensor& expected, const tensor& got, const tensor_tolerance& tol,
                    dtype type, comparison& r) {
  auto fail = [&](std::string msg) {
    if (r.passed) r.message = std::move(msg);
    r.passed = false;
  };
  if (got.shape != expected.shape) {
    fail(fmt::format("{} has shape {}, expected {}", name, format_shape(got.shape), format_shape(expected.shape)));
    r.max_ulps = std::numeric_limits<double>::infinity();
    return;
  }
  if (got.type != expected.type) {
    fail(fmt::format("{} has dtype {}, expected {}", name, to_string(got.type), to_string(expected.type)));
    return;
  }
  double worst_ratio = -1;
  if (r.worst) worst_ratio = r.worst->bound > 0 ? r.worst->ulps / r.worst->bound : r.worst->ulps;
  for (std::size_t i = 0; i < expected.values.size(); ++i) {
    const double e = expected.values[i], a = got.values[i];
    if (std::isfinite(a) && round_to(type, a) != a) {  // an in-process target's value the dtype cannot hold
      fail(fmt::format("{}[{}] = {:.17g} is not a {} value", name, i, a, to_string(type)));
      r.max_ulps = std::numeric_limits<double>::infinity();
      return;
    }
    const double scale = i < tol.scale.size() ? tol.scale[i] : 0.0;
    double ulps;
    if (is_half(type) && at_the_overflow_threshold(e, a, scale, type)) {
      // one side overflowed, the other is the largest finite value: ±inf counts as ±2^(e_max+1) (see below)
      const double beyond = std::ldexp(std::copysign(1.0, e), dtype_traits(type).max_exponent + 1);
      ulps = std::fabs((std::isfinite(a) ? a : beyond) - (std::isfinite(e) ? e : beyond)) / error_unit(scale, type);
      ++r.elements;
      r.sum_sq_ulps += ulps * ulps;
    } else if (!std::isfinite(e) || !std::isfinite(a)) {
      // The overflow regime: a scale at or above the dtype's largest finite value means terms of the computation
      // exceed the range, where the rounding model (no overflow) says nothing: an infinite term may meet another
      // (inf - inf, 0 · inf) and give NaN or ±inf whatever the value. A non-finite result is accepted there; a
      // finite result is measured as usual, and a non-finite expected value still needs a non-finite one.
      // A half dtype's kernels compute in float32 (docs/tolerances.md "Half precision"): their terms overflow at
      // float32's range, not at the half dtype's (whose own threshold is at_the_overflow_threshold's).
      const bool overflow =
          std::isfinite(scale) && scale >= max_finite(is_half(type) ? dtype::float32 : type) && !std::isfinite(a);
      const bool same = (std::isnan(e) && std::isnan(a)) || e == a || overflow;
      ulps = same ? 0 : std::numeric_limits<double>::infinity();
    } else {
      const double slack = i < tol.slack.size() ? tol.slack[i] : 0.0;
      ulps = std::max(0.0, std::fabs(a - e) - slack) / error_unit(scale, type);
      ++r.elements;
      r.sum_sq_ulps += ulps * ulps;
    }
    r.max_ulps = std::max(r.max_ulps, ulps);
    const double ratio = tol.bound_ulps > 0 ? ulps / tol.bound_ulps : ulps;
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      r.worst = element_error{fmt::format("{}[{}]", name, i), a, e, scale, ulps, tol.bound_ulps};
    }
    if (ulps > tol.bound_ulps) {
      const std::string rel = relative_error_text(a, e);
      fail(fmt::format("{}[{}]: got {}, expected {}: {} ULPs of the scale {:.3g} > bound {}{}", name, i,
                       format_float(a, type), format_float(e, type), format_ulps(ulps), scale, tol.bound_ulps,
                       rel.empty() ? "" : " (" + rel + ")"));
    }
  }
}

}  // namespace

double worst_magnitude(const comparison& cmp) {
  if (!cmp.worst) return 0.0;
  return cmp.worst->expected != 0 ? std::fabs(cmp.worst->expected) : cmp.worst->scale;
}

std::string format_ulps(double ulps) {
  if (std::isnan(ulps)) return "nan";
  if (!std::isfinite(ulps)) return "inf";
  return ulps < 1e6 ? fmt::format("{:.2f}", ulps) : fmt::format("{:.2g}", ulps);
}

std::string relative_error_text(double got, double expected) {
  if (!std::isfinite(got) || !std::isfinite(expected) || expected == 0) return "";
  return fmt::format("relative error {:.2g}", std::fabs(got - expected) / std::fabs(expected));
}

comparison compare(const loss_case& c, const loss_result& expected, const loss_result& got) {
  if (expected.error || got.error || got.unsupported || !got.output) return compare(c, expected, got, tolerance{});
  tolerance tol;
  try {
    tol = tolerance_for(c);
  } catch (const std::exception& e) {
    comparison r;
    r.passed = false;
    r.message = fmt::format("no tolerance: losscheck rejects the case: {}", e.what());
    return r;
  }
  return compare(c, expected, got, tol);
}

tolerance widest(const tolerance& a, const tolerance& b) {
  auto wider = [](const tensor_tolerance& x, const tensor_tolerance& y) {
    tensor_tolerance w;
    w.bound_ulps = std::max(x.bound_ulps, y.bound_ulps);
    auto elementwise_max = [](const detail::vec& u, const detail::vec& v) {
      detail::vec m(std::max(u.size(), v.size()), 0.0);
      for (std::size_t i = 0; i < m.size(); ++i)
        m[i] = std::max(i < u.size() ? u[i] : 0.0, i < v.size() ? v[i] : 0.0);
      return m;
    };
    w.scale = elementwise_max(x.scale, y.scale);
    w.slack = elementwise_max(x.slack, y.slack);
    return w;
  };
  tolerance t;
  t.output = wider(a.output, b.output);
  t.grads = a.grads;
  for (const auto& [name, g] : b.grads) {
    auto it = t.grads.find(name);
    if (it == t.grads.end()) t.grads[name] = g;
    else it->second = wider(it->second, g);
  }
  return t;
}

comparison compare(const loss_case& c, const loss_result& expected, const loss_result& got, const tolerance& tol) {
  comparison r;
  if (expected.error) {
    if (!got.error) {
      r.passed = false;
      r.message = got.unsupported ? fmt::format("unsupported ({}); torch rejects it: {}", *got.unsupported, *expected.error)
                                  : fmt::format("accepted a case torch rejects: {}", *expected.error);
    }
    return r;
  }
  if (got.error || got.unsupported || !got.output) {
    r.passed = false;
    r.message = got.error ? fmt::format("rejected a case torch accepts: {}", *got.error)
                          : got.unsupported ? fmt::format("unsupported: {}", *got.unsupported) : "no output";
    return r;
  }
  compare_tensor("output", *expected.output, *got.output, tol.output, c.type, r);
  for (const auto& [name, e] : expected.grads) {
    auto it = got.grads.find(name);
    if (it == got.grads.end()) {
      if (got.unsupported_grads.count(name)) {  // declared by the program: skipped, and listed by the audit
        r.skipped_grads.push_back(name);
        continue;
      }
      if (r.passed) r.message = fmt::format("gradient of {} missing", name);
      r.passed = false;
      continue;
    }
    auto t = tol.grads.find(name);
    const tensor_tolerance none{};
    compare_tensor("grads." + name, e, it->second, t == tol.grads.end() ? none : t->second, c.type, r);
  }
  for (const auto& [name, g] : got.grads) {
    (void)g;
    if (!expected.grads.count(name)) {
      if (r.passed) r.message = fmt::format("reports a gradient of {} that torch does not define", name);
      r.passed = false;
    }
  }
  return r;
}

}  // namespace losscheck::check
