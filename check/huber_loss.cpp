// huber_loss's tolerance: the scales and rounding counts of docs/tolerances.md "huber_loss".

#include <algorithm>
#include <cmath>

#include "tolerance_support.h"

namespace losscheck::check::detail {

// d = x - t, z = |d|, δ = delta rounded to the case dtype (as ATen, docs/torch-quirks.md):
// l = 0.5 d^2         (z < δ)      scale 0.5 d^2          k = 3  (subtraction squared: 2; product)
// l = δ (z - 0.5 δ)   (z >= δ)     scale δ (z + 0.5 δ)    k = 3  (subtraction; subtraction; product)
// dl/dx = d g         (z < δ)      scale z |g|            k = 3  (subtraction; ×g; the mean's norm = 1/n is rounded
//       = ±δ g        (z >= δ)     scale δ |g|                    before its product: +1 beyond finish's)
// dl/dt likewise with -d. Where fl(d) and d fall on either side of the kink z = δ the branches differ by 0.5 δ ε²
// (value) and δ ε (slope): below the bounds.
tolerance huber_loss_tolerance(const loss_case& c, const huber_loss_problem& p) {
  elementwise e;
  e.shape = p.shape;
  const double delta = c.type == dtype::float32 ? static_cast<double>(static_cast<float>(p.delta)) : p.delta;
  const vec x = broadcast_values(p.input, p.shape, 0), y = broadcast_values(p.target, p.shape, 0);
  e.out.resize(x.size());
  vec gs(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double z = std::fabs(x[i] - y[i]);
    const bool quadratic = z < delta;
    e.out[i] = saturate(quadratic ? 0.5 * z * z : delta * (z + 0.5 * delta));
    gs[i] = std::isnan(z) ? 0.0 : quadratic ? z : delta;
  }
  e.k_out = 3;
  e.grads["input"] = {p.input, gs, 3};
  e.grads["target"] = {p.target, gs, 3};
  return finish(c, e, p.red, static_cast<double>(x.size()));
}

}  // namespace losscheck::check::detail
