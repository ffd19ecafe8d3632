// l1_loss's tolerance: the scales and rounding counts of docs/tolerances.md "l1_loss".

#include <cmath>

#include "tolerance_support.h"

namespace losscheck::check::detail {

// l = |x - t|                      scale |x - t|          k = 1  (the subtraction; abs is exact)
// dl/dx = sgn(x - t) g = -dl/dt    scale |sgn(x - t)| |g| k = 1  (sgn ∈ {-1, 0, 1}: the product is exact in torch's
//                                                                 order, (g/n)·s; 1 is check's floor and admits
//                                                                 (s·g)/n; the mean's division is finish's +1)
// At x = t (and for a NaN difference) the derivative is exactly 0 (torch's sgn, docs/torch-quirks.md): scale 0.
tolerance l1_loss_tolerance(const loss_case& c, const l1_loss_problem& p) {
  elementwise e;
  e.shape = p.shape;
  const vec x = broadcast_values(p.input, p.shape, 0), y = broadcast_values(p.target, p.shape, 0);
  e.out.resize(x.size());
  vec gs(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double d = x[i] - y[i];
    e.out[i] = std::fabs(d);
    gs[i] = d != 0 && !std::isnan(d) ? 1.0 : 0.0;
  }
  e.k_out = 1;
  e.grads["input"] = {p.input, gs, 1};
  e.grads["target"] = {p.target, gs, 1};
  return finish(c, e, p.red, static_cast<double>(x.size()));
}

}  // namespace losscheck::check::detail
