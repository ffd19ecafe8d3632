// hinge_embedding_loss's tolerance: the scales and rounding counts of docs/tolerances.md "hinge_embedding_loss".

#include <algorithm>
#include <cmath>

#include "tolerance_support.h"

namespace losscheck::check::detail {

// Per element of the broadcast shape, d = margin - x, [h] = [y != 1], [l] = [y != -1]:
// l = [h] max(d, 0) + [l] x      scale [h] (|margin| + |x|) + [l] |x|   k = 3  (margin rounded to the dtype, as torch's
//                                                                                float32 scalar is; - x; the sum)
// dl/dx = (-[h][d >= 0] + [l]) g  scale 1 · |g|                          k = 1  (the sum of ±g and 0: exact but for g's
//                                                                                own division by n, counted by the mean)
// Kink: torch rounds margin to float32 in a float32 case, so where the exact margin - x and fl32(margin) - x differ in
// sign (margin 0.1, x = fl32(0.1)) either branch is correct: the gradient's slack there is |g| (the branch's step).
tolerance hinge_embedding_loss_tolerance(const loss_case& c, const hinge_embedding_loss_problem& p) {
  elementwise e;
  e.shape = p.shape;
  const vec x = broadcast_values(p.input, p.shape, 0);
  const auto n = x.size();
  vec y(n);
  if (p.target->is_floating()) {
    y = broadcast_values(p.target, p.shape, 0);
  } else {
    broadcast_walker w(p.target->shape, p.shape);
    for (std::size_t i = 0; i < n; ++i, w.next()) y[i] = static_cast<double>(p.target->ints[static_cast<std::size_t>(w.offset())]);
  }
  const double m = p.margin;
  const double m_rounded = c.type == dtype::float32 ? static_cast<double>(static_cast<float>(m)) : m;
  e.out.resize(n);
  vec gs(n, 1.0), kink(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const bool hinge = y[i] != 1, linear = y[i] != -1;
    // margin - x = -inf (x = +inf): the clamp gives 0 exactly in any evaluation
    const bool clamped_to_zero = m - x[i] == -INFINITY;
    e.out[i] = (hinge && !clamped_to_zero ? std::fabs(m) + std::fabs(x[i]) : 0.0) + (linear ? std::fabs(x[i]) : 0.0);
    if (hinge && ((m - x[i] >= 0) != (m_rounded - x[i] >= 0))) kink[i] = 1;
  }
  e.k_out = 3;
  e.grads["input"] = {p.input, gs, 1};
  tolerance t = finish(c, e, p.red, static_cast<double>(n));
  if (std::any_of(kink.begin(), kink.end(), [](double v) { return v > 0; })) {
    const bool reduced = p.red != reduction::none;
    const vec g = grad_output_abs(c, n, reduced);
    const double div = p.red == reduction::mean ? static_cast<double>(n) : 1.0;
    vec slack(n);
    for (std::size_t i = 0; i < n; ++i) slack[i] = finite_or_zero(kink[i] * g[i] / div);
    reduce_to(p.input->shape, p.shape, slack, t.grads["input"].slack);
  }
  return t;
}

}  // namespace losscheck::check::detail
