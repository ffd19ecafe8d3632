// The tolerance model of docs/tolerances.md: per-element scales from the magnitudes of the terms each value is
// computed from, and bounds counted in roundings, one commented table per loss. Scales are computed in double from
// the case's inputs; they are magnitudes, so their own rounding does not matter.

#include "losscheck/check.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <variant>

#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/problem.h"

namespace losscheck::check {

double max_finite(dtype type) {
  return type == dtype::float32 ? static_cast<double>(std::numeric_limits<float>::max())
                                : std::numeric_limits<double>::max();
}

namespace {

using vec = std::vector<double>;

/// A scale that is not finite (a term is infinite, e.g. log 0 where the value itself is clamped or masked) cannot
/// bound a finite error: the element must then match exactly.
double finite_or_zero(double s) { return std::isfinite(s) ? s : 0.0; }

/// A scale that overflowed double from finite terms (e.g. e^t for a float64 t > 709.8) saturates at the largest
/// double: it still exceeds every dtype's range (the overflow regime of `compare_tensor`), where 0 would demand an
/// exact match. A term that is itself infinite (an infinite input) stays infinite, for `finite_or_zero`.
double saturate(double v) { return std::isinf(v) ? std::numeric_limits<double>::max() : v; }

/// The smallest positive subnormal of the dtype.
double smallest_subnormal(dtype type) { return type == dtype::float32 ? 0x1p-149 : 0x1p-1074; }

/// Whether v (near 1, computed in double) rounds to exactly 1 in the dtype.
bool rounds_to_one(double v, dtype type) {
  return type == dtype::float32 ? static_cast<float>(v) == 1.0f : v == 1.0;
}

/// Values of `t` as seen from the broadcast shape `to`, row-major.
vec broadcast_values(const tensor* t, const shape_t& to, double absent) {
  const auto n = static_cast<std::size_t>(checked_numel(to));
  vec out(n, absent);
  if (!t || n == 0) return out;
  broadcast_walker w(t->shape, to);
  for (std::size_t i = 0; i < n; ++i, w.next()) out[i] = t->values[static_cast<std::size_t>(w.offset())];
  return out;
}

/// Sums per-element scales over a broadcast shape back onto the shape of the input they belong to (the gradient of
/// a broadcast input is that sum); returns the largest number of terms summed into one element (its fan-in).
std::int64_t reduce_to(const shape_t& from, const shape_t& to, const vec& s, vec& out) {
  out.assign(static_cast<std::size_t>(checked_numel(from)), 0.0);
  if (s.empty()) return 1;
  std::vector<std::int64_t> count(out.size(), 0);
  broadcast_walker w(from, to);
  for (std::size_t i = 0; i < s.size(); ++i, w.next()) {
    auto& o = out[static_cast<std::size_t>(w.offset())];
    o = std::isfinite(o) && std::isfinite(s[i]) ? saturate(o + s[i]) : o + s[i];
    ++count[static_cast<std::size_t>(w.offset())];
  }
  return count.empty() ? 1 : std::max<std::int64_t>(1, *std::max_element(count.begin(), count.end()));
}

/// Σ v; a sum of finite scales that overflows saturates (`saturate`), an infinite term makes it infinite.
double sum(const vec& v) {
  double s = 0;
  for (double x : v) s = std::isfinite(s) && std::isfinite(x) ? saturate(s + x) : s + x;
  return s;
}

/// |grad_output| per element of the `none` output (reduced: the one scalar), ones when omitted.
vec grad_output_abs(const loss_case& c, std::size_t n, bool reduced) {
  vec g(n, 1.0);
  if (!c.grad_output) return g;
  for (std::size_t i = 0; i < n; ++i) g[i] = std::fabs(c.grad_output->values[reduced ? 0 : i]);
  return g;
}

/// Per-element scales of an elementwise loss over its `none` shape: `out` for the loss values, and for each
/// differentiable input the scale of the element's derivative for a unit incoming gradient. `k_*` count roundings.
struct elementwise {
  shape_t shape;
  vec out;
  double k_out = 0;
  struct grad {
    const tensor* input;
    vec scale;
    double k;
  };
  std::map<std::string, grad> grads;
};

/// Applies the reduction to an elementwise tolerance. Reduction roundings (docs/tolerances.md "Reductions"):
/// sum of n terms: +n (recursive summation, γ_{n-1}); mean or batchmean: +n+1 (the sum, then one division); the
/// gradient of a mean: +1 (the division). `divisor` is n for mean and input.size(0) for batchmean; `extra_divisor`
/// is kl_div's legacy batchmean division (+1 rounding).
tolerance finish(const loss_case& c, const elementwise& e, reduction red, double divisor, double extra_divisor = 1) {
  tolerance t;
  const auto n = e.out.size();
  const double extra_k = extra_divisor != 1 ? 1 : 0;
  const bool reduced = red != reduction::none;
  const vec g = grad_output_abs(c, n, reduced);
  double div = 1;
  double k_red_out = 0, k_red_grad = 0;
  switch (red) {
    case reduction::none: break;
    case reduction::sum: k_red_out = static_cast<double>(n); break;
    case reduction::mean:
    case reduction::batchmean:
      div = divisor;
      k_red_out = static_cast<double>(n) + 1;
      k_red_grad = 1;
      break;
  }
  div *= extra_divisor;
  if (!reduced) {
    t.output.scale = e.out;
    for (auto& s : t.output.scale) s = s == std::numeric_limits<double>::max() ? s : finite_or_zero(s / extra_divisor);
  } else {
    double total = sum(e.out);  // a saturated total stays saturated (see the gradients below)
    // an infinite term (an infinite input) beside a term beyond the dtype's range: the sum meets inf with an
    // overflowed ±inf of either sign, NaN whatever the value (float32 kl_div log_target x = [inf, 0], t = [0.0156,
    // 4096], mean: -inf + inf where the value is -inf): the overflow regime too
    const bool beyond = std::any_of(e.out.begin(), e.out.end(),
                                    [&](double s) { return std::isfinite(s) && s >= max_finite(c.type); });
    if (std::isinf(total) && beyond) total = std::numeric_limits<double>::max();
    t.output.scale = {div > 0 ? (total == std::numeric_limits<double>::max() ? total : finite_or_zero(total / div)) : 0.0};
  }
  t.output.bound_ulps = e.k_out + k_red_out + extra_k;
  for (const auto& [name, gr] : e.grads) {
    vec s(n);
    for (std::size_t i = 0; i < n; ++i) {
      s[i] = gr.scale[i] * g[i] / (div > 0 ? div : 1);
      // a saturated scale (terms beyond double's range) stays saturated: the terms overflow before any division
      if (std::isfinite(gr.scale[i]) && std::isfinite(g[i]))
        s[i] = gr.scale[i] == std::numeric_limits<double>::max() && g[i] > 0 ? gr.scale[i] : saturate(s[i]);
      // terms beyond the dtype's range overflow whatever g is (torch: 0 · e^128 = 0 · inf = NaN in float32)
      if (std::isfinite(gr.scale[i]) && gr.scale[i] >= max_finite(c.type)) s[i] = std::max(s[i], gr.scale[i]);
    }
    vec reduced_s;
    const auto fan_in = reduce_to(gr.input->shape, e.shape, s, reduced_s);
    for (auto& v : reduced_s) v = finite_or_zero(v);
    t.grads[name] = {std::move(reduced_s), gr.k + k_red_grad + extra_k + static_cast<double>(fan_in - 1)};
  }
  return t;
}

// ---- mse_loss ------------------------------------------------------------------------------------------------
// l = (x - t)^2                    scale (x - t)^2       k = 3  (subtraction, square: (1+δ)^2(1+δ'))
// dl/dx = 2 (x - t) g = -dl/dt     scale 2|x - t| |g|    k = 3  (subtraction, ×2·norm, ×g)
tolerance mse_loss_tolerance(const loss_case& c, const mse_loss_problem& p) {
  elementwise e;
  e.shape = p.shape;
  const vec x = broadcast_values(p.input, p.shape, 0), y = broadcast_values(p.target, p.shape, 0);
  e.out.resize(x.size());
  vec gs(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double d = x[i] - y[i];
    e.out[i] = d * d;
    gs[i] = 2 * std::fabs(d);
  }
  e.k_out = 3;
  e.grads["input"] = {p.input, gs, 3};
  e.grads["target"] = {p.target, gs, 3};
  return finish(c, e, p.red, static_cast<double>(x.size()));
}

// ---- binary_cross_entropy ------------------------------------------------------------------------------------
// L1 = max(log x, -100), L2 = max(log(1 - x), -100) (torch's clamp).
// l = -w (y L1 + (1-y) L2)          scale |w| (|y| (|L1|+1) + |1-y| (|L2|+1))       k = 7
//   (log x; 1 - x, whose rounding costs an absolute u in its log, hence the +1; log; 1 - y; two products; the sum;
//   ×w)
// dl/dx = g w (x - y) / max(x(1-x), 1e-12)   scale |w| |x - y| / max(x(1-x), 1e-12) · |g|   k = 7
//   (x - y, 1 - x, the product, 1e-12 in the dtype, the division, ×w, ×g); torch forms g (x - y) before dividing:
//   where that product is below the normal range its absolute rounding u λ becomes u λ / max(...) in the result,
//   so λ |w| / max(x(1-x), 1e-12) joins the scale there (float32 x = 7.3e-40, y = 0, g = 0.1250001: 7.1 ULPs
//   without it).
// dl/dy = g w (log(1-x) - log x)    scale |w| (|log x| + |log(1-x)| + 1) |g|         k = 5
//   (1 - x, two logs, the difference, ×w, ×g; not clamped: ±inf at x ∈ {0, 1}, matched exactly)
tolerance binary_cross_entropy_tolerance(const loss_case& c, const binary_cross_entropy_problem& p) {
  elementwise e;
  e.shape = p.input->shape;
  const auto& x = p.input->values;
  const auto& y = p.target->values;
  const vec w = broadcast_values(p.weight, e.shape, 1);
  e.out.resize(x.size());
  vec gx(x.size()), gy(x.size());
  // |g| as torch's backward sees it (grad_output divided by the mean's n, see finish), for the underflow term below
  const vec g = grad_output_abs(c, x.size(), p.red != reduction::none);
  const double div = p.red == reduction::mean ? static_cast<double>(x.size()) : 1.0;
  const double lambda = c.type == dtype::float32 ? 0x1p-126 : 0x1p-1022;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double l1 = std::log(x[i]), l2 = std::log1p(-x[i]);
    const double c1 = std::max(l1, -100.0), c2 = std::max(l2, -100.0);
    const double aw = std::fabs(w[i]);
    e.out[i] = aw * (std::fabs(y[i]) * (std::fabs(c1) + 1) + std::fabs(1 - y[i]) * (std::fabs(c2) + 1));
    const double clamp = std::max(x[i] * (1 - x[i]), 1e-12);
    gx[i] = aw * std::fabs(x[i] - y[i]) / clamp;
    // torch forms g (x - y) first: below the normal range it is rounded with an absolute error (up to u λ), which
    // the division by the clamp makes u λ / clamp: + λ |w| / clamp after the multiplication by |g| in finish
    const double ge = g[i] / div;
    if (ge > 0 && ge * std::fabs(x[i] - y[i]) < lambda) gx[i] += aw * lambda / clamp / ge;
    gy[i] = aw * (std::fabs(l1) + std::fabs(l2) + 1);
  }
  e.k_out = 7;
  e.grads["input"] = {p.input, gx, 7};
  e.grads["target"] = {p.target, gy, 5};
  return finish(c, e, p.red, static_cast<double>(x.size()));
}

// ---- binary_cross_entropy_with_logits -------------------------------------------------------------------------
// m = max(-x, 0), lse = log(e^-m + e^(-x-m)) (the exponents are exact), L = 1 + (pw - 1) y.
// l = w ((1-y) x + L (lse + m))     scale |w| (|1-y| |x| + (1 + |pw-1||y|) (lse + m + 1))   k = 10
//   (two exps, their sum -- an absolute u in lse, hence the +1 --, log, + m, pw - 1, × y, + 1, × (lse + m),
//   1 - y, × x, the sum, × w). LibTorch's float32 log(1 + e^-20) = 0 where the value is 2.06e-9 is within this.
// dl/dx = g w ((pw y + 1 - y) σ(x) - pw y)   scale |w| (|pw y| + (|pw y| + 1 + |y|) σ(x)) |g|   k = 10
//   (σ: exp, add, divide; pw·y, + 1, - y, × σ, - pw y, × g, × w)
// dl/dy = g w (-x + (pw - 1) softplus(-x)) = g w (log σ(-x) - pw log σ(x))
//                                   scale |w| (|x| + sp(x) + (|pw|+1) sp(-x) + 1 + |pw|) |g|   k = 8
tolerance binary_cross_entropy_with_logits_tolerance(const loss_case& c,
                                                     const binary_cross_entropy_with_logits_problem& p) {
  elementwise e;
  e.shape = p.input->shape;
  const auto& x = p.input->values;
  const auto& y = p.target->values;
  const vec w = broadcast_values(p.weight, e.shape, 1);
  const vec pw = broadcast_values(p.pos_weight, e.shape, 1);
  e.out.resize(x.size());
  vec gx(x.size()), gy(x.size());
  auto softplus = [](double v) { return std::max(v, 0.0) + std::log1p(std::exp(-std::fabs(v))); };
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double m = std::max(-x[i], 0.0);
    const double lse = std::log1p(std::exp(-std::fabs(x[i])));
    const double aw = std::fabs(w[i]);
    const double apy = std::fabs(pw[i] * y[i]);
    e.out[i] = aw * (std::fabs(1 - y[i]) * std::fabs(x[i]) + (1 + std::fabs(pw[i] - 1) * std::fabs(y[i])) * (lse + m + 1));
    const double sigma = 1 / (1 + std::exp(-x[i]));
    gx[i] = aw * (apy + (apy + 1 + std::fabs(y[i])) * sigma);
    // An infinite y (or pos_weight) makes L infinite; where x ≥ 0 and 1 + e^-x rounds to 1 in the dtype (x > 16.6
    // in float32, 36.7 in float64), torch's lse + m is 0 and L (lse + m) = inf · 0 = NaN where the value is ±inf
    // (float32 x = 32, y = -inf, pw = 0): the overflow regime for the loss and the input's gradient, which holds
    // the same products.
    if ((!std::isfinite(y[i]) || !std::isfinite(pw[i])) && std::isfinite(x[i]) && x[i] >= 0 &&
        rounds_to_one(1 + std::exp(-x[i]), c.type))
      e.out[i] = gx[i] = std::numeric_limits<double>::max();
    gy[i] = aw * (std::fabs(x[i]) + softplus(x[i]) + (std::fabs(pw[i]) + 1) * softplus(-x[i]) + 1 + std::fabs(pw[i]));
  }
  e.k_out = 10;
  e.grads["input"] = {p.input, gx, 10};
  e.grads["target"] = {p.target, gy, 8};
  return finish(c, e, p.red, static_cast<double>(x.size()));
}

// ---- kl_div --------------------------------------------------------------------------------------------------
// log_target = false (t = 0 gives exactly 0; t < 0 gives NaN, matched exactly):
//   l = xlogy(t, t) - t x           scale |t| (|log t| + |x| + 1)      k = 4  (log, two products, difference)
//   dl/dx = -t g                    scale |t| |g|                       k = 2  (×t, ×g)
//   dl/dt = g (log t + 1 - x)       scale (|log t| + 1 + |x|) |g|       k = 5  (log, t/t, + 1, - x, × g)
//     torch forms the t/t term as (g t) / t (xlogy's backward): where g t falls below the normal range its rounding
//     is absolute, up to u λ, and the division by t makes that u λ / |t| in the gradient: the term λ / |t| joins
//     the scale there (|g t| < λ; the rounding is already counted). Float32 torch at t = 5.74e-42, g = 0.12500685
//     gets g t / t = 0.125 (5.3 ULPs of the scale without the term).
// log_target = true (e = exp t):
//   l = e (t - x)                   scale e (|t| + |x|)                 k = 4  (exp, difference, product)
//   dl/dx = -e g                    scale e |g|                         k = 2
//   dl/dt = g e (t - x + 1)         scale e (|t| + |x| + 1) |g|         k = 5
//   e^t below the normal range counts as λ in these scales (its rounding is absolute, up to u λ, and the
//   products multiply it by |t - x|, |t - x + 1|).
//   e^t beyond the dtype's range (t > 88.7 in float32) makes these scales exceed it: the overflow regime of
//   compare_tensor (torch's product rule gives e^t (t - x) + e^t = -inf + inf = NaN where the value is -inf or 0).
//   A finite t whose e^t overflows double saturates (`saturate`) instead of demanding an exact match.
tolerance kl_div_tolerance(const loss_case& c, const kl_div_problem& p) {
  elementwise e;
  e.shape = p.shape;
  const vec x = broadcast_values(p.input, p.shape, 0), t = broadcast_values(p.target, p.shape, 0);
  e.out.resize(x.size());
  vec gx(x.size()), gt(x.size());
  // |g| as torch's backward sees it per element: grad_output divided by the reduction's divisors (see finish)
  const vec g = grad_output_abs(c, x.size(), p.red != reduction::none);
  double div = p.legacy_batchmean ? static_cast<double>(p.batch_size) : 1.0;
  if (p.red == reduction::mean) div *= static_cast<double>(x.size());
  if (p.red == reduction::batchmean) div *= static_cast<double>(p.batch_size);
  const double lambda = c.type == dtype::float32 ? 0x1p-126 : 0x1p-1022;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double ax = std::fabs(x[i]);
    if (p.log_target) {
      // e^t below the normal range is rounded with an absolute error (up to u λ): its magnitude in the scales is
      // at least λ (float32 t = -89.66, x = 1.55e26: e^t = 1.15e-39 is subnormal, 4.5 ULPs without this)
      const double ex = std::max(std::exp(t[i]), lambda);
      // e^t overflowing from a finite t puts the element in the overflow regime, even beside an infinite x
      const bool overflows = std::isfinite(t[i]) && std::exp(t[i]) >= max_finite(c.type);
      const bool finite_terms = std::isfinite(t[i]) && std::isfinite(x[i]);
      auto sat = [&](double v) { return overflows || finite_terms ? saturate(v) : v; };
      e.out[i] = sat(ex * (std::fabs(t[i]) + ax));
      gx[i] = sat(ex);
      gt[i] = sat(ex * (std::fabs(t[i]) + ax + 1));
      // e^t that the dtype rounds to 0 (below half its smallest subnormal: t < -103.97 in float32, -745.13 in
      // float64) beside an infinite x: any float
      // evaluation of e^t (t - x) is 0 · inf = NaN where the value is ±inf (float32 torch, t = -4096, x = -inf):
      // the overflow regime for the loss and the target's gradient (both hold that product)
      if (std::isfinite(t[i]) && !std::isfinite(x[i]) && t[i] < std::log(smallest_subnormal(c.type)) - std::log(2.0))
        e.out[i] = gt[i] = std::numeric_limits<double>::max();
    } else {
      const double lt = t[i] > 0 ? std::fabs(std::log(t[i])) : 0.0;
      e.out[i] = std::fabs(t[i]) * (lt + ax + 1);
      gx[i] = std::fabs(t[i]);
      gt[i] = t[i] > 0 ? lt + 1 + ax : 0.0;
      // the underflow of g t: + λ / |t| after the multiplication by |g| in finish, so λ / (|t| |g|) here
      const double ge = div > 0 ? g[i] / div : g[i];
      if (t[i] > 0 && std::isfinite(t[i]) && ge > 0 && ge * t[i] < lambda) gt[i] += lambda / t[i] / ge;
    }
  }
  e.k_out = 4;
  e.grads["input"] = {p.input, gx, 2};
  e.grads["target"] = {p.target, gt, 5};
  const bool batchmean = p.red == reduction::batchmean;
  return finish(c, e, p.red, batchmean ? static_cast<double>(p.batch_size) : static_cast<double>(x.size()),
                p.legacy_batchmean ? static_cast<double>(p.batch_size) : 1.0);
}

// ---- cross_entropy and nll_loss (class-index targets) --------------------------------------------------------
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
    t.output = {out, k_out};
    t.grads["input"] = {grad, k_grad};
  } else if (red == reduction::sum) {
    t.output = {{sum(out)}, k_out + nd};
    t.grads["input"] = {grad, k_grad};
  } else {
    const double ad = std::fabs(d);
    const double factor = ad > 0 ? (1 + dabs / ad) / ad : 0.0;
    t.output = {{finite_or_zero(sum(out) * factor)}, k_out + nd + 1};
    for (auto& v : grad) v = finite_or_zero(v * factor);
    t.grads["input"] = {grad, k_grad + nd + 1};
  }
  return t;
}

// ---- cross_entropy (probability targets) ---------------------------------------------------------------------
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
      if (beyond) out[row] = std::numeric_limits<double>::max();
      for (std::int64_t cls = 0; cls < C; ++cls) {
        const double tp = std::fabs(t[at(cls)] * (1 - eps) + eps / Cd);
        const double pc = std::exp(x[at(cls)] - mx) / s;
        gx[at(cls)] = (std::fabs(w_of(cls)) * tp + pc * swt * (R + 1)) * g[row];
        gt[at(cls)] = 2 * R * std::fabs(w_of(cls)) * g[row];
        gw[static_cast<std::size_t>(cls)] += 2 * R * tp * g[row];
        if (beyond) gw[static_cast<std::size_t>(cls)] = std::numeric_limits<double>::max();
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
  if (p.red == reduction::none) tol.output = {out, 2 * Cd + 6};
  else {
    const double total = sum(out);  // saturated: stays in the overflow regime
    tol.output = {{rows > 0 ? (total == std::numeric_limits<double>::max() ? total : total / div) : 0.0}, 2 * Cd + 6 + k_red};
  }
  auto scaled = [&](vec v) {
    for (auto& e : v) e = e == std::numeric_limits<double>::max() ? e : finite_or_zero(rows > 0 ? e / div : 0.0);
    return v;
  };
  tol.grads["input"] = {scaled(gx), Cd + 6 + k_red_grad};
  tol.grads["target"] = {scaled(gt), 5 + k_red_grad};
  if (p.weight) tol.grads["weight"] = {scaled(gw), 5 + rd + k_red_grad};
  return tol;
}

// ---- cosine_embedding_loss -----------------------------------------------------------------------------------
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
  const double lambda = c.type == dtype::float32 ? 0x1p-126 : 0x1p-1022;
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
  const double unit = c.type == dtype::float32 ? 0x1p-23 : 0x1p-52;  // ε = ulp(1) of the dtype
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
  if (!reduced) t.output = {out, Dd + 6};
  else t.output = {{n > 0 ? finite_or_zero(sum(out) / div) : 0.0}, Dd + 6 + k_red};
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

}  // namespace

tolerance tolerance_for(const loss_case& c) {
  const problem pr = resolve_problem(c);
  return std::visit(
      [&](const auto& q) -> tolerance {
        using T = std::decay_t<decltype(q)>;
        if constexpr (std::is_same_v<T, mse_loss_problem>) return mse_loss_tolerance(c, q);
        else if constexpr (std::is_same_v<T, binary_cross_entropy_problem>) return binary_cross_entropy_tolerance(c, q);
        else if constexpr (std::is_same_v<T, binary_cross_entropy_with_logits_problem>)
          return binary_cross_entropy_with_logits_tolerance(c, q);
        else if constexpr (std::is_same_v<T, cross_entropy_problem>) {
          if (q.probability_target) return class_probability_tolerance(c, q);
          return class_index_tolerance(c, q.layout, q.input, q.target, q.weight, q.ignore_index, q.red,
                                       q.label_smoothing > 0 ? q.label_smoothing : 0.0, false);
        } else if constexpr (std::is_same_v<T, nll_loss_problem>)
          return class_index_tolerance(c, q.layout, q.input, q.target, q.weight, q.ignore_index, q.red, 0.0, true);
        else if constexpr (std::is_same_v<T, kl_div_problem>) return kl_div_tolerance(c, q);
        else return cosine_embedding_loss_tolerance(c, q);
      },
      pr);
}

double error_unit(double scale, dtype type) {
  // Below the normal range there is no relative accuracy to hold anyone to: a rounding may flush to zero (LibTorch's
  // float32 sigmoid(-89) is 1/(1 + inf) = 0) or lose digits in a subnormal intermediate that a later product
  // amplifies (float32 exp(-100) * 97). Each rounding is allowed an absolute error of λ, the smallest normal number
  // (Higham's model with flush-to-zero underflow), so k roundings allow k·λ.
  const double eps = type == dtype::float32 ? 0x1p-23 : 0x1p-52;
  const double lambda = type == dtype::float32 ? 0x1p-126 : 0x1p-1022;
  return eps * scale + lambda;
}

namespace {

/// Compares one tensor element by element; updates `r`. Returns false (with r.message set) on the first mismatch of
/// structure; value failures are recorded and the comparison goes on to find the worst element.
void compare_tensor(const std::string& name, const tensor& expected, const tensor& got, const tensor_tolerance& tol,
                    dtype type, comparison& r) {
  auto fail = [&](std::string msg) {
    if (r.passed) r.message = std::move(msg);
    r.passed = false;
  };
  if (got.shape != expected.shape) {
    fail(fmt::format("{} has shape {}, expected {}", name, format_shape(got.shape), format_shape(expected.shape)));
    r.max_ulps = std::numeric_limits<double>::infinity();
    return;
  }
  if (got.type != expected.type) {
    fail(fmt::format("{} has dtype {}, expected {}", name, to_string(got.type), to_string(expected.type)));
    return;
  }
  double worst_ratio = -1;
  if (r.worst) worst_ratio = r.worst->bound > 0 ? r.worst->ulps / r.worst->bound : r.worst->ulps;
  for (std::size_t i = 0; i < expected.values.size(); ++i) {
    const double e = expected.values[i], a = got.values[i];
    const double scale = i < tol.scale.size() ? tol.scale[i] : 0.0;
    double ulps;
    if (!std::isfinite(e) || !std::isfinite(a)) {
      // The overflow regime: a scale at or above the dtype's largest finite value means terms of the computation
      // exceed the range, where the rounding model (no overflow) says nothing: an infinite term may meet another
      // (inf - inf, 0 · inf) and give NaN or ±inf whatever the value. A non-finite result is accepted there; a
      // finite result is measured as usual, and a non-finite expected value still needs a non-finite one.
      const bool overflow = std::isfinite(scale) && scale >= max_finite(type) && !std::isfinite(a);
      const bool same = (std::isnan(e) && std::isnan(a)) || e == a || overflow;
      ulps = same ? 0 : std::numeric_limits<double>::infinity();
    } else {
      const double slack = i < tol.slack.size() ? tol.slack[i] : 0.0;
      ulps = std::max(0.0, std::fabs(a - e) - slack) / error_unit(scale, type);
      ++r.elements;
      r.sum_sq_ulps += ulps * ulps;
    }
    r.max_ulps = std::max(r.max_ulps, ulps);
    const double ratio = tol.bound_ulps > 0 ? ulps / tol.bound_ulps : ulps;
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      r.worst = element_error{fmt::format("{}[{}]", name, i), a, e, scale, ulps, tol.bound_ulps};
    }
    if (ulps > tol.bound_ulps)
      fail(fmt::format("{}[{}]: got {}, expected {}: {} ULPs of the scale {} > bound {}", name, i,
                       format_float(a, type), format_float(e, type), std::isfinite(ulps) ? fmt::format("{:.3g}", ulps) : "inf",
                       fmt::format("{:.3g}", scale), tol.bound_ulps));
  }
}

}  // namespace

comparison compare(const loss_case& c, const loss_result& expected, const loss_result& got) {
  if (expected.error || got.error || got.unsupported || !got.output) return compare(c, expected, got, tolerance{});
  tolerance tol;
  try {
    tol = tolerance_for(c);
  } catch (const std::exception& e) {
    comparison r;
    r.passed = false;
    r.message = fmt::format("no tolerance: losscheck rejects the case: {}", e.what());
    return r;
  }
  return compare(c, expected, got, tol);
}

tolerance widest(const tolerance& a, const tolerance& b) {
  auto wider = [](const tensor_tolerance& x, const tensor_tolerance& y) {
    tensor_tolerance w;
    w.bound_ulps = std::max(x.bound_ulps, y.bound_ulps);
    auto elementwise_max = [](const vec& u, const vec& v) {
      vec m(std::max(u.size(), v.size()), 0.0);
      for (std::size_t i = 0; i < m.size(); ++i)
        m[i] = std::max(i < u.size() ? u[i] : 0.0, i < v.size() ? v[i] : 0.0);
      return m;
    };
    w.scale = elementwise_max(x.scale, y.scale);
    w.slack = elementwise_max(x.slack, y.slack);
    return w;
  };
  tolerance t;
  t.output = wider(a.output, b.output);
  t.grads = a.grads;
  for (const auto& [name, g] : b.grads) {
    auto it = t.grads.find(name);
    if (it == t.grads.end()) t.grads[name] = g;
    else it->second = wider(it->second, g);
  }
  return t;
}

comparison compare(const loss_case& c, const loss_result& expected, const loss_result& got, const tolerance& tol) {
  comparison r;
  if (expected.error) {
    if (!got.error) {
      r.passed = false;
      r.message = got.unsupported ? fmt::format("unsupported ({}); torch rejects it: {}", *got.unsupported, *expected.error)
                                  : fmt::format("accepted a case torch rejects: {}", *expected.error);
    }
    return r;
  }
  if (got.error || got.unsupported || !got.output) {
    r.passed = false;
    r.message = got.error ? fmt::format("rejected a case torch accepts: {}", *got.error)
                          : got.unsupported ? fmt::format("unsupported: {}", *got.unsupported) : "no output";
    return r;
  }
  compare_tensor("output", *expected.output, *got.output, tol.output, c.type, r);
  for (const auto& [name, e] : expected.grads) {
    auto it = got.grads.find(name);
    if (it == got.grads.end()) {
      if (got.unsupported_grads.count(name)) {  // declared by the program: skipped, and listed by the audit
        r.skipped_grads.push_back(name);
        continue;
      }
      if (r.passed) r.message = fmt::format("gradient of {} missing", name);
      r.passed = false;
      continue;
    }
    auto t = tol.grads.find(name);
    const tensor_tolerance none{};
    compare_tensor("grads." + name, e, it->second, t == tol.grads.end() ? none : t->second, c.type, r);
  }
  for (const auto& [name, g] : got.grads) {
    (void)g;
    if (!expected.grads.count(name)) {
      if (r.passed) r.message = fmt::format("reports a gradient of {} that torch does not define", name);
      r.passed = false;
    }
  }
  return r;
}

}  // namespace losscheck::check
