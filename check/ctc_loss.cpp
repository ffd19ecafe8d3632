// ctc_loss's tolerance: an error analysis of the log-space forward-backward recursion (docs/tolerances.md
// "ctc_loss"). Not a bound found by trial.

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// u = the unit roundoff of the dtype (2^-24, 2^-53). Sequence b reads log_probs u[t][k] for t < T_b (its input
// length), has L_b labels, and gets the incoming gradient ĝ_b (g_b, g, or g / N / max(L_b, 1) for mean). Let
//   m_t = max_k |u[t][k]| over the finite entries (a -inf entry makes its alphas exactly -inf, a NaN one its results
//         NaN: neither is rounded), and W_b = Σ_{t < T_b} m_t + T_b ln 3 + 1.
// Every log alpha_t(s) and log beta_t(s) is, in magnitude, at most W_b (a log-add of at most three terms exceeds their
// largest by at most ln 3), every alpha + beta at most 2 W_b, the loss at most W_b.
// One step of the recursion, a(t, s) = log(e^{a1 - m} + e^{a2 - m} + e^{a3 - m}) + m + u[t][l'_s], rounds
//   the differences a_i - m (|·| <= 2 W_b: u 2 W_b), the three exps and the two sums (relative u each: absolute u
//   each in the log, 3 u), the log (|·| <= ln 3 < 2: u), + m and + u[t][l'_s] (u W_b each): u (4 W_b + 4) <= 8 u W_b
//   (W_b >= 1),
// and the log-add is 1-Lipschitz in its arguments (its weights sum to 1), so the errors of earlier steps pass through
// undiminished but not amplified: after T_b steps and the final log-add of the last two alphas,
//   loss_b                       scale (T_b + 1) W_b                        k = 8
// The gradient (e^{u} - e^{E}) ĝ_b with E = log Σ_{s: l'_s = k} e^{alpha_t(s) + beta_t(s)} + loss_b - u[t][k]:
//   alpha_t and beta_t (<= 8 u T_b W_b each), their sum (u 2 W_b), the accumulation over the <= L_b + 1 states of the
//   label (one two-term log-add each: the difference u 4 W_b, two exps, the sum and the log 4 u, + m u 2 W_b:
//   <= 10 u W_b), loss_b (8 u (T_b + 1) W_b), the two sums of E (|·| <= 3 W_b, 4 W_b: 7 u W_b):
//   δ = |error of E| <= u K_b, K_b = W_b (24 T_b + 10 L_b + 27).
//   Then e^{E} (relative u) has the error γ (e^{u (K_b + 1)} - 1) <= e^{u (K_b + 1)} - 1, since the occupancy γ of
//   a label is at most 1 (a probability of the alignments through it, for any log_probs). e^{u} (relative u), the
//   difference, the product with ĝ_b and ĝ_b's own roundings (mean: two divisions) add 5 u (e^{u} + 1) |ĝ_b|:
//   grad[t][b][k]                 scale |ĝ_b| (e^{u} + 1 + (e^{u (K_b + 4)} - 1) / (5 u))   k = 5    (t < T_b)
//   grad[t][b][k], t >= T_b, and every gradient of a sequence zero_infinity zeroes: exactly 0 (scale 0).
// Reductions: sum of the N losses: + N - 1 roundings of Σ|loss_b| <= Σ scales (k = N + 7); mean: each loss divided by
// max(L_b, 1) (+1), summed (+ N - 1), divided by N (+1): k = N + 9 on the scale Σ_b scale_b / max(L_b, 1) / N.
// Non-finite exact values (an impossible alignment's inf, NaN from NaN or -inf log_probs) must match exactly.
tolerance ctc_loss_tolerance(const loss_case& c, const ctc_loss_problem& p) {
  const auto& traits = dtype_traits(c.type);
  const double u = traits.epsilon / 2;
  const std::int64_t N = p.N, C = p.C;
  const bool reduced = p.red != reduction::none;
  const vec g = grad_output_abs(c, static_cast<std::size_t>(N), reduced);
  vec seq_scale(static_cast<std::size_t>(N));
  vec grad_scale(p.log_probs->values.size(), 0.0);
  for (std::int64_t b = 0; b < N; ++b) {
    const auto i = static_cast<std::size_t>(b);
    // lengths outside their ranges are rejected by the implementations; clamped here so that the scale exists
    const std::int64_t Tb = std::clamp<std::int64_t>(p.input_lengths->ints[i], 1, p.T);
    const std::int64_t Lb = std::max<std::int64_t>(p.target_lengths->ints[i], 0);
    double W = static_cast<double>(Tb) * std::log(3.0) + 1;
    for (std::int64_t t = 0; t < Tb; ++t) {
      double m = 0;
      for (std::int64_t k = 0; k < C; ++k) {
        const double v = p.log_probs->values[static_cast<std::size_t>((t * N + b) * C + k)];
        if (std::isfinite(v)) m = std::max(m, std::fabs(v));
      }
      W += m;
    }
    seq_scale[i] = saturate(static_cast<double>(Tb + 1) * W);
    const double K = W * static_cast<double>(24 * Tb + 10 * Lb + 27);
    const double exp_part = saturate(std::expm1(u * (K + 4)) / (5 * u));
    double gb = g[i];
    if (p.red == reduction::mean)
      gb = gb / static_cast<double>(N) / static_cast<double>(std::max<std::int64_t>(Lb, 1));
    for (std::int64_t t = 0; t < Tb; ++t)
      for (std::int64_t k = 0; k < C; ++k) {
        const auto j = static_cast<std::size_t>((t * N + b) * C + k);
        const double v = p.log_probs->values[j];
        grad_scale[j] = finite_or_zero(saturate(gb * (std::exp(std::isfinite(v) ? v : 0.0) + 1 + exp_part)));
      }
  }
  tolerance tol;
  if (!reduced) {
    tol.output.scale = seq_scale;
    tol.output.bound_ulps = 8;
  } else {
    double s = 0;
    for (std::int64_t b = 0; b < N; ++b) {
      const auto i = static_cast<std::size_t>(b);
      s += p.red == reduction::mean
               ? seq_scale[i] / static_cast<double>(std::max<std::int64_t>(p.target_lengths->ints[i], 1))
               : seq_scale[i];
    }
    if (p.red == reduction::mean && N > 0) s /= static_cast<double>(N);
    tol.output.scale = {saturate(s)};
    tol.output.bound_ulps = static_cast<double>(N) + (p.red == reduction::mean ? 9 : 7);
  }
  tol.grads["log_probs"] = {std::move(grad_scale), 5, {}};
  return tol;
}

}  // namespace losscheck::check::detail
