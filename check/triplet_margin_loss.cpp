// triplet_margin_loss's tolerance: the scales and rounding counts of docs/tolerances.md "triplet_margin_loss".

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "losscheck/dtype_traits.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// Per row of length D, for each distance d = ‖z‖_p with z_k = x_k - y_k + eps (eps in the dtype):
//   m_k = |x_k - y_k| + |eps| bounds z_k and its two roundings; M = ‖m‖_p the scale of d.
//   d: 2 roundings of each z_k (relative to m_k, so p·2 of |z_k|^p), |z_k|^p (≤ 2), D - 1 additions of positive
//      terms, the root (1/p of the sum's relative error, + 1):  k_d = (D + 4) max(1, 1/p) + 4
//   output h = (margin + d_ap) - d_n: scale |margin| + M_ap + M_an (+ M_pn with swap), k = k_d + 2
//     (the clamp at 0 adds nothing: it is 1-Lipschitz)
//   gradient, one term per distance the element is in, c = |g| (the incoming gradient), q = p - 1:
//     ∂_k = sgn(z_k) |z_k|^q / d^q: relative error |q| k_d from d, |q| 2 m_k / |z_k| from z_k's roundings, 4 more
//     (pow, pow, division, product): scale c (|z_k|^q / d^q (|q| + 1) + |q| |z_k|^(q-1) m_k / d^q),
//     k = k_d + 6, + 1 for the sum of the terms, + the fan-in of a broadcast input, + 1 for a mean.
//     For 0 < q < 1 the second term is capped by Hölder: |z|^q moves by at most (4 ε m_k)^q. p = 1: sgn(z_k) is
//     exact unless |z_k| ≤ 4 ε m_k, where it may be ±1 or 0 (slack 2c).
// Regimes outside the rounding model:
//   - overflow: Σ m_k^p, M^q or m_k^q at or above the dtype's largest value (torch sums |z_k|^p in the dtype:
//     float32 |x| ≳ 1.8e19 at p = 2 gives d = inf): the row's output and gradients take the saturated scale.
//   - underflow: |z_k|^p below the normal range is rounded absolutely (up to half the smallest subnormal, or
//     flushed), so d may be off by (D σ)^(1/p) (σ = the smallest subnormal): slack on the output; where that is
//     more than 2^-20 of M the row's d is unreliable in its leading digits and its gradients get the slack of their
//     whole value c (|∂| ≤ 1 for p ≥ 1). A gradient factor c / d^q below the normal range loses its digits
//     absolutely: λ m_k^q joins the scale.
//   - kinks: where |h| is within the output's bound, a correct implementation may pass the clamp's gradient or not
//     (slack: the on-branch gradient); with swap, where d_an and d_pn are within their bounds, minimum may route
//     the gradient to either (slack: both terms).
tolerance triplet_margin_loss_tolerance(const loss_case& c, const triplet_margin_loss_problem& p) {
  const auto traits = dtype_traits(c.type);
  const double unit = traits.epsilon, lambda = traits.min_normal, sigma = traits.min_subnormal;
  const double top = max_finite(c.type);
  const double eps = std::fabs(c.type == dtype::float32 ? static_cast<double>(static_cast<float>(p.eps)) : p.eps);
  const double margin_t = c.type == dtype::float32 ? static_cast<double>(static_cast<float>(p.margin)) : p.margin;
  const double margin = std::fabs(margin_t);
  const double order = p.p, q = order - 1;
  const vec a = broadcast_values(p.anchor, p.pair_shape, 0), pos = broadcast_values(p.positive, p.pair_shape, 0),
            neg = broadcast_values(p.negative, p.pair_shape, 0);
  const std::int64_t D = p.pair_shape.empty() ? 1 : p.pair_shape.back();
  const auto R = static_cast<std::size_t>(checked_numel(p.none_shape));
  const auto Dz = static_cast<std::size_t>(D);
  const double Dd = static_cast<double>(D);
  // pow(S, 1 / p) takes 1 / p rounded (relative u) for p other than 1 and 2 (torch's norm and impl alike): the result
  // moves by up to |ln S| u / p relative, S = Σ |z_k|^p of the row — counted in k_d as |ln S| / (2p) ULPs, the
  // largest over the rows (float64 p = 3, S = 8e205: 39 ULPs).
  double log_term = 0;
  if (order != 1 && order != 2) {
    const auto rows_n = static_cast<std::size_t>(checked_numel(p.none_shape));
    const auto cols_n = static_cast<std::size_t>(D);
    for (std::size_t r = 0; r < rows_n; ++r)
      for (const auto& [x, y, cols] : {std::tuple{&a, &pos, p.cols_ap}, std::tuple{&a, &neg, p.cols_an},
                                       std::tuple{&pos, &neg, p.cols_pn}}) {
        double s = 0;
        for (std::size_t k = 0; k < static_cast<std::size_t>(cols); ++k)
          s += std::pow(std::fabs((*x)[r * cols_n + k] - (*y)[r * cols_n + k]) + eps, order);
        if (s > 0 && std::isfinite(s)) log_term = std::max(log_term, std::fabs(std::log(s)) / (2 * order));
      }
  }
  const double k_d = (Dd + 4) * std::max(1.0, 1 / order) + 4 + log_term;
  const bool reduced = p.red != reduction::none;
  const vec g = grad_output_abs(c, R, reduced);
  const double nd = static_cast<double>(R);
  double div = 1, k_red = 0, k_red_grad = 0;
  if (p.red == reduction::sum) k_red = nd;
  if (p.red == reduction::mean) {
    div = nd;
    k_red = nd + 1;
    k_red_grad = 1;
  }

  struct distance {
    vec z, m;  // z_k (double), m_k
    std::size_t cols = 0;
    double d = 0, M = 0, slack = 0;
    bool overflow = false, underflow = false;
  };
  // A distance over a pair whose own last dimension is 1 has one element (column 0); the others get no term.
  auto measure = [&](const vec& x, const vec& y, std::size_t base, std::int64_t cols) {
    distance s;
    const auto n = static_cast<std::size_t>(cols);
    s.z.assign(Dz, 0.0);
    s.m.assign(Dz, 0.0);
    s.cols = n;
    double sz = 0, sm = 0;
    for (std::size_t k = 0; k < n; ++k) {
      s.z[k] = (x[base + k] - y[base + k]) + eps;
      s.m[k] = std::fabs(x[base + k] - y[base + k]) + eps;
      sz += std::pow(std::fabs(s.z[k]), order);
      sm += std::pow(s.m[k], order);
      if (q > 0 && std::pow(s.m[k], q) >= top) s.overflow = true;
    }
    s.d = std::pow(sz, 1 / order);
    s.M = std::pow(sm, 1 / order);
    s.slack = std::pow(static_cast<double>(n) * sigma, 1 / order);
    s.underflow = s.slack > 0x1p-20 * s.M;
    if (saturate(sm) >= top || (q > 0 && saturate(std::pow(s.M, q)) >= top)) s.overflow = true;
    return s;
  };

  vec out(R, 0.0), out_slack(R, 0.0);
  vec sa(a.size(), 0.0), sp(a.size(), 0.0), sn(a.size(), 0.0);
  vec la(a.size(), 0.0), lp(a.size(), 0.0), ln(a.size(), 0.0);
  const double k_out = k_d + 2, k_grad = k_d + 6;
  for (std::size_t r = 0; r < R; ++r) {
    const std::size_t base = r * Dz;
    const distance u = measure(a, pos, base, p.cols_ap), v = measure(a, neg, base, p.cols_an);
    const distance w = p.swap ? measure(pos, neg, base, p.cols_pn) : distance{};
    const bool overflow = u.overflow || v.overflow || (p.swap && w.overflow);
    out[r] = margin + u.M + v.M + (p.swap ? w.M : 0.0);
    out_slack[r] = u.slack + v.slack + (p.swap ? w.slack : 0.0);
    if (overflow) out[r] = saturated;
    const double gr = g[reduced ? 0 : r] / (R > 0 ? div : 1);
    const double dn = p.swap ? std::min(v.d, w.d) : v.d;
    const double h = margin_t + u.d - dn;
    const double h_bound = k_out * (unit * out[r] + lambda) + out_slack[r];
    const bool hinge_tie = std::fabs(h) <= h_bound;
    const bool passes = h >= -h_bound;
    const bool swap_tie =
        p.swap && std::fabs(v.d - w.d) <= k_d * (unit * (v.M + w.M) + lambda) + v.slack + w.slack;
    // |∂_k| (its value) and its error scale, per distance
    auto value = [&](const distance& s, std::size_t k) {
      if (k >= s.cols) return 0.0;
      if (order == 1) return 1.0;
      if (s.d == 0) return 0.0;
      const double az = std::fabs(s.z[k]);
      // (|z_k| / d)^q in logarithms: the quotient itself underflows for a subnormal z_k (float64 z_k = 4e-323,
      // d = 38: 0 in double), while its power for q < 0 is large and finite (p = 0.5: 9.8e161)
      // (the direct form where the quotient is a normal number: the kink's slack is this value, and exp/log would
      // lose ~1e-14 of it, tens of ULPs against a bound of the scale's)
      const double ratio = az / s.d;
      if (az == 0 || !std::isfinite(az) || !std::isfinite(s.d) || ratio >= std::numeric_limits<double>::min())
        return finite_or_zero(std::pow(ratio, q));
      return finite_or_zero(std::exp(q * (std::log(az) - std::log(s.d))));
    };
    auto scale = [&](const distance& s, std::size_t k, double cw) {
      if (k >= s.cols) return 0.0;
      if (s.overflow) return saturated;  // torch's inf · 0 is NaN even where the clamp passes no gradient
      if (cw == 0) return 0.0;
      if (order == 1) return cw;
      if (s.d == 0) return 0.0;
      const double az = std::fabs(s.z[k]);
      // |q| |z_k|^(q-1) m_k / d^q = |q| (|z_k| / d)^q m_k / |z_k| (the left form overflows for a subnormal z_k)
      double lin = az > 0 ? finite_or_zero(std::fabs(q) * value(s, k) * (s.m[k] / az))
                          : finite_or_zero(std::fabs(q) * std::pow(az, q - 1) * s.m[k] / std::pow(s.d, q));
      if (q > 0 && q < 1) lin = std::min(lin, std::pow(4 * unit * s.m[k], q) / std::pow(s.d, q) / (k_grad * unit));
      double under = 0;
      if (q > 0 && cw / std::pow(s.d, q) < lambda) under = lambda * std::pow(s.m[k], q);
      return finite_or_zero(cw * (value(s, k) * (std::fabs(q) + 1) + lin) + under);
    };
    auto slack_of = [&](const distance& s, std::size_t k, double cw) {
      double sl = 0;
      if (k >= s.cols) return sl;
      if (order == 1 && std::fabs(s.z[k]) <= 4 * unit * s.m[k]) sl += 2 * cw;
      if (s.underflow) sl += cw * std::max(1.0, value(s, k));
      return sl;
    };
    const double cg = passes ? gr : 0.0;  // the clamp passes (or may pass) the gradient
    for (std::size_t k = 0; k < Dz; ++k) {
      const std::size_t e = base + k;
      const double su = scale(u, k, cg), sv = scale(v, k, cg), sw = p.swap ? scale(w, k, cg) : 0.0;
      sa[e] = saturate(su + sv);  // saturated + saturated must stay saturated, not inf
      sp[e] = saturate(su + sw);
      sn[e] = saturate(sv + sw);
      const double lu = slack_of(u, k, cg), lv = slack_of(v, k, cg), lw = p.swap ? slack_of(w, k, cg) : 0.0;
      la[e] = lu + lv;
      lp[e] = lu + lw;
      ln[e] = lv + lw;
      if (hinge_tie) {
        const double bu = gr * value(u, k), bv = gr * value(v, k), bw = p.swap ? gr * value(w, k) : 0.0;
        la[e] += bu + bv + bw;
        lp[e] += bu + bw;
        ln[e] += bv + bw;
      }
      if (swap_tie) {
        const double bv = cg * value(v, k), bw = cg * value(w, k);
        la[e] += bv + bw;
        lp[e] += bw;
        ln[e] += bv + bw;
      }
    }
  }
  tolerance t;
  if (!reduced) {
    t.output = {out, k_out, out_slack};
  } else {
    double sl = 0;
    for (double s : out_slack) sl += s;
    t.output = {{R > 0 ? finite_or_zero(sum(out) / div) : 0.0}, k_out + k_red, {finite_or_zero(sl / div)}};
    if (R > 0 && sum(out) / div >= top) t.output.scale[0] = saturated;
  }
  auto grad_of = [&](const tensor* self, vec s, vec sl) {
    vec reduced_s, reduced_sl;
    for (auto& v : s) v = finite_or_zero(v);
    const auto fan_in = reduce_to(self->shape, p.pair_shape, s, reduced_s);
    reduce_to(self->shape, p.pair_shape, sl, reduced_sl);
    for (auto& v : reduced_s) v = finite_or_zero(v);
    for (auto& v : reduced_sl) v = finite_or_zero(v);
    return tensor_tolerance{reduced_s, k_grad + 1 + k_red_grad + static_cast<double>(fan_in - 1), reduced_sl};
  };
  t.grads["anchor"] = grad_of(p.anchor, sa, la);
  t.grads["positive"] = grad_of(p.positive, sp, lp);
  t.grads["negative"] = grad_of(p.negative, sn, ln);
  return t;
}

}  // namespace losscheck::check::detail
