// poisson_nll_loss's tolerance: the scales and rounding counts of docs/tolerances.md "poisson_nll_loss".

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// Per element of the broadcast shape, e = eps and 2π as the case dtype holds them (ATen converts the scalars), E = e^x,
// L = log(x + e), S = t log t - t + log(2π t) / 2 (t > 1 only: torch masks it to +0 elsewhere):
// log_input:
//   l = E - t x                  scale E + |t x|                   k = 3  (exp, product, difference)
//   dl/dx = g E - g t            scale (E + |t|) |g|               k = 4  (exp, two products, difference)
//   dl/dt = -g x                 scale |x| |g|                     k = 1
// log_input = false:
//   l = x - t L                  scale |x| + |t| (|L| + 1)         k = 4  (x + e: an absolute u in L, hence the +1;
//                                                                          log; product; difference)
//   dl/dx = g - (g t) / (x + e)  scale (1 + |t| / |x + e|) |g|     k = 4  (x + e, product, division, difference)
//     torch forms g t first: below the normal range its rounding is absolute (u λ), and the division by x + e
//     makes it u λ / |x + e|: λ / |x + e| joins the scale there (as kl_div's (g t) / t).
//   dl/dt = -g L                 scale (|L| + 1) |g|               k = 3  (x + e, log, product)
// full, where t > 1 (ATen: t log t - t + 0.5 log(2π t), then `loss +=`; autograd's paths for the target):
//   l += S                       scale + |t| (|log t| + 1) + (|log(2π t)| + 1) / 2
//                                k + 7  (log t, product, - t, 2π t: an absolute u/2 in the half log, hence the +1;
//                                        log, the sum, the in-place add)
//   dl/dt += g log t + (g t) / t - g + (g / 2) / t
//                                scale + (|log t| + 2 + 1 / (2 t)) |g|   k + 7  (log, four products / quotients, three
//                                                                                sums, all within this scale)
//   where |g t| exceeds the dtype's range the quotient (g t) / t is inf: the overflow regime (saturated scale).
// Intermediates beyond the range: E (x > 88.7 in float32, 709.8 in float64) overflows although the loss may be finite
// (a large t x cancels it): the overflow regime for the loss and dl/dx (saturated, even where g = 0: 0 · inf = NaN).
// Non-finite terms (an infinite input, log 0 where x + e = 0) give infinite scales: those elements match exactly.
// With full, t <= 0 makes dl/dt NaN (torch's masked 0 · log t): matched exactly.
// A reduced output over an element beyond the range is in the overflow regime (torch forms the element in the
// dtype first), and so is dl/dx at an input whose own term e^x overflows or whose x + e is 0: torch forms those on
// the input's shape, where they meet the summed incoming gradient, 0 for an empty broadcast (0 · inf, 0 / 0).
tolerance poisson_nll_loss_tolerance(const loss_case& c, const poisson_nll_loss_problem& p) {
  elementwise e;
  e.shape = p.shape;
  const auto& traits = dtype_traits(c.type);
  const double lambda = traits.min_normal;
  const auto in_dtype = [&](double v) { return c.type == dtype::float32 ? static_cast<double>(static_cast<float>(v)) : v; };
  const double eps = in_dtype(p.eps);
  const double two_pi = in_dtype(2 * 3.14159265358979323846);
  const vec x = broadcast_values(p.input, p.shape, 0), t = broadcast_values(p.target, p.shape, 0);
  const vec g = grad_output_abs(c, x.size(), p.red != reduction::none);
  double div = 1;
  if (p.red == reduction::mean) div = static_cast<double>(x.size());
  e.out.resize(x.size());
  vec gx(x.size()), gt(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ax = std::fabs(x[i]), at = std::fabs(t[i]);
    const double ge = div > 0 ? g[i] / div : g[i];  // |g| as torch's backward sees it per element
    if (p.log_input) {
      const double ex = std::exp(x[i]);
      const bool overflows = std::isfinite(x[i]) && ex >= traits.max_finite;
      e.out[i] = overflows ? saturated : ex + at * ax;
      gx[i] = overflows ? saturated : ex + at;
      gt[i] = ax;
    } else {
      const double shifted = x[i] + eps;
      const double l = std::log(shifted);  // -inf at 0, NaN below: infinite scales, exact matches
      e.out[i] = ax + at * (std::fabs(l) + 1);
      gx[i] = 1 + at / std::fabs(shifted);
      if (at * ge < lambda && ge > 0 && shifted != 0) gx[i] += lambda / std::fabs(shifted) / ge;
      gt[i] = std::fabs(l) + 1;
    }
    if (p.full && t[i] > 1) {
      const double lt = std::log(t[i]);
      if (e.out[i] != saturated) e.out[i] += at * (std::fabs(lt) + 1) + (std::fabs(std::log(two_pi * t[i])) + 1) / 2;
      gt[i] += std::fabs(lt) + 2 + 0.5 / at;
      if (std::isfinite(t[i]) && at * ge >= traits.max_finite) gt[i] = saturated;
    }
    if (e.out[i] != saturated) e.out[i] = saturate(e.out[i]);
  }
  e.k_out = (p.log_input ? 3 : 4) + (p.full ? 7 : 0);
  e.grads["input"] = {p.input, gx, p.log_input ? 4.0 : 4.0};
  e.grads["target"] = {p.target, gt, (p.log_input ? 1.0 : 3.0) + (p.full ? 7.0 : 0.0)};
  tolerance tol = finish(c, e, p.red, static_cast<double>(x.size()));
  // a reduced output over an element whose terms are beyond the dtype's range: torch forms that element in the
  // dtype (float32 t x = 3.4029e38 is inf) although the mean may be finite: the overflow regime
  if (p.red != reduction::none &&
      std::any_of(e.out.begin(), e.out.end(), [&](double s) { return std::isfinite(s) && s >= traits.max_finite; }))
    tol.output.scale.assign(tol.output.scale.size(), saturated);
  // e^x (log(x + e)) is formed on the input's own shape: where it overflows (is log 0) it meets the summed incoming
  // gradient, 0 for an empty broadcast, as 0 · inf (0 / 0) = NaN where the exact value is 0: the overflow regime
  if (auto it = tol.grads.find("input"); it != tol.grads.end() && it->second.scale.size() == p.input->values.size())
    for (std::size_t j = 0; j < p.input->values.size(); ++j) {
      const double xj = p.input->values[j];
      if (!std::isfinite(xj)) continue;
      if (p.log_input ? std::exp(xj) >= traits.max_finite : in_dtype(xj + eps) == 0) it->second.scale[j] = saturated;
    }
  // full: the target's gradient is NaN at t <= 0 (and t NaN), torch's masked Stirling term: an exact match
  if (auto it = tol.grads.find("target"); p.full && it != tol.grads.end())
    for (std::size_t j = 0; j < p.target->values.size() && j < it->second.scale.size(); ++j)
      if (!(p.target->values[j] > 0)) it->second.scale[j] = 0;
  return tol;
}

}  // namespace losscheck::check::detail
