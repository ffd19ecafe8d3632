// margin_ranking_loss's tolerance: the scales and rounding counts of docs/tolerances.md "margin_ranking_loss".

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// Per element of the broadcast shape, d = x1 - x2, z = -y d + margin, s_z = |y| (|x1| + |x2|) + |margin|:
// l = max(z, 0)                    scale s_z             k = 4  (d, the product, + margin, and margin rounded to the
//                                                                 dtype as torch's float32 scalar is)
// dl/dx1 = -y g [z >= 0] = -dl/dx2 scale |y| |g|         k = 1  (the product)
// dl/dy = -d g [z >= 0]            scale |d| |g|         k = 2  (d, the product)
// Kink: within the forward's rounding bound of z = 0 (|z| <= 4 u s_z) a correct float evaluation may take either
// branch, so each gradient element's slack is its on-branch value there (|y| |g|, |d| |g|) -- unless every
// evaluation is exact (y = ±1, x1 - x2, margin and z representable): then z's sign is the exact one, and at z = 0
// torch's clamp_min passes the gradient. Finite inputs whose
// terms exceed double's range (float64 x1 - x2 beyond DBL_MAX) are saturated: the overflow regime (torch forms
// x1 - x2 first).
namespace {

/// Whether every float evaluation of z = -y (x1 - x2) + margin is exact in `type` (so its branch is the exact one):
/// y = ±1 (any arrangement of the sign is exact), and x1 - x2, margin and their sum representable in the dtype.
bool exactly_evaluated(dtype type, double x1, double x2, double y, double m) {
  if (y != 1 && y != -1) return false;
  const auto representable = [&](double v) {
    return std::isfinite(v) && (type == dtype::float64 || static_cast<double>(static_cast<float>(v)) == v);
  };
  const auto exact_sum = [](double a, double b) {  // Knuth's TwoSum: a + b has no rounding error
    const double s = a + b, bb = s - a;
    return (a - (s - bb)) + (b - bb) == 0;
  };
  const double d = x1 - x2;
  const double z = -y * d + m;
  return exact_sum(x1, -x2) && representable(d) && representable(m) && exact_sum(-y * d, m) && representable(z);
}

}  // namespace

tolerance margin_ranking_loss_tolerance(const loss_case& c, const margin_ranking_loss_problem& p) {
  elementwise e;
  e.shape = p.shape;
  const vec x1 = broadcast_values(p.input1, p.shape, 0), x2 = broadcast_values(p.input2, p.shape, 0);
  const auto n = x1.size();
  const bool float_target = p.target->is_floating();
  vec y(n);
  if (float_target) {
    y = broadcast_values(p.target, p.shape, 0);
  } else {
    broadcast_walker w(p.target->shape, p.shape);
    for (std::size_t i = 0; i < n; ++i, w.next()) y[i] = static_cast<double>(p.target->ints[static_cast<std::size_t>(w.offset())]);
  }
  const double u = dtype_traits(c.type).unit_roundoff;
  const double m = p.margin;
  e.out.resize(n);
  vec g12(n), gy(n), kink(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const bool finite = std::isfinite(x1[i]) && std::isfinite(x2[i]) && std::isfinite(y[i]);
    const double d = x1[i] - x2[i];
    const double sz = std::fabs(y[i]) * (std::fabs(x1[i]) + std::fabs(x2[i])) + std::fabs(m);
    const double zn = -y[i] * d + m;
    // z = -inf (an infinite input on the clamp's zero side): max(z, 0) = 0 exactly in any evaluation
    e.out[i] = zn == -INFINITY ? 0.0 : finite ? saturate(sz) : sz;
    g12[i] = std::fabs(y[i]);
    gy[i] = finite ? saturate(std::fabs(d)) : std::fabs(d);
    const double z = -y[i] * d + m;
    if (finite && std::fabs(z) <= 4 * u * sz && !exactly_evaluated(c.type, x1[i], x2[i], y[i], m)) kink[i] = 1;
  }
  e.k_out = 4;
  e.grads["input1"] = {p.input1, g12, 1};
  e.grads["input2"] = {p.input2, g12, 1};
  if (float_target) e.grads["target"] = {p.target, gy, 2};
  tolerance t = finish(c, e, p.red, static_cast<double>(n));
  if (std::any_of(kink.begin(), kink.end(), [](double v) { return v > 0; })) {
    const vec g = grad_output_abs(c, n, p.red != reduction::none);
    const double div = p.red == reduction::mean ? static_cast<double>(n) : 1.0;
    const auto slack_of = [&](const tensor* input, const vec& scale, const std::string& name) {
      vec s(n);
      for (std::size_t i = 0; i < n; ++i) s[i] = finite_or_zero(kink[i] * scale[i] * g[i] / div);
      reduce_to(input->shape, p.shape, s, t.grads[name].slack);
    };
    slack_of(p.input1, g12, "input1");
    slack_of(p.input2, g12, "input2");
    if (float_target) slack_of(p.target, gy, "target");
  }
  return t;
}

}  // namespace losscheck::check::detail
