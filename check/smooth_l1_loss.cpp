// smooth_l1_loss's tolerance: the scales and rounding counts of docs/tolerances.md "smooth_l1_loss".

#include <algorithm>
#include <cmath>

#include "tolerance_support.h"

namespace losscheck::check::detail {

// d = x - t, z = |d|, b = beta rounded to the case dtype (as ATen, docs/torch-quirks.md):
// l = 0.5 d^2 / b   (z < b)        scale 0.5 d^2 / b    k = 4  (subtraction squared: 2; product; division)
// l = z - 0.5 b     (z >= b)       scale z + 0.5 b      k = 4  (subtraction; the final subtraction: 2 suffice)
// dl/dx = (d / b) g (z < b)        scale (z / b) |g|    k = 4  (subtraction; ÷b; ×g; the mean's norm = 1/n is
//       = ±g      (z >= b)         scale |g|                    rounded before its product: +1 beyond finish's)
// dl/dt likewise with -d. Where fl(d) and d fall on either side of the kink z = b the two branches differ by
// 0.5 b ε² (value) and ε (slope, relative): below the bounds. At b = 0 the slope jumps at d = 0, and fl(d) = 0
// exactly when d = 0.
tolerance smooth_l1_loss_tolerance(const loss_case& c, const smooth_l1_loss_problem& p) {
  elementwise e;
  e.shape = p.shape;
  const double b = c.type == dtype::float32 ? static_cast<double>(static_cast<float>(p.beta)) : p.beta;
  const vec x = broadcast_values(p.input, p.shape, 0), y = broadcast_values(p.target, p.shape, 0);
  e.out.resize(x.size());
  vec gs(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double z = std::fabs(x[i] - y[i]);
    const bool quadratic = z < b;
    e.out[i] = quadratic ? saturate(0.5 * z * (z / b)) : z + 0.5 * b;
    gs[i] = std::isnan(z) ? 0.0 : quadratic ? z / b : 1.0;
  }
  e.k_out = 4;
  e.grads["input"] = {p.input, gs, 4};
  e.grads["target"] = {p.target, gs, 4};
  return finish(c, e, p.red, static_cast<double>(x.size()));
}

}  // namespace losscheck::check::detail
