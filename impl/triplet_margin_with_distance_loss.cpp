// triplet_margin_with_distance_loss (torch: functional.py's composite of a distance, torch.min and torch.clamp,
// differentiated by autograd).
#include "losscheck/impl/triplet_margin_with_distance_loss.h"

#include <cmath>
#include <limits>
#include <vector>

#include "accumulate.h"
#include "case_io.h"
#include "losscheck/impl/triplet_margin_loss.h"
#include "losses.h"
#include "reduction.h"
#include "vector_math.h"

namespace losscheck::impl {
namespace {

// The cosine distance's row kernels, 4 double lanes (vector_math.h), compiled for AVX2 and generic x86-64 with the
// same operations in the same order (no FMA). Error analysis (u = 2^-53, n = the row length): each of Σx², Σy², Σxy
// is a double sum of n products (exact for float32 data; one rounding each for float64) in n / 4 + 3 additions
// per lane: within (n / 4 + 4) u of Σ|terms|; cos = Σxy / (N_x N_y) adds 4 roundings.
namespace row_lanes {
using namespace simd;

// out = {Σ x², Σ y², Σ x y}
struct cosine_sums_kernel {
  template <class Build, class T>
  LOSSCHECK_INLINE void operator()(Build, const T* x, const T* y, std::int64_t n, double* out) const {
    vd xx = splat(0.0), yy = xx, xy = xx;
    std::int64_t i = 0;
    for (; i + lanes <= n; i += lanes) {
      const vd xv = load(x + i), yv = load(y + i);
      xx += xv * xv;
      yy += yv * yv;
      xy += xv * yv;
    }
    double sxx = horizontal_sum(xx), syy = horizontal_sum(yy), sxy = horizontal_sum(xy);
    for (; i < n; ++i) {
      const double xv = static_cast<double>(x[i]), yv = static_cast<double>(y[i]);
      sxx += xv * xv;
      syy += yv * yv;
      sxy += xv * yv;
    }
    out[0] = sxx;
    out[1] = syy;
    out[2] = sxy;
  }
};

// grad_a = c[0] a + c[1] p + c[2] n,  grad_p = c[3] a + c[4] p + c[5] n,  grad_n = c[6] a + c[7] p + c[8] n
struct combination_kernel {
  template <class Build, class T, class G>
  LOSSCHECK_INLINE void operator()(Build, const T* a, const T* p, const T* n, std::int64_t dim, const double* c, G* ga,
                                   G* gp, G* gn) const {
    std::int64_t i = 0;
    for (; i + lanes <= dim; i += lanes) {
      const vd av = load(a + i), pv = load(p + i), nv = load(n + i);
      if (ga) store(ga + i, (splat(c[0]) * av + splat(c[1]) * pv) + splat(c[2]) * nv);
      if (gp) store(gp + i, (splat(c[3]) * av + splat(c[4]) * pv) + splat(c[5]) * nv);
      if (gn) store(gn + i, (splat(c[6]) * av + splat(c[7]) * pv) + splat(c[8]) * nv);
    }
    for (; i < dim; ++i) {
      const double av = static_cast<double>(a[i]), pv = static_cast<double>(p[i]), nv = static_cast<double>(n[i]);
      if (ga) ga[i] = static_cast<G>((c[0] * av + c[1] * pv) + c[2] * nv);
      if (gp) gp[i] = static_cast<G>((c[3] * av + c[4] * pv) + c[5] * nv);
      if (gn) gn[i] = static_cast<G>((c[6] * av + c[7] * pv) + c[8] * nv);
    }
  }
};
}  // namespace row_lanes

/// One cosine distance of a row pair: 1 − cos with N_x = max(‖x‖, eps), N_y = max(‖y‖, eps); `plain` when
/// cos = Σxy / (N_x N_y) and the gradient factors can be formed directly (every intermediate finite and normal or
/// zero); otherwise the row is evaluated term by term in torch's order (x_k / N_x)(y_k / N_y).
struct cosine_distance {
  double value = 0, cos = 0, nx = 0, ny = 0;
  bool plain = true;
};

template <class T>
cosine_distance cosine_of(const T* x, const T* y, std::int64_t n, bool full, std::int64_t dim, double eps) {
  double s[3] = {0, 0, 0};
  if (full)
    simd::dispatch(row_lanes::cosine_sums_kernel{}, x, y, dim, s);
  else
    for (std::int64_t k = 0; k < n; ++k) {
      const double xv = static_cast<double>(x[k]), yv = static_cast<double>(y[k]);
      s[0] += xv * xv;
      s[1] += yv * yv;
      s[2] += xv * yv;
    }
  cosine_distance d;
  d.nx = std::max(std::sqrt(s[0]), eps);
  d.ny = std::max(std::sqrt(s[1]), eps);
  if (std::isnan(s[0])) d.nx = s[0];
  if (std::isnan(s[1])) d.ny = s[1];
  const double den = d.nx * d.ny;
  const auto ok = [](double v) { return v == 0 || std::isnormal(v); };
  d.plain = ok(s[0]) && ok(s[1]) && ok(s[2]) && ok(den) && ok(1 / den) && ok(d.nx * d.nx) && ok(d.ny * d.ny);
  if (d.plain) {
    d.cos = s[2] / den;
  } else {
    double c = 0;
    for (std::int64_t k = 0; k < n; ++k)
      c += (static_cast<double>(x[k]) / d.nx) * (static_cast<double>(y[k]) / d.ny);
    d.cos = c;
  }
  d.value = 1 - d.cos;
  return d;
}

}  // namespace

// h = (d(a, p) − d_n) + margin,  L = max(h, 0)
template <class T>
void triplet_margin_with_distance_loss_forward(const triplet_margin_with_distance_loss_args<T>& args, T* output) {
  triplet_margin_with_distance_loss_forward_backward<T, T>(args, nullptr, output, nullptr, nullptr, nullptr);
}

// pairwise_distance: triplet_margin_loss's kernels with p = 2, eps = 1e-6 (the same mathematics).
// cosine: d = 1 − cos;  with c = the incoming gradient of d,  dd/dx = −(y / (N_x N_y) − cos x / N_x²)
template <class T, class G>
void triplet_margin_with_distance_loss_forward_backward(const triplet_margin_with_distance_loss_args<T>& args,
                                                        const T* grad_output, T* output, G* grad_anchor,
                                                        G* grad_positive, G* grad_negative) {
  const std::int64_t rows = args.rows, dim = args.dim;
  const std::int64_t cols_ap = args.cols_ap ? args.cols_ap : dim, cols_an = args.cols_an ? args.cols_an : dim,
                     cols_pn = args.cols_pn ? args.cols_pn : dim;
  if (args.distance == triplet_distance::pairwise) {
    triplet_margin_loss_args<T> t;
    t.anchor = args.anchor;
    t.positive = args.positive;
    t.negative = args.negative;
    t.rows = rows;
    t.dim = dim;
    t.cols_ap = cols_ap;
    t.cols_an = cols_an;
    t.cols_pn = cols_pn;
    t.margin = args.margin;
    t.p = 2.0;
    t.eps = 1e-6;
    t.swap = args.swap;
    t.red = args.red;
    triplet_margin_loss_forward_backward<T, G>(t, grad_output, output, grad_anchor, grad_positive, grad_negative);
    return;
  }
  const double margin = static_cast<double>(static_cast<T>(args.margin));
  const double eps = static_cast<double>(static_cast<T>(1e-8));
  const bool full = cols_ap == dim && cols_an == dim && cols_pn == dim;
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, rows));
  const bool backward = grad_anchor || grad_positive || grad_negative;
  sum_accumulator<T> total;
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* a = args.anchor + r * dim;
    const T* p = args.positive + r * dim;
    const T* n = args.negative + r * dim;
    const cosine_distance ap = cosine_of(a, p, cols_ap, full, dim, eps), an = cosine_of(a, n, cols_an, full, dim, eps);
    const cosine_distance pn = args.swap ? cosine_of(p, n, cols_pn, full, dim, eps) : cosine_distance{};
    double d_n = an.value;
    if (args.swap)
      d_n = std::isnan(an.value) || std::isnan(pn.value) ? std::numeric_limits<double>::quiet_NaN()
                                                         : (pn.value < an.value ? pn.value : an.value);
    const double h = (ap.value - d_n) + margin;
    if (output) {
      const double loss = h < 0 ? 0.0 : h;
      if (none)
        output[r] = static_cast<T>(loss);
      else
        total.add(loss);
    }
    if (!backward) continue;
    const double gh = h >= 0 ? upstream.at(r) : 0.0;
    double g_an = -gh, g_pn = 0.0;
    if (args.swap) {
      const bool tie = an.value == pn.value;
      g_an = tie ? -gh / 2 : an.value > pn.value ? 0.0 : -gh;
      g_pn = tie ? -gh / 2 : an.value < pn.value ? 0.0 : -gh;
    }
    G* ga = grad_anchor ? grad_anchor + r * dim : nullptr;
    G* gp = grad_positive ? grad_positive + r * dim : nullptr;
    G* gn = grad_negative ? grad_negative + r * dim : nullptr;
    // (x, y) with incoming c: x gets αx x + β y, y gets αy y + β x;  αx = c cos / N_x², αy = c cos / N_y²,
    // β = −c / (N_x N_y)
    struct coefficients {
      double ax = 0, ay = 0, b = 0;
    };
    auto coefficients_of = [](const cosine_distance& d, double c) {
      return coefficients{c * d.cos / (d.nx * d.nx), c * d.cos / (d.ny * d.ny), -c / (d.nx * d.ny)};
    };
    const bool plain = ap.plain && an.plain && (!args.swap || pn.plain);
    if (full && plain) {
      const coefficients x = coefficients_of(ap, gh), y = coefficients_of(an, g_an),
                         z = args.swap ? coefficients_of(pn, g_pn) : coefficients{};
      const double c[9] = {x.ax + y.ax, x.b,         y.b,  //
                           x.b,         x.ay + z.ax, z.b,  //
                           y.b,         z.b,         y.ay + z.ay};
      simd::dispatch(row_lanes::combination_kernel{}, a, p, n, dim, c, ga, gp, gn);
      continue;
    }
    // term by term, with the divisions first as torch forms (x_k / N_x)(y_k / N_y)
    auto term = [](const cosine_distance& d, double c, double self, double other, double n_self) {
      return -c * ((other / d.ny) / d.nx - d.cos * ((self / n_self) / n_self));
    };
    for (std::int64_t k = 0; k < dim; ++k) {
      const double av = static_cast<double>(a[k]), pv = static_cast<double>(p[k]), nv = static_cast<double>(n[k]);
      double sa = 0, sp = 0, sn = 0;
      if (k < cols_ap) {
        sa += term(ap, gh, av, pv, ap.nx);
        sp += -gh * ((av / ap.nx) / ap.ny - ap.cos * ((pv / ap.ny) / ap.ny));
      }
      if (k < cols_an) {
        sa += term(an, g_an, av, nv, an.nx);
        sn += -g_an * ((av / an.nx) / an.ny - an.cos * ((nv / an.ny) / an.ny));
      }
      if (args.swap && k < cols_pn) {
        sp += term(pn, g_pn, pv, nv, pn.nx);
        sn += -g_pn * ((pv / pn.nx) / pn.ny - pn.cos * ((nv / pn.ny) / pn.ny));
      }
      if (ga) ga[k] = static_cast<G>(sa);
      if (gp) gp[k] = static_cast<G>(sp);
      if (gn) gn[k] = static_cast<G>(sn);
    }
  }
  if (output && !none)
    output[0] = static_cast<T>(args.red == reduction::sum ? total.value() : total.value() / static_cast<double>(rows));
}

template void triplet_margin_with_distance_loss_forward(const triplet_margin_with_distance_loss_args<float>&, float*);
template void triplet_margin_with_distance_loss_forward(const triplet_margin_with_distance_loss_args<double>&,
                                                        double*);
template void triplet_margin_with_distance_loss_forward_backward(const triplet_margin_with_distance_loss_args<float>&,
                                                                 const float*, float*, float*, float*, float*);
template void triplet_margin_with_distance_loss_forward_backward(const triplet_margin_with_distance_loss_args<float>&,
                                                                 const float*, float*, double*, double*, double*);
template void triplet_margin_with_distance_loss_forward_backward(const triplet_margin_with_distance_loss_args<double>&,
                                                                 const double*, double*, double*, double*, double*);

namespace detail {

loss_result triplet_margin_with_distance_loss(const triplet_margin_with_distance_loss_problem& p,
                                              const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto anchor = broadcast_values<T>(*p.anchor, p.pair_shape);
    const auto positive = broadcast_values<T>(*p.positive, p.pair_shape);
    const auto negative = broadcast_values<T>(*p.negative, p.pair_shape);
    const auto grad_output = grad_output_values<T>(ctx);
    triplet_margin_with_distance_loss_args<T> args;
    args.anchor = anchor.data();
    args.positive = positive.data();
    args.negative = negative.data();
    args.rows = checked_numel(p.none_shape);
    args.dim = p.pair_shape.empty() ? 1 : p.pair_shape.back();
    args.cols_ap = p.cols_ap;
    args.cols_an = p.cols_an;
    args.cols_pn = p.cols_pn;
    args.distance = p.distance;
    args.margin = p.margin;
    args.swap = p.swap;
    args.red = p.red;
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> ga(anchor.size()), gp(anchor.size()), gn(anchor.size());
    triplet_margin_with_distance_loss_forward_backward(args, data_or_null(grad_output), output.data(), ga.data(),
                                                       gp.data(), gn.data());
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
