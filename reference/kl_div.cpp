// kl_div in multiprecision, from the definition (torch.nn.functional.kl_div, LibTorch 1.13.1: a composite of
// xlogy, exp, sub and mul, differentiated by autograd; batchmean is made by F.kl_div from the sum).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// torch.xlogy(a, b): NaN if b is NaN, else 0 if a == 0, else a log b.
mp xlogy(const mp& a, const mp& b) {
  if (is_nan(b)) return b;
  if (a == 0) return mp(0);
  return a * log(b);
}

}  // namespace

// Over the broadcast shape of input x and target t, with ĝ the gradient reaching each element:
// log_target = false: L = xlogy(t, t) - t x                 (t = 0 -> 0, t < 0 -> NaN)
//   dL/dx = -ĝ t
//   dL/dt = ĝ (log t + 1 - x), term by term as autograd forms it from xlogy's derivatives (derivatives.yaml:
//           self: xlogy(grad, other) masked to 0 where self == 0 and other <= 0; other: grad * self / other):
//           (t == 0 ? 0 : xlogy(ĝ, t)) + ĝ t / t - ĝ x, so NaN at t = 0 (0/0) and for t < 0 unless ĝ = 0
// log_target = true:  L = e^t (t - x)
//   dL/dx = -ĝ e^t
//   dL/dt = ĝ (t - x) e^t + ĝ e^t
// mean = sum / numel; batchmean = sum / input.size(0) (no division for a 0-D input). F.kl_div quirk: with a legacy
// size_average/reduce flag and reduction='batchmean', the legacy reduction's result (none, mean or sum) is divided by
// input.size(0) as well (problem.legacy_batchmean). Gradients of broadcast inputs are summed back to their shapes.
/// kl_div: forward and the gradients with respect to input and target.
loss_result kl_div(const kl_div_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const mp_vector x = expand_to(*p.input, p.shape);
    const mp_vector t = expand_to(*p.target, p.shape);
    const auto n = static_cast<std::int64_t>(x.size());
    const mp batch = static_cast<double>(p.batch_size);
    const mp denominator = p.red == reduction::batchmean ? batch : plain_denominator(p.red, n);
    // The legacy-flag quirk divides the none / mean / sum result by the batch size once more.
    const mp grad_denominator = p.legacy_batchmean ? mp(denominator * batch) : denominator;
    const upstream g(ctx, p.red, mp(1));  // divided by grad_denominator last (see divided)

    mp_vector none(x.size()), grad_x(x.size()), grad_t(x.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      if (p.log_target) {
        const mp e = exp(t[k]);
        none[k] = e * (t[k] - x[k]);
        grad_x[k] = -(g[i] * e);
        grad_t[k] = g[i] * (t[k] - x[k]) * e + g[i] * e;
        if (isinf(e) && isfinite(t[k]) && isfinite(x[k]) && isfinite(g[i])) {
          // e^t beyond even MPFR's exponent range (t > ~7e8): the exact values, not inf * 0 = NaN or inf - inf:
          // e^t (t - x) is 0 at t = x, e^t g is 0 at g = 0, and g e^t (t - x + 1) is one signed infinity.
          if (t[k] == x[k]) none[k] = 0;
          const mp factor = g[i] * (t[k] - x[k] + 1);
          grad_t[k] = factor == 0 ? mp(0) : factor * e;
        }
        // -g e^t does not involve x: 0 at g = 0 whatever x is (a NaN x included; audit seed 4, t = 2^30)
        if (isinf(e) && isfinite(t[k]) && g[i] == 0) grad_x[k] = 0;
      } else {
        none[k] = xlogy(t[k], t[k]) - t[k] * x[k];
        grad_x[k] = -(g[i] * t[k]);
        const mp self_grad = t[k] == 0 ? mp(0) : xlogy(g[i], t[k]);
        grad_t[k] = self_grad + g[i] * t[k] / t[k] - g[i] * x[k];
      }
    }

    mp_result r;
    r.output =
        p.red == reduction::batchmean ? scalar(sum(none) / denominator) : reduce(std::move(none), p.shape, p.red);
    if (p.legacy_batchmean)
      for (auto& v : r.output.values) v /= batch;
    r.grads["input"] = {p.input->shape, divided(sum_to(std::move(grad_x), p.shape, p.input->shape), grad_denominator)};
    r.grads["target"] = {p.target->shape,
                         divided(sum_to(std::move(grad_t), p.shape, p.target->shape), grad_denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
