// cosine_embedding_loss's tolerance: the scales and rounding counts of docs/tolerances.md "cosine_embedding_loss".

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

// Per pair row r of length D: dot = Σ x1 x2, a_j = Σ x_j^2 + 1e-12, den = sqrt(a1 a2), cos = dot / den, and
// c_s = Σ|x1 x2| / den + |cos| (≤ 2 by Cauchy-Schwarz) bounds the terms of cos.
//   y = 1:  l = 1 - cos              scale 1 + c_s                      k = D + 6
//   y = -1: l = max(0, cos - margin) scale c_s + |margin|                k = D + 6
//     (D products, D - 1 additions, + 1e-12 twice, product, sqrt, division, and 1 - cos or - margin)
//   other y: l = 0, scale 0.
//   dcos/dx1_d = x2_d / den - cos x1_d / a1   scale (|x2_d| / den + c_s |x1_d| / a1) |g| (x2 likewise)   k = D + 10
// A row whose a1, a2 or a1 a2 exceeds the dtype's range (float32 |x| ≳ 1.8e19 in a norm; torch forms a1 a2 before
// the square root) has intermediates beyond it: its output elements and gradients get the scale a1 a2 (saturated),
// the overflow regime of compare_tensor. Float32 torch there: x1 = 2^47, x2 = 2^17, y = 1: den = √inf, cos = 0,
// loss 1 where the value is 2.9e-23; a row with y = 0 or on the clamp's zero side gets NaN gradients from
// 0 · (dot / den²) with dot or den infinite.
tolerance cosine_embedding_loss_tolerance(const loss_case& c, const cosine_embedding_loss_problem& p) {
  const bool two_d = p.pair_shape.size() == 2;
  const std::int64_t R = two_d ? p.pair_shape[0] : 1, D = two_d ? p.pair_shape[1] : p.pair_shape[0];
  auto row_col = [&](const tensor* t, std::int64_t r, std::int64_t d) {
    const std::int64_t rows_t = two_d ? t->shape[0] : 1, cols_t = two_d ? t->shape[1] : t->shape[0];
    return static_cast<std::size_t>((rows_t == 1 ? 0 : r) * cols_t + (cols_t == 1 ? 0 : d));
  };
  auto own_sq = [&](const tensor* t, std::int64_t r) {
    const std::int64_t rows_t = two_d ? t->shape[0] : 1, cols_t = two_d ? t->shape[1] : t->shape[0];
    double s = 0;
    for (std::int64_t d = 0; d < cols_t; ++d) {
      const double v = t->values[static_cast<std::size_t>((rows_t == 1 ? 0 : r) * cols_t + d)];
      s += v * v;
    }
    return s + static_cast<double>(1e-12f);  // Loss.cpp: constexpr float EPSILON = 1e-12 (the slack below needs it exact)
  };
  const double Dd = static_cast<double>(D);
  const double lambda = dtype_traits(c.type).min_normal;  // λ, the smallest normal number
  vec overflow(static_cast<std::size_t>(R), 0.0);  // > 0: the row's intermediates exceed the dtype's range
  vec cos(static_cast<std::size_t>(R)), cs(static_cast<std::size_t>(R)), den(static_cast<std::size_t>(R)),
      a1(static_cast<std::size_t>(R)), a2(static_cast<std::size_t>(R));
  for (std::int64_t r = 0; r < R; ++r) {
    double dot = 0, adot = 0;
    for (std::int64_t d = 0; d < D; ++d) {
      const double v = p.input1->values[row_col(p.input1, r, d)] * p.input2->values[row_col(p.input2, r, d)];
      dot += v;
      adot += std::fabs(v);
    }
    const auto ri = static_cast<std::size_t>(r);
    a1[ri] = own_sq(p.input1, r);
    a2[ri] = own_sq(p.input2, r);
    den[ri] = std::sqrt(a1[ri] * a2[ri]);
    cos[ri] = dot / den[ri];
    // + D λ / den: a product x1 x2 below the normal range is rounded with an absolute error (up to u λ), which the
    // division by den turns into u λ / den in cos (float32 dot 6.1e-5 · 1e-45 = 0, so cos = 0 where it is 1e-39)
    cs[ri] = adot / den[ri] + std::fabs(cos[ri]) + Dd * lambda / den[ri];
    const double big = saturate(a1[ri] * a2[ri]);
    if (std::isfinite(a1[ri]) && std::isfinite(a2[ri]) &&
        std::max({a1[ri], a2[ri], big}) >= max_finite(c.type))
      overflow[ri] = std::max({a1[ri], a2[ri], big});
  }
  // none elements: broadcast of target and cos_shape
  const auto n = static_cast<std::size_t>(checked_numel(p.none_shape));
  vec y = p.target->is_floating() ? broadcast_values(p.target, p.none_shape, 0) : vec(n, 0.0);
  if (!p.target->is_floating() && n > 0) {
    broadcast_walker w(p.target->shape, p.none_shape);
    for (std::size_t i = 0; i < n; ++i, w.next()) y[i] = static_cast<double>(p.target->ints[static_cast<std::size_t>(w.offset())]);
  }
  std::vector<std::int64_t> row_of(n, 0);
  if (n > 0) {
    tensor rows_index = tensor::zeros(dtype::float64, p.cos_shape);
    for (std::size_t r = 0; r < rows_index.values.size(); ++r) rows_index.values[r] = static_cast<double>(r);
    const vec mapped = broadcast_values(&rows_index, p.none_shape, 0);
    for (std::size_t i = 0; i < n; ++i) row_of[i] = static_cast<std::int64_t>(mapped[i]);
  }
  const bool reduced = p.red != reduction::none;
  const vec g = grad_output_abs(c, n, reduced);
  vec out(n, 0.0), row_weight(static_cast<std::size_t>(R), 0.0), tie_weight(static_cast<std::size_t>(R), 0.0);
  const double unit = dtype_traits(c.type).epsilon;  // ε = ulp(1) of the dtype
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = static_cast<std::size_t>(row_of[i]);
    if (y[i] == 1) {
      out[i] = 1 + cs[r];
      row_weight[r] += g[i];
    } else if (y[i] == -1) {
      out[i] = cs[r] + std::fabs(p.margin);
      // torch's clamp_min passes the gradient where cos - margin >= 0: at the tie too (e.g. a zero vector, margin 0).
      // Within the forward's rounding bound of the hinge ((D + 6) ULPs of c_s + |margin|) a correct float
      // implementation may take either branch (float32 torch rounds a D = 1 cos of 1 - 2e-10 to 1 and passes the
      // gradient where the exact hinge argument is negative), so the gradient's scale is allowed there too.
      // (+ λ per rounding: a cos below the normal range is rounded absolutely: float32 x1 = [-1e-45, 2], x2 = [2^32,
      // 0]: cos = -7e-46 rounds to -0, the tie)
      const double hinge_bound = (Dd + 6) * (unit * (cs[r] + std::fabs(p.margin)) + lambda);
      if (cos[r] - p.margin >= -hinge_bound) row_weight[r] += g[i];
      // ... and the gradient itself may be either branch's there: 0 or g dcos/dx (float32 torch at x1 = [-1e-45],
      // x2 = [1e-45], margin 0: the product underflows to -0, cos - margin = -0 >= 0 passes 1.4e-33 where the exact
      // hinge argument is -1e-78 and the gradient 0). The on-branch gradient of such a row is the gradients' slack.
      if (std::fabs(cos[r] - p.margin) <= hinge_bound) tie_weight[r] += g[i];
    }
  }
  for (std::size_t i = 0; i < n; ++i) out[i] = std::max(out[i], overflow[static_cast<std::size_t>(row_of[i])]);
  const double nd = static_cast<double>(n);
  tolerance t;
  double div = 1, k_red = 0, k_red_grad = 0;
  if (p.red == reduction::sum) k_red = nd;
  if (p.red == reduction::mean) {
    div = nd;
    k_red = nd + 1;
    k_red_grad = 1;
  }
  if (!reduced) t.output = {out, Dd + 6, {}};
  else t.output = {{n > 0 ? finite_or_zero(sum(out) / div) : 0.0}, Dd + 6 + k_red, {}};
  // torch's backward through den: h1 = g dot / den², h2 = h1 / (2 den), h3 = h2 a_other, then 2 h3 x_self. An h
  // below the normal range is rounded with an absolute error (up to u λ) that the later products amplify: λ a_other
  // |x_self| / den, 2 λ a_other |x_self|, 2 λ |x_self| join the scale where h1, h2, h3 underflow (float64
  // x1 = [0.015625, 1.6e60, -4, -4], x2 = [1.38e70, 64, -4, -4]: h2 ~ 1e-316, torch's gradient is 6.0509220e-123
  // where the value is 6.0509249e-123).
  auto grad_of = [&](const tensor* self, const tensor* other, const vec& a_self, const vec& a_other) {
    // scales over the pair shape, then summed onto self's shape
    vec s(static_cast<std::size_t>(R * D));
    for (std::int64_t r = 0; r < R; ++r)
      for (std::int64_t d = 0; d < D; ++d) {
        const auto ri = static_cast<std::size_t>(r);
        const double xs = std::fabs(self->values[row_col(self, r, d)]);
        const double v = std::fabs(other->values[row_col(other, r, d)]) / den[ri] + cs[ri] * xs / a_self[ri];
        const double gw = row_weight[ri] / (n > 0 ? div : 1);
        double under = 0;
        if (gw > 0 && den[ri] > 0) {
          const double h1 = gw * std::fabs(cos[ri]) / den[ri], h2 = h1 / (2 * den[ri]), h3 = h2 * a_other[ri];
          if (h1 < lambda) under += lambda * a_other[ri] * xs / den[ri];
          if (h2 < lambda) under += 2 * lambda * a_other[ri] * xs;
          if (h3 < lambda) under += 2 * lambda * xs;
        }
        s[static_cast<std::size_t>(r * D + d)] = std::max(finite_or_zero(v * gw + under), overflow[ri]);
      }
    // the hinge's tie rows: |g dcos/dx_d| = |x_other,d / den - cos x_self,d / a_self| |g| (either branch's value)
    vec slack(static_cast<std::size_t>(R * D), 0.0);
    bool any_tie = false;
    for (std::int64_t r = 0; r < R; ++r) {
      const auto ri = static_cast<std::size_t>(r);
      if (tie_weight[ri] == 0 || !(den[ri] > 0)) continue;
      any_tie = true;
      for (std::int64_t d = 0; d < D; ++d) {
        const double dcos = other->values[row_col(other, r, d)] / den[ri] - cos[ri] * self->values[row_col(self, r, d)] / a_self[ri];
        slack[static_cast<std::size_t>(r * D + d)] = finite_or_zero(std::fabs(dcos) * tie_weight[ri] / (n > 0 ? div : 1));
      }
    }
    vec reduced_s, reduced_slack;
    const auto fan_in = reduce_to(self->shape, p.pair_shape, s, reduced_s);
    for (auto& v : reduced_s) v = finite_or_zero(v);
    if (any_tie) {
      reduce_to(self->shape, p.pair_shape, slack, reduced_slack);
      for (auto& v : reduced_slack) v = finite_or_zero(v);
    }
    return tensor_tolerance{reduced_s, Dd + 10 + k_red_grad + static_cast<double>(fan_in - 1), reduced_slack};
  };
  t.grads["input1"] = grad_of(p.input1, p.input2, a1, a2);
  t.grads["input2"] = grad_of(p.input2, p.input1, a2, a1);
  return t;
}

}  // namespace losscheck::check::detail
