// triplet_margin_loss (torch: Loss.cpp triplet_margin_loss over Distance.cpp pairwise_distance, a composite whose
// gradients are autograd's).
#include "losscheck/impl/triplet_margin_loss.h"

#include <cmath>
#include <limits>
#include <vector>

#include "accumulate.h"
#include "case_io.h"
#include "losses.h"
#include "reduction.h"
#include "vector_math.h"

namespace losscheck::impl {
namespace {

// The p = 2 row kernels, 4 double lanes (vector_math.h), compiled for AVX2 and generic x86-64 (simd::dispatch) with
// the same operations in the same order (no FMA), so both builds give bit-identical results.
//
// Error analysis (u = 2^-53, n = the row length): float32 rows: a - p is exact in double when the two are within a
// factor 2 of each other and otherwise rounded once (relative u), + eps once more; the squares and the n / 4 + 3
// additions per lane add (n / 4 + 3) u of Σ u_k^2: at n = 512 about 2^-46 relative, so the float32 result is within
// 0.5 ULP plus 2^-22 ULP of the norm of the exact differences. float64 rows: the same bound in units of double
// (n / 4 + 5 roundings of the norm's scale); torch's own sum, sequential in the dtype, has up to n.
namespace row_lanes {
using namespace simd;

// out = {Σ u^2, Σ v^2, Σ w^2} with u = a - p + eps, v = a - n + eps, w = p - n + eps (w only when `swap`); the tail
// (n mod 4 elements) in scalar double, added last.
struct squares_kernel {
  template <class Build, class T>
  LOSSCHECK_INLINE void operator()(Build, const T* a, const T* p, const T* n, std::int64_t dim, double eps, bool swap,
                                   double* out) const {
    const vd e = splat(eps);
    vd su = splat(0.0), sv = su, sw = su;
    std::int64_t i = 0;
    if (swap) {
      for (; i + lanes <= dim; i += lanes) {
        const vd av = load(a + i), pv = load(p + i), nv = load(n + i);
        const vd u = (av - pv) + e, v = (av - nv) + e, w = (pv - nv) + e;
        su += u * u;
        sv += v * v;
        sw += w * w;
      }
    } else {
      for (; i + lanes <= dim; i += lanes) {
        const vd av = load(a + i), pv = load(p + i), nv = load(n + i);
        const vd u = (av - pv) + e, v = (av - nv) + e;
        su += u * u;
        sv += v * v;
      }
    }
    double tu = horizontal_sum(su), tv = horizontal_sum(sv), tw = horizontal_sum(sw);
    for (; i < dim; ++i) {
      const double av = static_cast<double>(a[i]), pv = static_cast<double>(p[i]), nv = static_cast<double>(n[i]);
      const double u = (av - pv) + eps, v = (av - nv) + eps, w = (pv - nv) + eps;
      tu += u * u;
      tv += v * v;
      if (swap) tw += w * w;
    }
    out[0] = tu;
    out[1] = tv;
    out[2] = tw;
  }
};

// grad_a = cu u + cv v, grad_p = -cu u + cw w, grad_n = -cv v - cw w (c = the incoming gradient over the norm).
struct gradient_kernel {
  template <class Build, class T, class G>
  LOSSCHECK_INLINE void operator()(Build, const T* a, const T* p, const T* n, std::int64_t dim, double eps,
                                   bool swap, const double* c, G* ga, G* gp, G* gn) const {
    const vd e = splat(eps), cu = splat(c[0]), cv = splat(c[1]), cw = splat(c[2]);
    std::int64_t i = 0;
    for (; i + lanes <= dim; i += lanes) {
      const vd av = load(a + i), pv = load(p + i), nv = load(n + i);
      const vd u = cu * ((av - pv) + e), v = cv * ((av - nv) + e);
      const vd w = swap ? cw * ((pv - nv) + e) : splat(0.0);
      if (ga) store(ga + i, u + v);
      if (gp) store(gp + i, w - u);
      if (gn) store(gn + i, (splat(0.0) - v) - w);
    }
    for (; i < dim; ++i) {
      const double av = static_cast<double>(a[i]), pv = static_cast<double>(p[i]), nv = static_cast<double>(n[i]);
      const double u = c[0] * ((av - pv) + eps), v = c[1] * ((av - nv) + eps), w = swap ? c[2] * ((pv - nv) + eps) : 0.0;
      if (ga) ga[i] = static_cast<G>(u + v);
      if (gp) gp[i] = static_cast<G>(w - u);
      if (gn) gn[i] = static_cast<G>((0.0 - v) - w);
    }
  }
};
}  // namespace row_lanes

double sign_of(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }  // ATen: sgn(NaN) = 0

/// ‖x‖_p of a row given as the generator x(k), k < dim, in double.
template <class F>
double general_norm(F x, std::int64_t dim, double p) {
  double s = 0;
  if (p == 1) {
    for (std::int64_t k = 0; k < dim; ++k) s += std::fabs(x(k));
    return s;
  }
  for (std::int64_t k = 0; k < dim; ++k) s += std::pow(std::fabs(x(k)), p);
  return p == 2 ? std::sqrt(s) : std::pow(s, 1 / p);
}

/// torch 1.13's norm_backward, element k (docs/torch-quirks.md): the gradient of ‖x‖_p at x_k with incoming gx.
double norm_backward(double xk, double norm, double gx, double p) {
  if (p == 1) return sign_of(xk) * gx;
  if (p == 2) return gx * (norm == 0 ? 0.0 : xk / norm);
  if (p < 1) return sign_of(xk) * (xk == 0 ? 0.0 : std::pow(std::fabs(xk), p - 1)) * gx * std::pow(norm, 1 - p);
  const double scale = norm == 0 ? 0.0 : gx / std::pow(norm, p - 1);
  return (p < 2 ? sign_of(xk) * std::pow(std::fabs(xk), p - 1) : xk * std::pow(std::fabs(xk), p - 2)) * scale;
}

/// Whether c = gx / norm can stand for torch's gx (x / norm) element by element: c is 0 or a normal finite number
/// and so is 1 / norm (otherwise the product c x_k could overflow or lose digits where x_k / norm does not).
bool plain_scale(double gx, double norm) {
  if (!(norm > 0) || !std::isfinite(norm)) return false;
  const double c = gx / norm, inv = 1 / norm;
  const auto normal_or_zero = [](double v) { return v == 0 || std::isnormal(v); };
  return std::isfinite(gx) && normal_or_zero(c) && normal_or_zero(inv);
}

}  // namespace

// d_ap = ‖a - p + eps‖_p,  d_an = ‖a - n + eps‖_p,  d_n = d_an (swap: min(d_an, ‖p - n + eps‖_p))
// L = max(margin + d_ap - d_n, 0)
template <class T>
void triplet_margin_loss_forward(const triplet_margin_loss_args<T>& args, T* output) {
  triplet_margin_loss_forward_backward<T, T>(args, nullptr, output, nullptr, nullptr, nullptr);
}

// gh = g [h >= 0];  g_an, g_pn: minimum's backward of -gh (without swap g_an = -gh, g_pn = 0)
// grad_a = gh ∂‖u‖ + g_an ∂‖v‖,  grad_p = -gh ∂‖u‖ + g_pn ∂‖w‖,  grad_n = -g_an ∂‖v‖ - g_pn ∂‖w‖
template <class T, class G>
void triplet_margin_loss_forward_backward(const triplet_margin_loss_args<T>& args, const T* grad_output, T* output,
                                          G* grad_anchor, G* grad_positive, G* grad_negative) {
  const std::int64_t rows = args.rows, dim = args.dim;
  const double margin = static_cast<double>(static_cast<T>(args.margin));
  const double eps = static_cast<double>(static_cast<T>(args.eps));
  const double p = args.p;
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, rows));
  const bool backward = grad_anchor || grad_positive || grad_negative;
  const std::int64_t cols_ap = args.cols_ap ? args.cols_ap : dim, cols_an = args.cols_an ? args.cols_an : dim,
                     cols_pn = args.cols_pn ? args.cols_pn : dim;
  const bool full = cols_ap == dim && cols_an == dim && cols_pn == dim;
  sum_accumulator<T> total;
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* a = args.anchor + r * dim;
    const T* pp = args.positive + r * dim;
    const T* n = args.negative + r * dim;
    double d_ap = 0, d_an = 0, d_pn = 0;
    if (p == 2 && full) {
      double sums[3];
      simd::dispatch(row_lanes::squares_kernel{}, a, pp, n, dim, eps, args.swap, sums);
      d_ap = std::sqrt(sums[0]);
      d_an = std::sqrt(sums[1]);
      d_pn = std::sqrt(sums[2]);
    } else {
      auto diff = [&](const T* x, const T* y) {
        return [x, y, eps](std::int64_t k) { return (static_cast<double>(x[k]) - static_cast<double>(y[k])) + eps; };
      };
      d_ap = general_norm(diff(a, pp), cols_ap, p);
      d_an = general_norm(diff(a, n), cols_an, p);
      if (args.swap) d_pn = general_norm(diff(pp, n), cols_pn, p);
    }
    double d_n = d_an;
    if (args.swap) d_n = std::isnan(d_an) || std::isnan(d_pn) ? std::numeric_limits<double>::quiet_NaN()
                                                              : (d_pn < d_an ? d_pn : d_an);
    const double h = (margin + d_ap) - d_n;
    if (output) {
      const double loss = h < 0 ? 0.0 : h;  // clamp_min keeps a NaN
      if (none)
        output[r] = static_cast<T>(loss);
      else
        total.add(loss);
    }
    if (!backward) continue;
    const double gh = h >= 0 ? upstream.at(r) : 0.0;
    double g_an = -gh, g_pn = 0.0;
    if (args.swap) {
      const bool tie = d_an == d_pn;
      g_an = tie ? -gh / 2 : d_an > d_pn ? 0.0 : -gh;
      g_pn = tie ? -gh / 2 : d_an < d_pn ? 0.0 : -gh;
    }
    G* ga = grad_anchor ? grad_anchor + r * dim : nullptr;
    G* gp = grad_positive ? grad_positive + r * dim : nullptr;
    G* gn = grad_negative ? grad_negative + r * dim : nullptr;
    if (p == 2 && full && plain_scale(gh, d_ap) && plain_scale(g_an, d_an) && (!args.swap || plain_scale(g_pn, d_pn))) {
      const double c[3] = {gh / d_ap, g_an / d_an, args.swap ? g_pn / d_pn : 0.0};
      simd::dispatch(row_lanes::gradient_kernel{}, a, pp, n, dim, eps, args.swap, c, ga, gp, gn);
      continue;
    }
    for (std::int64_t k = 0; k < dim; ++k) {
      const double av = static_cast<double>(a[k]), pv = static_cast<double>(pp[k]), nv = static_cast<double>(n[k]);
      const double bu = k < cols_ap ? norm_backward((av - pv) + eps, d_ap, gh, p) : 0.0;
      const double bv = k < cols_an ? norm_backward((av - nv) + eps, d_an, g_an, p) : 0.0;
      const double bw = args.swap && k < cols_pn ? norm_backward((pv - nv) + eps, d_pn, g_pn, p) : 0.0;
      if (ga) ga[k] = static_cast<G>(bu + bv);
      if (gp) gp[k] = static_cast<G>(args.swap ? -bu + bw : -bu);
      if (gn) gn[k] = static_cast<G>(args.swap ? -bv - bw : -bv);
    }
  }
  if (output && !none)
    output[0] = static_cast<T>(args.red == reduction::sum ? total.value() : total.value() / static_cast<double>(rows));
}

template void triplet_margin_loss_forward(const triplet_margin_loss_args<float>&, float*);
template void triplet_margin_loss_forward(const triplet_margin_loss_args<double>&, double*);
template void triplet_margin_loss_forward_backward(const triplet_margin_loss_args<float>&, const float*, float*, float*,
                                                   float*, float*);
template void triplet_margin_loss_forward_backward(const triplet_margin_loss_args<float>&, const float*, float*,
                                                   double*, double*, double*);
template void triplet_margin_loss_forward_backward(const triplet_margin_loss_args<double>&, const double*, double*,
                                                   double*, double*, double*);

namespace detail {

loss_result triplet_margin_loss(const triplet_margin_loss_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    // The three inputs expanded to the broadcast shape; the gradients summed back onto each input's shape.
    const auto anchor = broadcast_values<T>(*p.anchor, p.pair_shape);
    const auto positive = broadcast_values<T>(*p.positive, p.pair_shape);
    const auto negative = broadcast_values<T>(*p.negative, p.pair_shape);
    const auto grad_output = grad_output_values<T>(ctx);
    triplet_margin_loss_args<T> args;
    args.anchor = anchor.data();
    args.positive = positive.data();
    args.negative = negative.data();
    args.rows = checked_numel(p.none_shape);
    args.dim = p.pair_shape.empty() ? 1 : p.pair_shape.back();
    args.cols_ap = p.cols_ap;
    args.cols_an = p.cols_an;
    args.cols_pn = p.cols_pn;
    args.margin = p.margin;
    args.p = p.p;
    args.eps = p.eps;
    args.swap = p.swap;
    args.red = p.red;
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> ga(anchor.size()), gp(anchor.size()), gn(anchor.size());
    triplet_margin_loss_forward_backward(args, data_or_null(grad_output), output.data(), ga.data(), gp.data(),
                                         gn.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["anchor"] = sum_to_shape<T>(ctx.type, ga, p.pair_shape, p.anchor->shape);
    r.grads["positive"] = sum_to_shape<T>(ctx.type, gp, p.pair_shape, p.positive->shape);
    r.grads["negative"] = sum_to_shape<T>(ctx.type, gn, p.pair_shape, p.negative->shape);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
