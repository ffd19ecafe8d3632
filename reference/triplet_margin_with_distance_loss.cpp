// triplet_margin_with_distance_loss in multiprecision, from the definition (torch.nn.functional
// .triplet_margin_with_distance_loss, torch 1.13: composites of pairwise_distance or cosine_similarity, torch.min
// and torch.clamp, differentiated by autograd).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// One distance over `n` elements of two expanded rows x and y, its value and its gradients dd/dx, dd/dy.
struct distance_value {
  mp value;
  mp_vector dx, dy;
};

// pairwise_distance(x, y) = ‖z‖_2, z = x − y + eps (eps = 1e-6 in the case dtype). torch's norm backward:
// g (z / ‖z‖), 0 where ‖z‖ = 0.
distance_value pairwise(const mp_vector& x, const mp_vector& y, std::size_t base, std::size_t n, const mp& eps) {
  distance_value d;
  mp_vector z(n);
  mp s = 0;
  for (std::size_t k = 0; k < n; ++k) {
    z[k] = x[base + k] - y[base + k] + eps;
    s += z[k] * z[k];
  }
  d.value = sqrt(s);
  d.dx.resize(n);
  d.dy.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    d.dx[k] = d.value == 0 ? mp(0) : mp(z[k] / d.value);
    d.dy[k] = -d.dx[k];
  }
  return d;
}

// 1 − cosine_similarity(x, y, dim=-1, eps): torch 1.13 divides each input by its norm clamped to eps (the clamp
// under no_grad), N_x = max(‖x‖, eps), N_y = max(‖y‖, eps), cos = Σ (x_k / N_x)(y_k / N_y). Its backward goes
// through the norm as if unclamped, but with the clamped value in the norm's backward (docs/torch-quirks.md):
//   dcos/dx_k = y_k / (N_x N_y) − cos x_k / N_x²   (and symmetrically), clamped or not.
distance_value cosine(const mp_vector& x, const mp_vector& y, std::size_t base, std::size_t n, const mp& eps) {
  distance_value d;
  mp xx = 0, yy = 0, xy = 0;
  for (std::size_t k = 0; k < n; ++k) {
    xx += x[base + k] * x[base + k];
    yy += y[base + k] * y[base + k];
    xy += x[base + k] * y[base + k];
  }
  const mp nx = max_of(sqrt(xx), eps), ny = max_of(sqrt(yy), eps);
  const mp cos = xy / (nx * ny);
  d.value = 1 - cos;
  d.dx.resize(n);
  d.dy.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    d.dx[k] = -(y[base + k] / (nx * ny) - cos * x[base + k] / (nx * nx));
    d.dy[k] = -(x[base + k] / (nx * ny) - cos * y[base + k] / (ny * ny));
  }
  return d;
}

}  // namespace

// Per row r of the broadcast shape, each distance over its own pair's columns (cols_*: D, or 1):
//   d_ap = d(a, p), d_an = d(a, n), d_n = d_an or, with swap, torch.min(d_an, d(p, n))
//   h = (d_ap − d_n) + margin (margin in the case dtype),  L = clamp(h, min=0)   (NaN stays NaN)
// Backward: gh = g [h >= 0]; minimum's backward gives d_an and d_pn −gh each where they tie (halved: −gh / 2), all of
// it to the smaller otherwise, and −gh to both where either is NaN; then each distance's own gradients.
/// triplet_margin_with_distance_loss: forward and the gradients with respect to anchor, positive and negative.
loss_result triplet_margin_with_distance_loss(const triplet_margin_with_distance_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const mp_vector a = expand_to(*p.anchor, p.pair_shape);
    const mp_vector pos = expand_to(*p.positive, p.pair_shape);
    const mp_vector neg = expand_to(*p.negative, p.pair_shape);
    const auto D = static_cast<std::size_t>(p.pair_shape.empty() ? 1 : p.pair_shape.back());
    const std::int64_t rows = checked_numel(p.none_shape);
    const bool cos = p.distance == triplet_distance::cosine;
    const mp eps = round_to(mp(cos ? 1e-8 : 1e-6), scalar_dtype(ctx.out_type));
    const mp margin = round_to(mp(p.margin), scalar_dtype(ctx.out_type));
    const upstream g(ctx, p.red, mp(1));
    const mp denominator = plain_denominator(p.red, rows);
    auto distance = [&](const mp_vector& x, const mp_vector& y, std::size_t base, std::int64_t n) {
      return cos ? cosine(x, y, base, static_cast<std::size_t>(n), eps)
                 : pairwise(x, y, base, static_cast<std::size_t>(n), eps);
    };

    mp_vector none(static_cast<std::size_t>(rows));
    mp_vector da(a.size(), mp(0)), dp(a.size(), mp(0)), dn(a.size(), mp(0));
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::size_t base = static_cast<std::size_t>(r) * D;
      const distance_value ap = distance(a, pos, base, p.cols_ap), an = distance(a, neg, base, p.cols_an);
      const distance_value pn = p.swap ? distance(pos, neg, base, p.cols_pn) : distance_value{};
      mp d_n = an.value;
      if (p.swap) d_n = is_nan(an.value) || is_nan(pn.value) ? nan_value() : (pn.value < an.value ? pn.value : an.value);
      const mp h = ap.value - d_n + margin;
      none[static_cast<std::size_t>(r)] = max_of(h, mp(0));

      const mp gh = h >= 0 ? mp(g[r]) : mp(0);
      mp g_an = -gh, g_pn = 0;
      if (p.swap) {
        g_an = an.value == pn.value ? mp(-gh / 2) : an.value > pn.value ? mp(0) : mp(-gh);
        g_pn = an.value == pn.value ? mp(-gh / 2) : an.value < pn.value ? mp(0) : mp(-gh);
      }
      for (std::size_t k = 0; k < ap.dx.size(); ++k) {
        da[base + k] += gh * ap.dx[k];
        dp[base + k] += gh * ap.dy[k];
      }
      for (std::size_t k = 0; k < an.dx.size(); ++k) {
        da[base + k] += g_an * an.dx[k];
        dn[base + k] += g_an * an.dy[k];
      }
      for (std::size_t k = 0; k < pn.dx.size(); ++k) {
        dp[base + k] += g_pn * pn.dx[k];
        dn[base + k] += g_pn * pn.dy[k];
      }
    }

    mp_result out;
    out.output = reduce(std::move(none), p.none_shape, p.red);
    out.grads["anchor"] = {p.anchor->shape,
                           divided(sum_to(std::move(da), p.pair_shape, p.anchor->shape), denominator)};
    out.grads["positive"] = {p.positive->shape,
                             divided(sum_to(std::move(dp), p.pair_shape, p.positive->shape), denominator)};
    out.grads["negative"] = {p.negative->shape,
                             divided(sum_to(std::move(dn), p.pair_shape, p.negative->shape), denominator)};
    return out;
  });
}

}  // namespace losscheck::reference::detail
