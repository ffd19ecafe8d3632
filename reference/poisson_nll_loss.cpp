// poisson_nll_loss in multiprecision, from the definition (torch.nn.functional.poisson_nll_loss, LibTorch 1.13.1:
// ATen's composite at::poisson_nll_loss in Loss.cpp, differentiated by autograd).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// A Python float option as ATen meets it in `input + eps`: a scalar converted to the case dtype.
double poisson_scalar_in_dtype(double v, dtype type) {
  return (type == dtype::float32 || is_half(type)) ? static_cast<double>(static_cast<float>(v)) : v;
}

}  // namespace

// Over the broadcast shape of input x and target t, with ĝ the gradient reaching each element and e = eps rounded to
// the case dtype (ATen's `input + eps` converts the scalar; so does its `2 * c10::pi<double> * target`: 2 pi below is
// the double 2 pi rounded to the case dtype):
// log_input = true:   L = e^x - t x                dL/dx = ĝ e^x - ĝ t          dL/dt = -ĝ x
// log_input = false:  L = x - t log(x + e)         dL/dx = ĝ - ĝ t / (x + e)    dL/dt = -ĝ log(x + e)
// full adds, where t > 1, the Stirling term S = t log t - t + log(2 pi t) / 2 (ATen: stirling.masked_fill(t <= 1,
// 0), so t <= 1 adds exactly +0), with dS/dt = ĝ (log t + 1 / (2 t)) there; where t <= 1 the masked gradient 0
// still passes autograd's t log t backward as 0 · log t + (0 · t) / t, which is NaN for t <= 0 (log 0 = -inf,
// 0 / 0; log t < 0 is NaN) whatever the incoming gradient: dL/dt is NaN there (docs/torch-quirks.md).
// The terms are written as torch's expressions so that infinite and NaN operands give torch's pattern (t = inf:
// inf log inf - inf = NaN; x = -inf, t = 0: 0 · -inf = NaN). Gradients of broadcast inputs are summed back to their
// shapes. e^x beyond even MPFR's range (x > ~7e8, float64) is +inf: then L = inf, which is exact after rounding, and
// ĝ e^x is 0 for ĝ = 0.
/// poisson_nll_loss: forward and the gradients with respect to input and target.
loss_result poisson_nll_loss(const poisson_nll_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const mp_vector x = expand_to(*p.input, p.shape);
    const mp_vector t = expand_to(*p.target, p.shape);
    const auto n = static_cast<std::int64_t>(x.size());
    const upstream g(ctx, p.red, mp(1));  // divided by the mean's n last (see divided)
    const mp denominator = plain_denominator(p.red, n);
    const mp eps = poisson_scalar_in_dtype(p.eps, ctx.out_type);
    const mp two_pi = poisson_scalar_in_dtype(2 * 3.14159265358979323846, ctx.out_type);  // 2 * c10::pi<double>, a scalar

    // Per element of the broadcast shape: the loss, and the gradient parts autograd forms there (ĝ, ĝ t, the
    // target's -ĝ x or -ĝ log(x + e)); the parts of the terms torch forms on an input's own shape (e^x and
    // log(x + e) on the input's, the Stirling term on the target's) meet the incoming gradient after it is summed
    // over the broadcast copies, as autograd's sum_to does first: (Σ ĝ) e^x, not Σ (ĝ e^x) (x = inf with ĝ of both
    // signs: inf, not inf - inf = NaN).
    mp_vector none(x.size()), ones(x.size()), g_t(x.size()), grad_t(x.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const mp& xi = x[k];
      const mp& ti = t[k];
      ones[k] = g[i];
      g_t[k] = g[i] * ti;
      if (p.log_input) {
        none[k] = exp(xi) - ti * xi;
        grad_t[k] = -(g[i] * xi);
      } else {
        const mp l = log(xi + eps);
        none[k] = xi - ti * l;
        grad_t[k] = -(g[i] * l);
      }
      if (p.full && ti > 1) none[k] += ti * log(ti) - ti + log(two_pi * ti) / 2;
      else if (p.full) none[k] += 0;  // masked_fill(t <= 1, 0): +0 (a -0 loss becomes +0, as torch's in-place add)
    }
    // the input: (Σ ĝ) e^x - Σ ĝ t, or (Σ ĝ) - (Σ ĝ t) / (x + e)
    const mp_vector gx_sum = sum_to(ones, p.shape, p.input->shape), gxt_sum = sum_to(g_t, p.shape, p.input->shape);
    mp_vector grad_x(gx_sum.size());
    for (std::size_t j = 0; j < grad_x.size(); ++j) {
      const mp xj = p.input->values[j];
      if (p.log_input) {
        const mp e = exp(xj);
        // ĝ e^x is 0 for ĝ = 0 also where e^x is beyond MPFR's range (x > ~7e8): the exact value
        grad_x[j] = isinf(e) && is_finite(xj) && gx_sum[j] == 0 ? mp(-gxt_sum[j]) : mp(gx_sum[j] * e - gxt_sum[j]);
      } else {
        grad_x[j] = gx_sum[j] - gxt_sum[j] / (xj + eps);
      }
    }
    // the target: Σ of its per-element parts, plus (full) the Stirling term's on the target's own shape with
    // G = Σ ĝ: autograd's paths G log t + (G t) / t - G + (G / 2) / t where t > 1 (NaN at t = inf, as torch's); where
    // t <= 1 the masked 0 still meets t log t's backward, 0 · log t + (0 · t) / t: NaN for t <= 0 (and t NaN)
    mp_vector gt = sum_to(std::move(grad_t), p.shape, p.target->shape);
    if (p.full) {
      const mp_vector gt_sum = sum_to(std::move(ones), p.shape, p.target->shape);
      for (std::size_t j = 0; j < gt.size(); ++j) {
        const mp tj = p.target->values[j];
        const mp& G = gt_sum[j];
        if (tj > 1) gt[j] += G * log(tj) + G * tj / tj - G + G / 2 / tj;
        else if (!(tj > 0)) gt[j] = nan_value();
      }
    }

    mp_result r;
    r.output = reduce(std::move(none), p.shape, p.red);
    r.grads["input"] = {p.input->shape, divided(std::move(grad_x), denominator)};
    r.grads["target"] = {p.target->shape, divided(std::move(gt), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
