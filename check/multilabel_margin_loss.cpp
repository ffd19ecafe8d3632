// multilabel_margin_loss's tolerance: the scales and rounding counts of docs/tolerances.md "multilabel_margin_loss".

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "losscheck/dtype_traits.h"
#include "losscheck/error.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// Per row n with the listed targets t (before the first -1) and the non-targets i, each pair's term scale is
// s = 1 + |x[t]| + |x[i]| (z = 1 - x[t] + x[i] is formed with 2 roundings: |error| <= ε s). With P the number of
// pairs that may be active in the row (z > -h, h = 2 (ε s + λ)):
//   l_n = Σ_pairs z / C            scale Σ s / C over those pairs                 k = P + 4
//     (z: 2, P - 1 additions, / C: 1, the final rounding: 1)
//   dl/dx[i] = ĝ a_i / C           scale ĝ (pairs touching i that may be active) / C     k = P + 4
//     (torch adds ±1/(N C), rounded once, for every active pair, then multiplies by grad_output)
// Within |z| <= h a correct float implementation may take either side of the kink: each such pair adds ĝ / C of slack
// at x[i] and at x[t]. torch forms z and the row's sum in the dtype (float32: the sum in double) before dividing by C:
// where they exceed the range while the value is finite, the row's scales saturate (the overflow regime).
// Reductions: sum +N, mean +N + 1 on the output; the mean's 1/N is in the gradients' 1/(N C).
tolerance multilabel_margin_loss_tolerance(const loss_case& c, const multilabel_margin_loss_problem& p) {
  for (const auto t : p.target->ints)
    if (t < -1 || t >= p.classes)
      throw loss_error(fmt::format(
          "multilabel_margin_loss: target {} is out of range for {} classes (class indices, and -1 ending a row's list)",
          t, p.classes));
  const double eps = dtype_traits(c.type).epsilon, lambda = dtype_traits(c.type).min_normal;
  const double big = max_finite(c.type);
  const auto N = static_cast<std::size_t>(p.rows), C = static_cast<std::size_t>(p.classes);
  const double Cd = static_cast<double>(p.classes);
  const bool reduced = p.red != reduction::none;
  const vec g = grad_output_abs(c, N, reduced);
  const double div = p.red == reduction::mean && N > 0 ? static_cast<double>(N) : 1.0;
  const auto& x = p.input->values;
  vec out(N, 0.0), gs(x.size(), 0.0), slack(x.size(), 0.0);
  bool any_tie = false;
  double pairs_max = 0;
  for (std::size_t n = 0; n < N; ++n) {
    const auto row = n * C;
    std::vector<std::size_t> listed;
    std::vector<bool> is_target(C, false);
    for (std::size_t k = 0; k < C && p.target->ints[row + k] >= 0; ++k) {
      listed.push_back(static_cast<std::size_t>(p.target->ints[row + k]));
      is_target[listed.back()] = true;
    }
    const double gn = g[n] / div;
    double terms = 0, pairs = 0, overflow = 0;
    for (const auto t : listed)
      for (std::size_t i = 0; i < C; ++i) {
        if (is_target[i]) continue;
        const double s = 1 + std::fabs(x[row + t]) + std::fabs(x[row + i]);
        const double z = 1 - x[row + t] + x[row + i];
        const double h = 2 * (eps * s + lambda);
        if (!(z > -h)) continue;
        pairs += 1;
        terms += s;
        if (saturate(s) >= big) overflow = std::max(overflow, saturate(s));
        gs[row + i] += gn / Cd;
        gs[row + t] += gn / Cd;
        if (std::fabs(z) <= h) {
          any_tie = true;
          slack[row + i] += gn / Cd;
          slack[row + t] += gn / Cd;
        }
      }
    if (saturate(terms) >= big) overflow = std::max(overflow, saturate(terms));
    pairs_max = std::max(pairs_max, pairs);
    out[n] = std::max(finite_or_zero(terms / Cd), overflow);
    if (overflow > 0)
      for (std::size_t i = 0; i < C; ++i) gs[row + i] = std::max(gs[row + i], overflow);
  }
  for (auto& v : gs) v = finite_or_zero(v);
  for (auto& v : slack) v = finite_or_zero(v);
  const double k = pairs_max + 4;
  const double nd = static_cast<double>(N);
  tolerance t;
  if (!reduced) t.output = {out, k, {}};
  else if (p.red == reduction::sum) t.output = {{N > 0 ? finite_or_zero(sum(out)) : 0.0}, k + nd, {}};
  else t.output = {{N > 0 ? finite_or_zero(sum(out) / nd) : 0.0}, k + nd + 1, {}};
  t.grads["input"] = {gs, k, any_tie ? slack : vec{}};
  return t;
}

}  // namespace losscheck::check::detail
