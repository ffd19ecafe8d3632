#pragma once
// Private to check/: the helpers every loss's tolerance (check/<loss>.cpp) is built from, and the per-loss entry
// points that tolerance_for (check/compare.cpp) dispatches to. Scales are computed in double from the case's inputs;
// they are magnitudes, so their own rounding does not matter (docs/tolerances.md).

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "losscheck/check.h"
#include "losscheck/problem.h"

namespace losscheck::check::detail {

using vec = std::vector<double>;

/// A saturated scale: terms that overflowed double (see `saturate`). At or above every dtype's largest finite value,
/// so the element is in the overflow regime of compare_tensor.
inline constexpr double saturated = std::numeric_limits<double>::max();

/// A scale that is not finite (a term is infinite, e.g. log 0 where the value itself is clamped or masked) cannot
/// bound a finite error: the element must then match exactly.
inline double finite_or_zero(double s) { return std::isfinite(s) ? s : 0.0; }

/// A scale that overflowed double from finite terms (e.g. e^t for a float64 t > 709.8) saturates at the largest
/// double: it still exceeds every dtype's range (the overflow regime of `compare_tensor`), where 0 would demand an
/// exact match. A term that is itself infinite (an infinite input) stays infinite, for `finite_or_zero`.
inline double saturate(double v) { return std::isinf(v) ? saturated : v; }

/// Whether v (near 1, computed in double) rounds to exactly 1 in the dtype.
inline bool rounds_to_one(double v, dtype type) {
  return type == dtype::float32 ? static_cast<float>(v) == 1.0f : v == 1.0;
}

/// Values of `t` as seen from the broadcast shape `to`, row-major; `absent` everywhere when `t` is nullptr.
vec broadcast_values(const tensor* t, const shape_t& to, double absent);

/// Sums per-element scales over a broadcast shape back onto the shape of the input they belong to (the gradient of
/// a broadcast input is that sum); returns the largest number of terms summed into one element (its fan-in).
std::int64_t reduce_to(const shape_t& from, const shape_t& to, const vec& s, vec& out);

/// Σ v; a sum of finite scales that overflows saturates (`saturate`), an infinite term makes it infinite.
double sum(const vec& v);

/// |grad_output| per element of the `none` output (reduced: the one scalar), ones when omitted.
vec grad_output_abs(const loss_case& c, std::size_t n, bool reduced);

/// Per-element scales of an elementwise loss over its `none` shape: `out` for the loss values, and for each
/// differentiable input the scale of the element's derivative for a unit incoming gradient. `k_*` count roundings.
struct elementwise {
  shape_t shape;
  vec out;
  double k_out = 0;
  struct grad {
    const tensor* input;
    vec scale;
    double k;
  };
  std::map<std::string, grad> grads;
};

/// Applies the reduction to an elementwise tolerance. Reduction roundings (docs/tolerances.md "Reductions"):
/// sum of n terms: +n (recursive summation, γ_{n-1}); mean or batchmean: +n+1 (the sum, then one division); the
/// gradient of a mean: +1 (the division). `divisor` is n for mean and input.size(0) for batchmean; `extra_divisor`
/// is kl_div's legacy batchmean division (+1 rounding).
tolerance finish(const loss_case& c, const elementwise& e, reduction red, double divisor, double extra_divisor = 1);

// One tolerance per loss, defined in check/<loss>.cpp with its commented rounding table:
// tolerance <loss>_tolerance(const loss_case&, const <loss>_problem&).
#define LOSSCHECK_X(name) tolerance name##_tolerance(const loss_case& c, const name##_problem& p);
LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X

/// The tolerance of the problem's loss (overloaded on the problem type, for std::visit).
#define LOSSCHECK_X(name) \
  inline tolerance tolerance_of(const loss_case& c, const name##_problem& p) { return name##_tolerance(c, p); }
LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X

}  // namespace losscheck::check::detail
