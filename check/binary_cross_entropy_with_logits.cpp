// binary_cross_entropy_with_logits's tolerance: the scales and rounding counts of docs/tolerances.md
// "binary_cross_entropy_with_logits".

#include <algorithm>
#include <cmath>

#include "tolerance_support.h"

namespace losscheck::check::detail {

// m = max(-x, 0), lse = log(e^-m + e^(-x-m)) (the exponents are exact), L = 1 + (pw - 1) y.
// l = w ((1-y) x + L (lse + m))     scale |w| (|1-y| |x| + (1 + |pw-1||y|) (lse + m + 1))   k = 10
//   (two exps, their sum -- an absolute u in lse, hence the +1 --, log, + m, pw - 1, × y, + 1, × (lse + m),
//   1 - y, × x, the sum, × w). LibTorch's float32 log(1 + e^-20) = 0 where the value is 2.06e-9 is within this.
// dl/dx = g w ((pw y + 1 - y) σ(x) - pw y)   scale |w| (|pw y| + (|pw y| + 1 + |y|) σ(x)) |g|   k = 10
//   (σ: exp, add, divide; pw·y, + 1, - y, × σ, - pw y, × g, × w)
// dl/dy = g w (-x + (pw - 1) softplus(-x)) = g w (log σ(-x) - pw log σ(x))
//                                   scale |w| (|x| + sp(x) + (|pw|+1) sp(-x) + 1 + |pw|) |g|   k = 8
tolerance binary_cross_entropy_with_logits_tolerance(const loss_case& c,
                                                     const binary_cross_entropy_with_logits_problem& p) {
  elementwise e;
  e.shape = p.input->shape;
  const auto& x = p.input->values;
  const auto& y = p.target->values;
  const vec w = broadcast_values(p.weight, e.shape, 1);
  const vec pw = broadcast_values(p.pos_weight, e.shape, 1);
  e.out.resize(x.size());
  vec gx(x.size()), gy(x.size());
  auto softplus = [](double v) { return std::max(v, 0.0) + std::log1p(std::exp(-std::fabs(v))); };
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double m = std::max(-x[i], 0.0);
    const double lse = std::log1p(std::exp(-std::fabs(x[i])));
    const double aw = std::fabs(w[i]);
    const double apy = std::fabs(pw[i] * y[i]);
    e.out[i] = aw * (std::fabs(1 - y[i]) * std::fabs(x[i]) + (1 + std::fabs(pw[i] - 1) * std::fabs(y[i])) * (lse + m + 1));
    const double sigma = 1 / (1 + std::exp(-x[i]));
    gx[i] = aw * (apy + (apy + 1 + std::fabs(y[i])) * sigma);
    // An infinite y (or pos_weight) makes L infinite; where x ≥ 0 and 1 + e^-x rounds to 1 in the dtype (x > 16.6
    // in float32, 36.7 in float64), torch's lse + m is 0 and L (lse + m) = inf · 0 = NaN where the value is ±inf
    // (float32 x = 32, y = -inf, pw = 0): the overflow regime for the loss and the input's gradient, which holds
    // the same products.
    if ((!std::isfinite(y[i]) || !std::isfinite(pw[i])) && std::isfinite(x[i]) && x[i] >= 0 &&
        rounds_to_one(1 + std::exp(-x[i]), c.type))
      e.out[i] = gx[i] = saturated;
    gy[i] = aw * (std::fabs(x[i]) + softplus(x[i]) + (std::fabs(pw[i]) + 1) * softplus(-x[i]) + 1 + std::fabs(pw[i]));
  }
  e.k_out = 10;
  e.grads["input"] = {p.input, gx, 10};
  e.grads["target"] = {p.target, gy, 8};
  return finish(c, e, p.red, static_cast<double>(x.size()));
}

}  // namespace losscheck::check::detail
