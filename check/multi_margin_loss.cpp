// multi_margin_loss's tolerance: the scales and rounding counts of docs/tolerances.md "multi_margin_loss".

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "losscheck/error.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// Per row n with target y, w = |w[y]|, m the margin in the dtype, and per class j != y the term scale
// s_j = |m| + |x[y]| + |x[j]| (z_j = m - x[y] + x[j] is formed with 2 roundings: |error| <= ε s_j):
//   l_n = Σ w z_j^p / C            scale w Σ s_j^p / C over the terms that may be active   k = C + 5
//     (z: 2, z^2: 1, · w: 1, C - 2 additions, / C: 1, the final rounding: 1; torch's order, the longest)
//   dl/dx[j] = ĝ w (p = 1 ? 1 : 2 z_j) / C    scale ĝ w (p = 1 ? 1 : 2 s_j) / C        k = C + 5
//   dl/dx[y] = -Σ_j dl/dx[j]                  scale Σ_j of those                          (1/(N C), · z, · w,
//     · grad_output, the final rounding, and C - 2 additions for x[y])
// A term "may be active" when z_j > -h_j with h_j = 2 (ε s_j + λ), the hull of z's rounding: within |z_j| <= h_j a
// correct float implementation may take either side of the kink (torch's float32 z of an exact 2^-30 can be 0), so
// the gradients get that term's on-side value, ĝ w (p = 1 ? 1 : 2 h_j) / C, as slack (at x[j] and at x[y]).
// Overflow: torch forms z, z^2 and the row's Σ w z^p in the dtype before dividing by C; where one of them exceeds the
// dtype's range (a finite exact value) the row's scales saturate: the overflow regime of compare_tensor.
// Reductions: sum +N, mean +N + 1 on the output; a mean's 1/N is in the gradients' 1/(N C) rounding above.
tolerance multi_margin_loss_tolerance(const loss_case& c, const multi_margin_loss_problem& p) {
  for (const auto y : p.target->ints)
    if (y < 0 || y >= p.classes)
      throw loss_error(fmt::format("multi_margin_loss: target {} is out of range for {} classes", y, p.classes));
  const double eps = dtype_traits(c.type).epsilon, lambda = dtype_traits(c.type).min_normal;
  const double big = max_finite(c.type);
  const double m = c.type == dtype::float32 ? static_cast<double>(static_cast<float>(p.margin)) : p.margin;
  const auto N = static_cast<std::size_t>(p.rows), C = static_cast<std::size_t>(p.classes);
  const double Cd = static_cast<double>(p.classes);
  const bool reduced = p.red != reduction::none;
  const vec g = grad_output_abs(c, N, reduced);
  const double div = p.red == reduction::mean && N > 0 ? static_cast<double>(N) : 1.0;
  const auto& x = p.input->values;
  vec out(N, 0.0), gs(x.size(), 0.0), slack(x.size(), 0.0);
  bool any_tie = false;
  for (std::size_t n = 0; n < N; ++n) {
    const auto y = static_cast<std::size_t>(p.target->ints[n]);
    const double w = p.weight ? std::fabs(p.weight->values[y]) : 1.0;
    const double xy = x[n * C + y];
    const double gn = g[n] / div;
    double terms = 0, overflow = 0, target_scale = 0, target_slack = 0;
    for (std::size_t j = 0; j < C; ++j) {
      if (j == y) continue;
      const double xj = x[n * C + j];
      const double s = std::fabs(m) + std::fabs(xy) + std::fabs(xj);
      const double z = m - xy + xj;
      const double h = 2 * (eps * s + lambda);
      if (!(z > -h)) continue;  // inactive on every implementation's side (or NaN: no term, exact)
      const double power = p.p == 1 ? s : s * s;
      terms += w * power;
      if (saturate(power) >= big || saturate(w * power) >= big) overflow = std::max(overflow, saturate(std::max(power, w * power)));
      const double gj = gn * w * (p.p == 1 ? 1.0 : 2 * s) / Cd;
      gs[n * C + j] = gj;
      target_scale += gj;
      if (std::fabs(z) <= h) {
        any_tie = true;
        const double tie = gn * w * (p.p == 1 ? 1.0 : 2 * h) / Cd;
        slack[n * C + j] = finite_or_zero(tie);
        target_slack += tie;
      }
    }
    if (saturate(terms) >= big) overflow = std::max(overflow, saturate(terms));
    out[n] = std::max(finite_or_zero(terms / Cd), overflow);
    gs[n * C + y] = target_scale;
    slack[n * C + y] = finite_or_zero(target_slack);
    if (overflow > 0)
      for (std::size_t j = 0; j < C; ++j) gs[n * C + j] = std::max(finite_or_zero(gs[n * C + j]), overflow);
  }
  for (auto& v : gs) v = finite_or_zero(v);
  const double k = Cd + 5;
  const double nd = static_cast<double>(N);
  tolerance t;
  if (!reduced) t.output = {out, k, {}};
  else if (p.red == reduction::sum) t.output = {{N > 0 ? finite_or_zero(sum(out)) : 0.0}, k + nd, {}};
  else t.output = {{N > 0 ? finite_or_zero(sum(out) / nd) : 0.0}, k + nd + 1, {}};
  t.grads["input"] = {gs, k, any_tie ? slack : vec{}};
  return t;
}

}  // namespace losscheck::check::detail
