// mse_loss's tolerance: the scales and rounding counts of docs/tolerances.md "mse_loss".

#include <algorithm>
#include <cmath>

#include "tolerance_support.h"

namespace losscheck::check::detail {

// l = (x - t)^2                    scale (x - t)^2       k = 3  (subtraction, square: (1+δ)^2(1+δ'))
// dl/dx = 2 (x - t) g = -dl/dt     scale 2|x - t| |g|    k = 3  (subtraction, ×2·norm, ×g)
tolerance mse_loss_tolerance(const loss_case& c, const mse_loss_problem& p) {
  elementwise e;
  e.shape = p.shape;
  const vec x = broadcast_values(p.input, p.shape, 0), y = broadcast_values(p.target, p.shape, 0);
  e.out.resize(x.size());
  vec gs(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double d = x[i] - y[i];
    e.out[i] = d * d;
    gs[i] = 2 * std::fabs(d);
  }
  e.k_out = 3;
  e.grads["input"] = {p.input, gs, 3};
  e.grads["target"] = {p.target, gs, 3};
  return finish(c, e, p.red, static_cast<double>(x.size()));
}

}  // namespace losscheck::check::detail
