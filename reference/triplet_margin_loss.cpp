// triplet_margin_loss in multiprecision, from the definition (torch.nn.functional.triplet_margin_loss, LibTorch
// 1.13.1, aten/src/ATen/native/Loss.cpp and Distance.cpp: a composite of pairwise_distance (the norm of x - y + eps
// over the last dimension), minimum and clamp_min, differentiated by autograd).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// sgn(x): 1, -1, or 0 for 0 and NaN (ATen's sign of a NaN is 0; docs/torch-quirks.md).
mp sign_of(const mp& x) { return x > 0 ? mp(1) : x < 0 ? mp(-1) : mp(0); }

/// ‖x‖_p = (Σ |x_k|^p)^(1/p); sqrt for p = 2, Σ |x_k| for p = 1. An empty row has norm 0.
mp norm_of(const mp_vector& x, double p) {
  mp s = 0;
  if (p == 1) {
    for (const auto& v : x) s += abs(v);
    return s;
  }
  if (p == 2) {
    for (const auto& v : x) s += v * v;
    return sqrt(s);
  }
  const mp order = p;
  for (const auto& v : x) s += pow(abs(v), order);
  return pow(s, 1 / order);
}

/// The gradient of ‖x‖_p with incoming gradient gx, term by term as torch 1.13's norm_backward forms it (so that
/// NaN and zeros travel as in torch; docs/torch-quirks.md): p = 1: sgn(x) gx; p = 2: gx (x / N), 0 where N = 0;
/// p < 1: sgn(x) (|x|^(p-1), 0 where x = 0) gx N^(1-p); 1 < p < 2: sgn(x) |x|^(p-1) (gx / N^(p-1), 0 where N = 0);
/// p > 2: x |x|^(p-2) (gx / N^(p-1), 0 where N = 0).
mp_vector norm_backward(const mp_vector& x, const mp& n, const mp& gx, double p) {
  mp_vector out(x.size());
  const mp order = p;
  for (std::size_t k = 0; k < x.size(); ++k) {
    const mp& v = x[k];
    if (p == 1) {
      out[k] = sign_of(v) * gx;
    } else if (p == 2) {
      out[k] = gx * (n == 0 ? mp(0) : mp(v / n));
    } else if (p < 1) {
      out[k] = sign_of(v) * (v == 0 ? mp(0) : mp(pow(abs(v), order - 1))) * gx * pow(n, 1 - order);
    } else {
      const mp scale = n == 0 ? mp(0) : mp(gx / pow(n, order - 1));
      out[k] = (p < 2 ? mp(sign_of(v) * pow(abs(v), order - 1)) : mp(v * pow(abs(v), order - 2))) * scale;
    }
  }
  return out;
}

}  // namespace

// Per row r of the broadcast shape (rows of the last dimension, D elements), with eps and margin converted to the
// case dtype (torch converts the Python scalars to the tensor's dtype):
//   u = a - p + eps,  v = a - n + eps,  w = p - n + eps,  d_ap = ‖u‖_p,  d_an = ‖v‖_p,  d_pn = ‖w‖_p
//   d_n = d_an, or with swap minimum(d_an, d_pn)
//   h = margin + d_ap - d_n,  L = max(h, 0)   (NaN stays NaN)
// Backward, as autograd forms it:
//   gh = g [h >= 0]   (clamp_min passes the gradient at equality, and none for a NaN h)
//   minimum's backward: d_an gets -gh (halved where d_an = d_pn, 0 where d_an > d_pn), d_pn likewise (0 where
//   d_an < d_pn); a NaN on either side sends -gh to both
//   da = ∂‖u‖ gh + ∂‖v‖ g_an,  dp = -∂‖u‖ gh + ∂‖w‖ g_pn,  dn = -∂‖v‖ g_an - ∂‖w‖ g_pn   (∂‖·‖: norm_backward)
//   summed back onto each input's shape over the broadcast.
/// triplet_margin_loss: forward and the gradients with respect to anchor, positive and negative.
loss_result triplet_margin_loss(const triplet_margin_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const mp_vector a = expand_to(*p.anchor, p.pair_shape);
    const mp_vector pos = expand_to(*p.positive, p.pair_shape);
    const mp_vector neg = expand_to(*p.negative, p.pair_shape);
    const std::int64_t cols = p.pair_shape.empty() ? 1 : p.pair_shape.back();
    const std::int64_t rows = checked_numel(p.none_shape);
    const mp eps = round_to(mp(p.eps), scalar_dtype(ctx.out_type));
    const mp margin = round_to(mp(p.margin), scalar_dtype(ctx.out_type));
    const upstream g(ctx, p.red, mp(1));
    const mp denominator = plain_denominator(p.red, rows);

    mp_vector none(static_cast<std::size_t>(rows));
    mp_vector da(a.size(), mp(0)), dp(a.size(), mp(0)), dn(a.size(), mp(0));
    const auto D = static_cast<std::size_t>(cols);
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::size_t base = static_cast<std::size_t>(r) * D;
      // A distance whose own pair has a last dimension of 1 runs over that one element (column 0 of the expanded
      // rows, which holds it); its gradient reaches column 0 only, and sum_to gathers the columns.
      mp_vector u(static_cast<std::size_t>(p.cols_ap)), v(static_cast<std::size_t>(p.cols_an)),
          w(static_cast<std::size_t>(p.cols_pn));
      for (std::size_t k = 0; k < u.size(); ++k) u[k] = a[base + k] - pos[base + k] + eps;
      for (std::size_t k = 0; k < v.size(); ++k) v[k] = a[base + k] - neg[base + k] + eps;
      for (std::size_t k = 0; k < w.size(); ++k) w[k] = pos[base + k] - neg[base + k] + eps;
      const mp d_ap = norm_of(u, p.p), d_an = norm_of(v, p.p);
      const mp d_pn = p.swap ? norm_of(w, p.p) : mp(0);
      mp d_n = d_an;
      if (p.swap) d_n = is_nan(d_an) || is_nan(d_pn) ? nan_value() : (d_pn < d_an ? d_pn : d_an);
      const mp h = margin + d_ap - d_n;
      none[static_cast<std::size_t>(r)] = max_of(h, mp(0));

      const mp gh = h >= 0 ? mp(g[r]) : mp(0);
      mp g_an = -gh, g_pn = 0;
      if (p.swap) {
        const mp half = -gh / 2;
        g_an = d_an == d_pn ? half : d_an > d_pn ? mp(0) : mp(-gh);
        g_pn = d_an == d_pn ? half : d_an < d_pn ? mp(0) : mp(-gh);
      }
      const mp_vector bu = norm_backward(u, d_ap, gh, p.p);
      const mp_vector bv = norm_backward(v, d_an, g_an, p.p);
      const mp_vector bw = p.swap ? norm_backward(w, d_pn, g_pn, p.p) : mp_vector{};
      for (std::size_t k = 0; k < bu.size(); ++k) {
        da[base + k] += bu[k];
        dp[base + k] -= bu[k];
      }
      for (std::size_t k = 0; k < bv.size(); ++k) {
        da[base + k] += bv[k];
        dn[base + k] -= bv[k];
      }
      for (std::size_t k = 0; k < bw.size(); ++k) {
        dp[base + k] += bw[k];
        dn[base + k] -= bw[k];
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
