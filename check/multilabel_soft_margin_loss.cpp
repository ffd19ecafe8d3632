// multilabel_soft_margin_loss's tolerance: the scales and rounding counts of docs/tolerances.md
// "multilabel_soft_margin_loss".

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// Per element e of the broadcast terms, A = log σ(x) = -sp(-x), B = log σ(-x) = -sp(x) (torch's log_sigmoid:
// max(-x, 0) + log1p(exp(-|x|)), an absolute u in the log1p: the +1s), w = 1 when absent:
//   l_e = -w (y A + (1 - y) B)        s_e = |w| (|y| (|A| + 1) + |1 - y| (|B| + 1))     k = 7  (exp, log1p, the max's
//                                       sum, 1 - y, two products, their sum, × w)
// row r: out_r = Σ_e l_e / C          S_r = Σ_e s_e / C                                   k = 7 + K + 1 (K terms summed,
//                                                                                          the division by C)
// With G_e = g_r / C (/ R for mean; torch divides twice: + 2):
//   dl/dx = G w ((1 - y) σ(x) - y σ(-x))   |G w| (|y| σ(-x) + |1 - y| σ(x))             k = 10 (log_sigmoid_backward's
//                                       exp, sum, division, product, difference; × y, 1 - y, × w; the difference)
//   dl/dy = G w (B - A)                    |G w| (|A| + |B| + 2)                           k = 8
//   dl/dw = -G (y A + (1 - y) B)           |G| s_e / |w|                                   k = 8
// Finite operands whose terms exceed double's range saturate (the overflow regime). Also in that regime: dl/dx where
// y is infinite and e^-|x| rounds to 0 in the dtype (|x| > 103.97 in float32, 745.13 in float64): torch's
// log_sigmoid_backward multiplies that 0 by the infinite incoming y G (0 · inf = NaN) where the value is ±inf
// (float32 x = -7113.116, y = +inf: torch NaN, the limit -inf or +inf by the sign of G). And where a term torch
// forms in the dtype before its divisions reaches the dtype's range although the result is finite -- a product
// (1 - y) B or the element's y A + (1 - y) B (s_e ≥ max), the row's sum over C before / C (Σ_e s_e ≥ max), the sum
// over rows before / R -- that result is in the overflow regime: float32 x = 2.7e11, y = 1.24e27: (1 - y) B =
// 3.4e38 rounds to inf, torch's output -inf where the exact value is -1.4e37; dl/dw forms y A + (1 - y) B first.
tolerance multilabel_soft_margin_loss_tolerance(const loss_case& c, const multilabel_soft_margin_loss_problem& p) {
  const vec x = broadcast_values(p.input, p.shape, 0);
  const vec y = broadcast_values(p.target, p.shape, 0);
  const vec w = broadcast_values(p.weight, p.shape, 1);
  const auto n = x.size();
  const auto rows = static_cast<std::size_t>(checked_numel(p.none_shape));
  std::int64_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(p.class_dim) + 1; d < p.shape.size(); ++d) inner *= p.shape[d];
  const std::int64_t k = p.shape[static_cast<std::size_t>(p.class_dim)];
  const double classes = static_cast<double>(p.classes);
  const bool reduced = p.red != reduction::none;
  const double div = p.red == reduction::mean ? static_cast<double>(rows) : 1.0;
  const vec g = grad_output_abs(c, rows, reduced);
  auto softplus = [](double v) { return std::max(v, 0.0) + std::log1p(std::exp(-std::fabs(v))); };
  auto sigmoid = [](double v) { return v >= 0 ? 1 / (1 + std::exp(-v)) : std::exp(v) / (1 + std::exp(v)); };

  // nonfinite: the element has an infinite or NaN operand (its scale must not saturate: matched exactly)
  vec row_scale(rows, 0.0), row_nonfinite(rows, 0.0), row_overflow(rows, 0.0), sx(n), sy(n), sw(n), nonfinite(n, 0.0),
      underflow_x(n, 0.0);
  const double big = max_finite(c.type);
  // e^-|x| rounds to 0 beyond -ln(σ / 2) = ln 2 - ln σ (σ / 2 itself is 0 in double)
  const double vanishing = std::log(2.0) - std::log(dtype_traits(c.type).min_subnormal);
  for (std::size_t e = 0; e < n; ++e) {
    const auto i = static_cast<std::int64_t>(e);
    const auto r = static_cast<std::size_t>((i / (inner * k)) * inner + i % inner);
    const bool finite = std::isfinite(x[e]) && std::isfinite(y[e]) && std::isfinite(w[e]);
    if (!finite) nonfinite[e] = row_nonfinite[r] = 1;
    if (std::isinf(y[e]) && std::isfinite(x[e]) && std::fabs(x[e]) > vanishing) underflow_x[e] = 1;
    const double a = softplus(-x[e]), b = softplus(x[e]);
    const double aw = std::fabs(w[e]), ay = std::fabs(y[e]), a1y = std::fabs(1 - y[e]);
    const double unweighted = ay * (a + 1) + a1y * (b + 1);
    const double se = aw * unweighted;
    row_scale[r] += finite ? saturate(se) : se;
    const bool term_overflows = finite && (unweighted >= big || se >= big);
    if (term_overflows) row_overflow[r] = 1;
    const double ge = classes > 0 ? g[r] / classes / div : 0.0;
    const auto scaled = [&](double s) { return finite ? saturate(s * ge) : s * ge; };
    sx[e] = scaled(aw * (ay * sigmoid(-x[e]) + a1y * sigmoid(x[e])));
    sy[e] = scaled(aw * (a + b + 2));
    sw[e] = term_overflows && unweighted >= big ? saturated : scaled(unweighted);
  }
  const double kk = static_cast<double>(k);
  tolerance t;
  for (std::size_t r = 0; r < rows; ++r) {
    const double v = classes > 0 ? row_scale[r] / classes : 0.0;
    const bool overflows = row_nonfinite[r] == 0 && (row_overflow[r] > 0 || row_scale[r] >= big);  // before / C
    row_scale[r] = overflows ? saturated : row_nonfinite[r] > 0 ? finite_or_zero(v) : saturate(v);
  }
  const double k_row = 7 + kk + 1;
  if (!reduced) {
    t.output = {row_scale, k_row, {}};
  } else {
    double total = sum(row_scale);
    if (std::any_of(row_nonfinite.begin(), row_nonfinite.end(), [](double v) { return v > 0; })) total = finite_or_zero(total);
    t.output = {{rows > 0 ? (total >= big ? saturated : finite_or_zero(total / div)) : 0.0},
                k_row + static_cast<double>(rows) + (p.red == reduction::mean ? 1 : 0), {}};
  }
  const double k_mean = p.red == reduction::mean ? 1 : 0;
  const auto grad = [&](const tensor* input, const vec& s, double k_grad, const vec* overflow = nullptr) {
    vec out, mask, regime;
    const auto fan_in = reduce_to(input->shape, p.shape, s, out);
    reduce_to(input->shape, p.shape, nonfinite, mask);
    if (overflow) reduce_to(input->shape, p.shape, *overflow, regime);
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = !regime.empty() && regime[i] > 0 ? saturated : mask[i] > 0 ? finite_or_zero(out[i]) : saturate(out[i]);
    return tensor_tolerance{out, k_grad + 2 + k_mean + static_cast<double>(fan_in - 1), {}};
  };
  t.grads["input"] = grad(p.input, sx, 10, &underflow_x);
  t.grads["target"] = grad(p.target, sy, 8);
  if (p.weight) t.grads["weight"] = grad(p.weight, sw, 8);
  return t;
}

}  // namespace losscheck::check::detail
