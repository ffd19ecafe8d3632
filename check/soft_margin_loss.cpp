// soft_margin_loss's tolerance: the scales and rounding counts of docs/tolerances.md "soft_margin_loss".

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// z = -y x, sp(z) = log(1 + e^z), σ(z) = 1 / (1 + e^-z), per element of the input (the target broadcast to it).
// l = sp(z)              scale |z| + sp(z) + 1              k = 4  (the product y x: an absolute u|z| in the
//                          exponent; exp; 1 + e^z: an absolute u in its log, hence the +1; log)
// dl/dx = -y σ(z) g      scale |y| σ(z) (1 + |z|) |g|       k = 6  (the product: a relative u|z| in e^z; exp; × y;
//                          1 + e^z; division; × g)
// torch forms log(1 + exp(z)) and y exp(z) / (1 + exp(z)) literally: where exp(z) or y exp(z) exceeds the dtype's
// range (float32 z > 88.7) its loss is inf and its gradient inf / inf = NaN where the values are about z and -y
// (docs/torch-quirks.md): those elements get the saturated scale, the overflow regime.
// Below the normal range: e^z (z < -87.3 in float32) and y e^z are rounded with an absolute error up to u λ, which
// the later product by y carries: λ |y| and λ join the gradient's scale there (float32 x = 100, y = 1e10 would give
// e^-1e12 = 0, and x = 1, y = 100: e^-100 = 3.7e-44 is subnormal, 2 % off).
tolerance soft_margin_loss_tolerance(const loss_case& c, const soft_margin_loss_problem& p) {
  elementwise e;
  e.shape = p.input->shape;
  const auto& x = p.input->values;
  const vec y = broadcast_values(p.target, e.shape, 0);
  const auto& traits = dtype_traits(c.type);
  const double lambda = traits.min_normal;
  e.out.resize(x.size());
  vec gs(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double z = -y[i] * x[i];
    const double az = std::fabs(z);
    const double sp = std::max(z, 0.0) + std::log1p(std::exp(-az));
    const double sigma = z > 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
    // z = -inf: log(1 + 0) = 0 exactly in any evaluation (an infinite x or y, or a float64 y x beyond the range)
    e.out[i] = z == -INFINITY ? 0.0 : az + sp + 1;
    gs[i] = std::fabs(y[i]) * sigma * (1 + az);
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;  // infinite terms: matched exactly
    const double ez = std::exp(std::min(z, 1e4));                 // inf beyond double's range
    const double yez = std::fabs(y[i]) * ez;
    const double grown = 1 + 4 * traits.epsilon;                  // z and y e^z as a float evaluation may round them
    if (ez * grown >= traits.max_finite || std::exp(z * grown) >= traits.max_finite) e.out[i] = saturated;
    if (ez * grown >= traits.max_finite || yez * grown >= traits.max_finite) {
      gs[i] = saturated;
      continue;
    }
    if (ez < lambda) gs[i] += lambda * std::fabs(y[i]);
    if (yez < lambda) gs[i] += lambda;
  }
  e.k_out = 4;
  e.grads["input"] = {p.input, gs, 6};
  return finish(c, e, p.red, static_cast<double>(x.size()));
}

}  // namespace losscheck::check::detail
