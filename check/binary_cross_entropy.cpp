// binary_cross_entropy's tolerance: the scales and rounding counts of docs/tolerances.md "binary_cross_entropy".

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// L1 = max(log x, -100), L2 = max(log(1 - x), -100) (torch's clamp).
// l = -w (y L1 + (1-y) L2)          scale |w| (|y| (|L1|+1) + |1-y| (|L2|+1))       k = 7
//   (log x; 1 - x, whose rounding costs an absolute u in its log, hence the +1; log; 1 - y; two products; the sum;
//   ×w)
// dl/dx = g w (x - y) / max(x(1-x), 1e-12)   scale |w| |x - y| / max(x(1-x), 1e-12) · |g|   k = 7
//   (x - y, 1 - x, the product, 1e-12 in the dtype, the division, ×w, ×g); torch forms g (x - y) before dividing:
//   where that product is below the normal range its absolute rounding u λ becomes u λ / max(...) in the result,
//   so λ |w| / max(x(1-x), 1e-12) joins the scale there (float32 x = 7.3e-40, y = 0, g = 0.1250001: 7.1 ULPs
//   without it).
// dl/dy = g w (log(1-x) - log x)    scale |w| (|log x| + |log(1-x)| + 1) |g|         k = 5
//   (1 - x, two logs, the difference, ×w, ×g; not clamped: ±inf at x ∈ {0, 1}, matched exactly)
tolerance binary_cross_entropy_tolerance(const loss_case& c, const binary_cross_entropy_problem& p) {
  elementwise e;
  e.shape = p.input->shape;
  const auto& x = p.input->values;
  const auto& y = p.target->values;
  const vec w = broadcast_values(p.weight, e.shape, 1);
  e.out.resize(x.size());
  vec gx(x.size()), gy(x.size());
  // |g| as torch's backward sees it (grad_output divided by the mean's n, see finish), for the underflow term below
  const vec g = grad_output_abs(c, x.size(), p.red != reduction::none);
  const double div = p.red == reduction::mean ? static_cast<double>(x.size()) : 1.0;
  const double lambda = dtype_traits(c.type).min_normal;  // λ, the smallest normal number
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double l1 = std::log(x[i]), l2 = std::log1p(-x[i]);
    const double c1 = std::max(l1, -100.0), c2 = std::max(l2, -100.0);
    const double aw = std::fabs(w[i]);
    e.out[i] = aw * (std::fabs(y[i]) * (std::fabs(c1) + 1) + std::fabs(1 - y[i]) * (std::fabs(c2) + 1));
    const double clamp = std::max(x[i] * (1 - x[i]), 1e-12);
    gx[i] = aw * std::fabs(x[i] - y[i]) / clamp;
    // torch forms g (x - y) first: below the normal range it is rounded with an absolute error (up to u λ), which
    // the division by the clamp makes u λ / clamp: + λ |w| / clamp after the multiplication by |g| in finish
    const double ge = g[i] / div;
    if (ge > 0 && ge * std::fabs(x[i] - y[i]) < lambda) gx[i] += aw * lambda / clamp / ge;
    gy[i] = aw * (std::fabs(l1) + std::fabs(l2) + 1);
  }
  e.k_out = 7;
  e.grads["input"] = {p.input, gx, 7};
  e.grads["target"] = {p.target, gy, 5};
  return finish(c, e, p.red, static_cast<double>(x.size()));
}

}  // namespace losscheck::check::detail
