// kl_div's tolerance: the scales and rounding counts of docs/tolerances.md "kl_div".

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// log_target = false (t = 0 gives exactly 0; t < 0 gives NaN, matched exactly):
//   l = xlogy(t, t) - t x           scale |t| (|log t| + |x| + 1)      k = 4  (log, two products, difference)
//   dl/dx = -t g                    scale |t| |g|                       k = 2  (×t, ×g)
//   dl/dt = g (log t + 1 - x)       scale (|log t| + 1 + |x|) |g|       k = 5  (log, t/t, + 1, - x, × g)
//     torch forms the t/t term as (g t) / t (xlogy's backward): where g t falls below the normal range its rounding
//     is absolute, up to u λ, and the division by t makes that u λ / |t| in the gradient: the term λ / |t| joins
//     the scale there (|g t| < λ; the rounding is already counted). Float32 torch at t = 5.74e-42, g = 0.12500685
//     gets g t / t = 0.125 (5.3 ULPs of the scale without the term).
// log_target = true (e = exp t):
//   l = e (t - x)                   scale e (|t| + |x|)                 k = 4  (exp, difference, product)
//   dl/dx = -e g                    scale e |g|                         k = 2
//   dl/dt = g e (t - x + 1)         scale e (|t| + |x| + 1) |g|         k = 5
//   e^t below the normal range counts as λ in these scales (its rounding is absolute, up to u λ, and the
//   products multiply it by |t - x|, |t - x + 1|).
//   e^t beyond the dtype's range (t > 88.7 in float32) makes these scales exceed it: the overflow regime of
//   compare_tensor (torch's product rule gives e^t (t - x) + e^t = -inf + inf = NaN where the value is -inf or 0).
//   A finite t whose e^t overflows double saturates (`saturate`) instead of demanding an exact match.
tolerance kl_div_tolerance(const loss_case& c, const kl_div_problem& p) {
  elementwise e;
  e.shape = p.shape;
  const vec x = broadcast_values(p.input, p.shape, 0), t = broadcast_values(p.target, p.shape, 0);
  e.out.resize(x.size());
  vec gx(x.size()), gt(x.size());
  // |g| as torch's backward sees it per element: grad_output divided by the reduction's divisors (see finish)
  const vec g = grad_output_abs(c, x.size(), p.red != reduction::none);
  double div = p.legacy_batchmean ? static_cast<double>(p.batch_size) : 1.0;
  if (p.red == reduction::mean) div *= static_cast<double>(x.size());
  if (p.red == reduction::batchmean) div *= static_cast<double>(p.batch_size);
  const double lambda = dtype_traits(c.type).min_normal;  // λ, the smallest normal number
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ax = std::fabs(x[i]);
    if (p.log_target) {
      // e^t below the normal range is rounded with an absolute error (up to u λ): its magnitude in the scales is
      // at least λ (float32 t = -89.66, x = 1.55e26: e^t = 1.15e-39 is subnormal, 4.5 ULPs without this)
      const double ex = std::max(std::exp(t[i]), lambda);
      // e^t overflowing from a finite t puts the element in the overflow regime, even beside an infinite x
      const bool overflows = std::isfinite(t[i]) && std::exp(t[i]) >= max_finite(c.type);
      const bool finite_terms = std::isfinite(t[i]) && std::isfinite(x[i]);
      auto sat = [&](double v) { return overflows || finite_terms ? saturate(v) : v; };
      e.out[i] = sat(ex * (std::fabs(t[i]) + ax));
      gx[i] = sat(ex);
      gt[i] = sat(ex * (std::fabs(t[i]) + ax + 1));
      // e^t that the dtype rounds to 0 (below half its smallest subnormal: t < -103.97 in float32, -745.13 in
      // float64) beside an infinite x: any float
      // evaluation of e^t (t - x) is 0 · inf = NaN where the value is ±inf (float32 torch, t = -4096, x = -inf):
      // the overflow regime for the loss and the target's gradient (both hold that product)
      if (std::isfinite(t[i]) && !std::isfinite(x[i]) && t[i] < std::log(dtype_traits(c.type).min_subnormal) - std::log(2.0))
        e.out[i] = gt[i] = saturated;
    } else {
      const double lt = t[i] > 0 ? std::fabs(std::log(t[i])) : 0.0;
      e.out[i] = std::fabs(t[i]) * (lt + ax + 1);
      gx[i] = std::fabs(t[i]);
      gt[i] = t[i] > 0 ? lt + 1 + ax : 0.0;
      // the underflow of g t: + λ / |t| after the multiplication by |g| in finish, so λ / (|t| |g|) here
      const double ge = div > 0 ? g[i] / div : g[i];
      if (t[i] > 0 && std::isfinite(t[i]) && ge > 0 && ge * t[i] < lambda) gt[i] += lambda / t[i] / ge;
    }
  }
  e.k_out = 4;
  e.grads["input"] = {p.input, gx, 2};
  e.grads["target"] = {p.target, gt, 5};
  const bool batchmean = p.red == reduction::batchmean;
  tolerance tol = finish(c, e, p.red, batchmean ? static_cast<double>(p.batch_size) : static_cast<double>(x.size()),
                         p.legacy_batchmean ? static_cast<double>(p.batch_size) : 1.0);
  // torch forms e^t on the target's own shape, before broadcasting (docs/torch-quirks.md): an e^t that overflows
  // meets the zero gradient of an empty broadcast as 0 · inf = NaN (float32 target [88.72284] against a (0, 2)
  // input), so such a target element is in the overflow regime whatever the broadcast
  if (auto it = tol.grads.find("target"); p.log_target && it != tol.grads.end() &&
                                         it->second.scale.size() == p.target->values.size())
    for (std::size_t j = 0; j < p.target->values.size(); ++j)
      if (std::isfinite(p.target->values[j]) && std::exp(p.target->values[j]) >= max_finite(c.type))
        it->second.scale[j] = saturated;
  return tol;
}

}  // namespace losscheck::check::detail
