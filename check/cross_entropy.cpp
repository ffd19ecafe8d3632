// cross_entropy's tolerance: class-index targets as nll_loss (check/class_index.cpp), probability targets here
// (docs/tolerances.md "cross_entropy (probability targets)").

#include <algorithm>
#include <cmath>

#include "class_index.h"

namespace losscheck::check::detail {
namespace {

// t'_c = t_c (1-ε) + ε/C; l_i = -Σ_c w_c t'_c lsm_c.
//   l_i                              scale 2 R_i Σ_c |w_c t'_c|                        k = 2C + 6
//     (log_softmax: C + 3; t' (2 roundings), two products, the C-term sum)
//   dl_i/dx_c = g (p_c Σ w t' - w_c t'_c)   scale (|w_c t'_c| + p_c Σ|w t'| (R_i + 1)) |g_i|   k = C + 6
//   dl_i/dt_c = -g w_c (1-ε) lsm_c   scale 2 R_i |w_c g_i|                             k = 5
//   dl/dw_c = -Σ_i g_i t'_ic lsm_ic  scale Σ_i 2 R_i |t'_ic g_i|                       k = 5 + rows
// sum and mean add everything at once (torch sums the N·C·d products): + N·C·d roundings; mean divides by the
// number of rows (+1).
tolerance class_probability_tolerance(const loss_case& c, const cross_entropy_problem& p) {
  const auto& l = p.layout;
  const auto C = l.classes, inner = l.inner, rows = l.batch * l.inner;
  const double eps = p.label_smoothing > 0 ? p.label_smoothing : 0.0;
  const auto& x = p.input->values;
  const auto& t = p.target->values;
  auto w_of = [&](std::int64_t cls) { return p.weight ? p.weight->values[static_cast<std::size_t>(cls)] : 1.0; };
  const bool reduced = p.red != reduction::none;
  const vec g = grad_output_abs(c, static_cast<std::size_t>(rows), reduced);
  vec out(static_cast<std::size_t>(rows), 0.0), gx(x.size(), 0.0), gt(x.size(), 0.0), gw(static_cast<std::size_t>(C), 0.0);
  const double Cd = static_cast<double>(C);
  for (std::int64_t n = 0; n < l.batch; ++n)
    for (std::int64_t k = 0; k < inner; ++k) {
      const auto row = static_cast<std::size_t>(n * inner + k);
      auto at = [&](std::int64_t cls) { return static_cast<std::size_t>((n * C + cls) * inner + k); };
      double mx = -std::numeric_limits<double>::infinity(), amax = 0;
      for (std::int64_t cls = 0; cls < C; ++cls) {
        mx = std::max(mx, x[at(cls)]);
        if (std::isfinite(x[at(cls)])) amax = std::max(amax, std::fabs(x[at(cls)]));  // ±inf: exact NaN/±inf elements
      }
      double s = 0;
      for (std::int64_t cls = 0; cls < C; ++cls) s += std::exp(x[at(cls)] - mx);
      const double R = 2 * amax + std::log(Cd) + 1;
      double swt = 0;
      for (std::int64_t cls = 0; cls < C; ++cls) swt += std::fabs(w_of(cls) * (t[at(cls)] * (1 - eps) + eps / Cd));
      out[row] = 2 * R * swt;
      // torch multiplies log_softmax by the target before the weight: a product t'_c lsm_c beyond the dtype's range
      // overflows even where w_c = 0 makes the value 0 (float32 t' = 1.4e26, lsm = -1.5e26: 0 · -inf = NaN): the
      // overflow regime for the row's loss and the weights' gradients (which sum those products)
      bool beyond = false;
      for (std::int64_t cls = 0; cls < C; ++cls) {
        const double tp = std::fabs(t[at(cls)] * (1 - eps) + eps / Cd);
        const double lsm = std::fabs(x[at(cls)] - mx) + std::log(s);
        if (std::isfinite(tp) && std::isfinite(x[at(cls)]) && saturate(tp * lsm) >= max_finite(c.type)) beyond = true;
      }
      if (beyond) out[row] = saturated;
      for (std::int64_t cls = 0; cls < C; ++cls) {
        const double tp = std::fabs(t[at(cls)] * (1 - eps) + eps / Cd);
        const double pc = std::exp(x[at(cls)] - mx) / s;
        gx[at(cls)] = (std::fabs(w_of(cls)) * tp + pc * swt * (R + 1)) * g[row];
        gt[at(cls)] = 2 * R * std::fabs(w_of(cls)) * g[row];
        gw[static_cast<std::size_t>(cls)] += 2 * R * tp * g[row];
        if (beyond) gw[static_cast<std::size_t>(cls)] = saturated;
      }
    }
  const double nterms = static_cast<double>(x.size());
  const double rd = static_cast<double>(rows);
  tolerance tol;
  double div = 1, k_red = 0, k_red_grad = 0;
  if (p.red == reduction::sum) k_red = nterms;
  if (p.red == reduction::mean) {
    div = rd;
    k_red = nterms + 1;
    k_red_grad = 1;
  }
  if (p.red == reduction::none) tol.output = {out, 2 * Cd + 6, {}};
  else {
    const double total = sum(out);  // saturated: stays in the overflow regime
    tol.output = {{rows > 0 ? (total == saturated ? total : total / div) : 0.0}, 2 * Cd + 6 + k_red, {}};
  }
  auto scaled = [&](vec v) {
    for (auto& e : v) e = e == saturated ? e : finite_or_zero(rows > 0 ? e / div : 0.0);
    return v;
  };
  tol.grads["input"] = {scaled(gx), Cd + 6 + k_red_grad, {}};
  tol.grads["target"] = {scaled(gt), 5 + k_red_grad, {}};
  if (p.weight) tol.grads["weight"] = {scaled(gw), 5 + rd + k_red_grad, {}};
  return tol;
}

}  // namespace

// Class-index targets: check/class_index.cpp.
tolerance cross_entropy_tolerance(const loss_case& c, const cross_entropy_problem& p) {
  if (p.probability_target) return class_probability_tolerance(c, p);
  return class_index_tolerance(c, p.layout, p.input, p.target, p.weight, p.ignore_index, p.red,
                               p.label_smoothing > 0 ? p.label_smoothing : 0.0, false);
}

}  // namespace losscheck::check::detail
