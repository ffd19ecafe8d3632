// gaussian_nll_loss's tolerance: the scales and rounding counts of docs/tolerances.md "gaussian_nll_loss".

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// Per element of the broadcast shape, with v = max(var, eps) (eps as the case dtype holds it; the clamp is exact),
// d = x - t, c = log(2π) / 2 as the case dtype holds it (the constant itself is torch's, not a rounding to count):
//   l = (log v + d² / v) / 2 (+ c)   scale (|log v| + d² / v) / 2 (+ c)    k = 5 (+1 with full)
//                                    (d: 2u in d²; square; division; log; sum; × 1/2 exact; + c)
//   dl/dx = ((g/2) / v) (2 d) = -dl/dt
//                                    scale |d| / v · |g|                    k = 3  (d, division, product)
//   dl/dvar = (g/2) / v - (g/2) ((d² / v) / v)
//                                    scale (1 / v + d² / v²) / 2 · |g|      k = 7  (division; d, square, two
//                                                                                   divisions, product; difference)
// Intermediates beyond the dtype's range make an element's terms overflow whatever the value: x - t and pow's 2 d
// (|x| + |t| at or above half the largest finite value), d² (also beside an infinite var: inf / inf = NaN),
// d² / v (before the halving: float32 d² / v = 3.40283e38 is inf, the loss 1.7e38), d² / v² and (g/2) / v (g / v
// beyond the range, v tiny with eps = 0): the overflow regime (saturated scales) for the values that hold them. An infinite or NaN operand gives an infinite or
// NaN scale: such elements must match exactly. A reduced output over an element beyond the range is in the overflow
// regime too (torch forms the element in the dtype first).
tolerance gaussian_nll_loss_tolerance(const loss_case& c, const gaussian_nll_loss_problem& p) {
  elementwise e;
  e.shape = p.shape;
  const auto& traits = dtype_traits(c.type);
  const auto in_dtype = [&](double v) { return c.type == dtype::float32 ? static_cast<double>(static_cast<float>(v)) : v; };
  const double eps = in_dtype(p.eps);
  const double constant = p.full ? in_dtype(0.5 * std::log(2 * 3.14159265358979323846)) : 0.0;
  tensor var_view = *p.var;
  var_view.shape = p.var_shape;  // functional.py's unsqueeze(-1)
  const vec x = broadcast_values(p.input, p.shape, 0), t = broadcast_values(p.target, p.shape, 0);
  const vec w = broadcast_values(&var_view, p.shape, 1);
  const vec g = grad_output_abs(c, x.size(), p.red != reduction::none);
  const double div = p.red == reduction::mean ? static_cast<double>(x.size()) : 1.0;
  e.out.resize(x.size());
  vec gd(x.size()), gv(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double v = std::isnan(w[i]) || w[i] >= eps ? w[i] : eps;
    const double d = x[i] - t[i];
    const double d2 = d * d;
    e.out[i] = saturate((std::fabs(std::log(v)) + d2 / v) / 2 + constant);
    gd[i] = saturate(std::fabs(d) / v);
    gv[i] = saturate((1 / v + d2 / v / v) / 2);
    // the intermediates of finite x and t beyond the range (2 d is pow's backward), also beside an infinite var
    // (float32 x = 1.5e26, var = inf: d^2 = inf and inf / inf = NaN where the loss is inf and var's gradient 0)
    if (!std::isfinite(x[i]) || !std::isfinite(t[i])) continue;
    const bool d_overflows = std::fabs(x[i]) + std::fabs(t[i]) >= traits.max_finite / 2;
    const bool d2_overflows = d_overflows || d2 >= traits.max_finite;
    if (d2_overflows) e.out[i] = gv[i] = saturated;
    if (d_overflows) gd[i] = saturated;
    if (!std::isfinite(v)) continue;
    const double ge = div > 0 ? g[i] / div : g[i];
    if (ge / v >= traits.max_finite) gd[i] = gv[i] = saturated;
    if (d2 / v >= traits.max_finite) e.out[i] = saturated;  // q = d² / v overflows before the halving
    if (d2 / v / v >= traits.max_finite) gv[i] = saturated;
  }
  e.k_out = p.full ? 6 : 5;
  e.grads["input"] = {p.input, gd, 3};
  e.grads["target"] = {p.target, gd, 3};
  e.grads["var"] = {&var_view, gv, 7};
  tolerance tol = finish(c, e, p.red, static_cast<double>(x.size()));
  // a reduced output over an element whose terms are beyond the dtype's range: torch forms that element in the
  // dtype first, although the mean may be finite: the overflow regime
  if (p.red != reduction::none &&
      std::any_of(e.out.begin(), e.out.end(), [&](double s) { return std::isfinite(s) && s >= traits.max_finite; }))
    tol.output.scale.assign(tol.output.scale.size(), saturated);
  return tol;
}

}  // namespace losscheck::check::detail
