// triplet_margin_with_distance_loss's tolerance: the scales and rounding counts of docs/tolerances.md
// "triplet_margin_with_distance_loss".

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// Per row, for each distance the row's element k is in (c = |g| reaching that distance):
// pairwise_distance (d = ‖z‖_2, z_k = x_k − y_k + 1e-6, m_k = |x_k − y_k| + 1e-6, M = ‖m‖_2):
//   d: 2 roundings of each z_k, D squares and D − 1 additions, the root:  k_d = D + 8
//   ∂_k = z_k / d: scale c (|z_k| / d · 2 + m_k / d)   (d's and z_k's roundings; z_k's relative to m_k)
// cosine (d = 1 − cos, N_x = max(‖x‖, 1e-8)): cos_s = Σ|x_k y_k| / (N_x N_y) + |cos| bounds cos's terms;
//   d: D products and D − 1 additions for each of Σx², Σy², Σxy, the roots, clamps, the division and 1 − cos:
//   k_d = D + 8, scale 1 + cos_s
//   ∂_k = y_k / (N_x N_y) − cos x_k / N_x²: scale c (|y_k| / (N_x N_y) + cos_s |x_k| / N_x²)
//   torch's backward reaches x_k's norm through Σx² (sqrt, then pow: 2 x_k · g_s with g_s = g_N / (2 N_x), one number
//   per row): g_s below the normal range rounds with absolute error up to σ / 2, so ∂_k gets slack σ |x_k| whenever
//   the gradient flows (a row of 1.76e13 and 0.0156 gives g_s ≈ 1.6e-41 in float32: 2.4e-5 relative on ∂_0)
//   torch also normalizes first: y_k / N_y below the normal range is rounded with absolute error up to σ / 2, and
//   ∂_k's direct term divides it by N_x: slack c σ / (2 N_x) (float32 anchor [33.87, 0, 2.2e-44], positive of norm
//   below 1e-8: x_2 / N_x = 6.5e-46 is 0 in float32, the exact ∂ = 2.6e-37)
// output h = (d_ap − d_n) + margin: scale |margin| + the distances' scales (swap: all three), k = k_d + 2
// gradients: k = k_d + 4, + 1 for the sum of the terms, + the fan-in of a broadcast input, + 1 for a mean.
// Regimes outside the model: Σ m_k² (pairwise) or Σ x² (cosine) at or above the dtype's largest value: the row's
// output and gradients take the saturated scale (torch sums the squares in the dtype); pairwise squares below the
// normal range: slack √(D σ) on d and the row's gradients may be anything of size c (σ = the smallest subnormal);
// the hinge within its bound passes the gradient or not, and swap within its bound routes it to either distance
// (slack: the gradients of both branches).
tolerance triplet_margin_with_distance_loss_tolerance(const loss_case& c,
                                                      const triplet_margin_with_distance_loss_problem& p) {
  const auto traits = dtype_traits(c.type);
  const double unit = traits.epsilon, lambda = traits.min_normal, sigma = traits.min_subnormal;
  const double top = max_finite(c.type);
  const auto in_type = [&](double v) { return c.type == dtype::float32 ? static_cast<double>(static_cast<float>(v)) : v; };
  const bool cosine = p.distance == triplet_distance::cosine;
  const double eps = in_type(cosine ? 1e-8 : 1e-6);
  const double margin_t = in_type(p.margin), margin = std::fabs(margin_t);
  const vec a = broadcast_values(p.anchor, p.pair_shape, 0), pos = broadcast_values(p.positive, p.pair_shape, 0),
            neg = broadcast_values(p.negative, p.pair_shape, 0);
  const std::int64_t D = p.pair_shape.empty() ? 1 : p.pair_shape.back();
  const auto R = static_cast<std::size_t>(checked_numel(p.none_shape));
  const auto Dz = static_cast<std::size_t>(D);
  const double k_d = static_cast<double>(D) + 8;
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
    std::size_t cols = 0;
    double d = 0, scale = 0, slack = 0;
    bool overflow = false, underflow = false;
    vec vx, vy;  // |∂d/∂x_k|, |∂d/∂y_k| (values)
    vec sx, sy;  // their error scales per unit incoming gradient
    vec ux, uy;  // cosine: slack of the squared norms' gradient below the normal range (σ |x_k|, σ |y_k|)
    double tx = 0, ty = 0;  // cosine: slack of the normalized other vector below the normal range, per unit gradient
  };
  auto measure = [&](const vec& x, const vec& y, std::size_t base, std::int64_t cols) {
    distance s;
    s.cols = static_cast<std::size_t>(cols);
    s.vx.assign(Dz, 0.0);
    s.vy.assign(Dz, 0.0);
    s.sx.assign(Dz, 0.0);
    s.sy.assign(Dz, 0.0);
    s.ux.assign(Dz, 0.0);
    s.uy.assign(Dz, 0.0);
    if (!cosine) {
      double sz = 0, sm = 0;
      vec z(s.cols), m(s.cols);
      for (std::size_t k = 0; k < s.cols; ++k) {
        z[k] = (x[base + k] - y[base + k]) + eps;
        m[k] = std::fabs(x[base + k] - y[base + k]) + eps;
        sz += z[k] * z[k];
        sm += m[k] * m[k];
      }
      s.d = std::sqrt(sz);
      s.scale = std::sqrt(sm);
      s.overflow = saturate(sm) >= top;
      s.slack = std::sqrt(static_cast<double>(s.cols) * sigma);
      s.underflow = s.slack > 0x1p-20 * s.scale;
      for (std::size_t k = 0; k < s.cols; ++k) {
        if (s.d == 0) continue;
        s.vx[k] = s.vy[k] = std::fabs(z[k]) / s.d;
        s.sx[k] = s.sy[k] = finite_or_zero(2 * std::fabs(z[k]) / s.d + m[k] / s.d);
      }
      return s;
    }
    double xx = 0, yy = 0, xy = 0, axy = 0;
    for (std::size_t k = 0; k < s.cols; ++k) {
      xx += x[base + k] * x[base + k];
      yy += y[base + k] * y[base + k];
      xy += x[base + k] * y[base + k];
      axy += std::fabs(x[base + k] * y[base + k]);
    }
    const double nx = std::max(std::sqrt(xx), eps), ny = std::max(std::sqrt(yy), eps);
    const double cos = xy / (nx * ny), cs = axy / (nx * ny) + std::fabs(cos) + static_cast<double>(s.cols) * lambda / (nx * ny);
    s.d = 1 - cos;
    s.scale = 1 + cs;
    s.tx = finite_or_zero(sigma / (2 * nx));
    s.ty = finite_or_zero(sigma / (2 * ny));
    s.overflow = saturate(xx) >= top || saturate(yy) >= top;
    for (std::size_t k = 0; k < s.cols; ++k) {
      const double xv = x[base + k], yv = y[base + k];
      s.vx[k] = std::fabs(yv / (nx * ny) - cos * xv / (nx * nx));
      s.vy[k] = std::fabs(xv / (nx * ny) - cos * yv / (ny * ny));
      s.sx[k] = finite_or_zero(std::fabs(yv) / (nx * ny) + cs * std::fabs(xv) / (nx * nx));
      s.sy[k] = finite_or_zero(std::fabs(xv) / (nx * ny) + cs * std::fabs(yv) / (ny * ny));
      s.ux[k] = sigma * std::fabs(xv);
      s.uy[k] = sigma * std::fabs(yv);
    }
    return s;
  };

  vec out(R, 0.0), out_slack(R, 0.0);
  vec sa(a.size(), 0.0), sp(a.size(), 0.0), sn(a.size(), 0.0);
  vec la(a.size(), 0.0), lp(a.size(), 0.0), ln(a.size(), 0.0);
  const double k_out = k_d + 2, k_grad = k_d + 4;
  for (std::size_t r = 0; r < R; ++r) {
    const std::size_t base = r * Dz;
    const distance u = measure(a, pos, base, p.cols_ap), v = measure(a, neg, base, p.cols_an);
    const distance w = p.swap ? measure(pos, neg, base, p.cols_pn) : distance{};
    const bool overflow = u.overflow || v.overflow || (p.swap && w.overflow);
    out[r] = overflow ? saturated : margin + u.scale + v.scale + (p.swap ? w.scale : 0.0);
    out_slack[r] = u.slack + v.slack + (p.swap ? w.slack : 0.0);
    const double gr = g[reduced ? 0 : r] / (R > 0 ? div : 1);
    const double dn = p.swap ? std::min(v.d, w.d) : v.d;
    const double h = (u.d - dn) + margin_t;
    const double h_bound = k_out * (unit * out[r] + lambda) + out_slack[r];
    const bool hinge_tie = std::fabs(h) <= h_bound;
    const double cg = h >= -h_bound ? gr : 0.0;
    const bool swap_tie = p.swap && std::fabs(v.d - w.d) <= k_d * (unit * (v.scale + w.scale) + lambda) + v.slack + w.slack;
    for (std::size_t k = 0; k < Dz; ++k) {
      const std::size_t e = base + k;
      const auto sc = [&](const distance& s, const vec& part) {
        return s.overflow ? saturated : cg * part[k];
      };
      const auto sl = [&](const distance& s) { return s.underflow && k < s.cols ? cg : 0.0; };
      sa[e] = saturate(sc(u, u.sx) + sc(v, v.sx));  // saturated + saturated stays saturated
      sp[e] = saturate(sc(u, u.sy) + (p.swap ? sc(w, w.sx) : 0.0));
      sn[e] = saturate(sc(v, v.sy) + (p.swap ? sc(w, w.sy) : 0.0));
      la[e] = sl(u) + sl(v);
      lp[e] = sl(u) + (p.swap ? sl(w) : 0.0);
      ln[e] = sl(v) + (p.swap ? sl(w) : 0.0);
      if (cg != 0) {  // no gradient flows through an inactive hinge: its zeros are exact
        const auto in = [&](const distance& s) { return k < s.cols ? 1.0 : 0.0; };
        la[e] += u.ux[k] + v.ux[k] + cg * (in(u) * u.tx + in(v) * v.tx);
        lp[e] += u.uy[k] + (p.swap ? w.ux[k] : 0.0) + cg * (in(u) * u.ty + (p.swap ? in(w) * w.tx : 0.0));
        ln[e] += v.uy[k] + (p.swap ? w.uy[k] : 0.0) + cg * (in(v) * v.ty + (p.swap ? in(w) * w.ty : 0.0));
      }
      if (hinge_tie) {
        la[e] += gr * (u.vx[k] + v.vx[k]);
        lp[e] += gr * (u.vy[k] + (p.swap ? w.vx[k] : 0.0));
        ln[e] += gr * (v.vy[k] + (p.swap ? w.vy[k] : 0.0));
      }
      if (swap_tie) {
        la[e] += cg * v.vx[k];
        lp[e] += cg * w.vx[k];
        ln[e] += cg * (v.vy[k] + w.vy[k]);
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
