// What cross_entropy and nll_loss share: the tolerance of class-index targets (docs/tolerances.md "cross_entropy
// and nll_loss (class-index targets)").

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "class_index.h"
#include "losscheck/error.h"

namespace losscheck::check::detail {

// Per row i (a position (n, d1..dk)) with logits x_c, R_i = 2 max_c |x_c| (finite x_c only: a −inf logit's own
// log_softmax is −inf and its probability exactly 0, a +inf or NaN makes the row NaN; those elements are non-finite
// and matched exactly) + log C + 1 bounds |log_softmax| and the
// magnitude of the terms it is made of (x_c - max, the log of a sum of C exps in [1, C]).
// cross_entropy, ε = label_smoothing > 0 (else 0), W_i = |w[y_i]| + ε max|w|:
//   l_i                              scale W_i R_i                   k = C + 5 (+ C + 3 with ε > 0)
//     (x - max, C exps, C - 1 additions, log, subtraction, × w; smoothing: C more terms, × ε/C, × (1-ε), sum)
//   dl_i/dx_c                        scale (W_i (p_c R_i + [c = y_i]) + ε max|w| / C) |g_i|   k = C + 6 (+3)
//     (p_c = exp(log_softmax) carries lsm's absolute error as a relative one; - 1, × w, × g; smoothing terms)
// nll_loss: l_i = -w[y_i] x_{i,y_i}: scale |w[y_i] x_{i,y_i}|, k = 1; dl/dx_{i,y_i} = -w[y_i] g_i: scale |w g|, k = 1.
// Ignored rows have scale 0 (exactly 0 expected). mean = Σ l / D, D = Σ w[y_i] over non-ignored rows: the scale is
// (Σ s_i / |D|)(1 + Σ|w[y_i]| / |D|) (the error of D is n·u·Σ|w[y_i]|) and k gains n + 1; a gradient under mean
// gains the same factor and n + 1. D = 0 gives NaN (matched exactly).
tolerance class_index_tolerance(const loss_case& c, const class_layout& l, const tensor* input, const tensor* target,
                                const tensor* weight, std::int64_t ignore_index, reduction red, double eps,
                                bool nll) {
  const auto C = l.classes, inner = l.inner, rows = l.batch * l.inner;
  const auto& x = input->values;
  auto w_of = [&](std::int64_t cls) { return weight ? weight->values[static_cast<std::size_t>(cls)] : 1.0; };
  double wmax = 0;
  for (std::int64_t k = 0; k < C; ++k) wmax = std::max(wmax, std::fabs(w_of(k)));
  const auto none_n = static_cast<std::size_t>(rows);
  const bool reduced = red != reduction::none;
  const vec g = grad_output_abs(c, none_n, reduced);
  vec out(none_n, 0.0), grad(x.size(), 0.0), wy(none_n, 0.0);
  double d = 0, dabs = 0;
  for (std::int64_t n = 0; n < l.batch; ++n)
    for (std::int64_t k = 0; k < inner; ++k) {
      const auto row = static_cast<std::size_t>(n * inner + k);
      auto at = [&](std::int64_t cls) { return static_cast<std::size_t>((n * C + cls) * inner + k); };
      const std::int64_t y = target->ints[row];
      if (y == ignore_index) continue;
      // torch rejects such a case (and so do impl and the reference): there is no tolerance to give, and reading
      // w[y] or x[y] would be out of bounds
      if (y < 0 || y >= C)
        throw loss_error(fmt::format("{}: no tolerance for target {}, out of bounds for {} classes",
                                     nll ? "nll_loss" : "cross_entropy", y, C));
      const double w = w_of(y);
      wy[row] = std::fabs(w);
      d += w;
      dabs += std::fabs(w);
      if (nll) {
        out[row] = std::fabs(w * x[at(y)]);
        grad[at(y)] = std::fabs(w);
        continue;
      }
      double mx = -std::numeric_limits<double>::infinity(), amax = 0;
      for (std::int64_t cls = 0; cls < C; ++cls) {
        mx = std::max(mx, x[at(cls)]);
        if (std::isfinite(x[at(cls)])) amax = std::max(amax, std::fabs(x[at(cls)]));  // ±inf: exact NaN/±inf elements
      }
      double s = 0;
      for (std::int64_t cls = 0; cls < C; ++cls) s += std::exp(x[at(cls)] - mx);
      const double R = 2 * amax + std::log(static_cast<double>(C)) + 1;
      const double W = std::fabs(w) + eps * wmax;
      out[row] = W * R;
      for (std::int64_t cls = 0; cls < C; ++cls) {
        const double pc = std::exp(x[at(cls)] - mx) / s;
        grad[at(cls)] = W * (pc * R + (cls == y ? 1 : 0)) + eps * wmax / static_cast<double>(C);
      }
    }
  const double Cd = static_cast<double>(C);
  const double k_out = nll ? 1 : Cd + 5 + (eps > 0 ? Cd + 3 : 0);
  const double k_grad = nll ? 1 : Cd + 6 + (eps > 0 ? 3 : 0);
  tolerance t;
  const double nd = static_cast<double>(none_n);
  // per-element gradient scales times |g| of their row
  for (std::int64_t n = 0; n < l.batch; ++n)
    for (std::int64_t cls = 0; cls < C; ++cls)
      for (std::int64_t k = 0; k < inner; ++k) grad[static_cast<std::size_t>((n * C + cls) * inner + k)] *= g[static_cast<std::size_t>(n * inner + k)];
  if (red == reduction::none) {
    t.output = {out, k_out, {}};
    t.grads["input"] = {grad, k_grad, {}};
  } else if (red == reduction::sum) {
    t.output = {{sum(out)}, k_out + nd, {}};
    t.grads["input"] = {grad, k_grad, {}};
  } else {
    const double ad = std::fabs(d);
    const double factor = ad > 0 ? (1 + dabs / ad) / ad : 0.0;
    t.output = {{finite_or_zero(sum(out) * factor)}, k_out + nd + 1, {}};
    for (auto& v : grad) v = finite_or_zero(v * factor);
    t.grads["input"] = {grad, k_grad + nd + 1, {}};
  }
  return t;
}

}  // namespace losscheck::check::detail
