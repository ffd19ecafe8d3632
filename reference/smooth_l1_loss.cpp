// smooth_l1_loss in multiprecision, from the definition (torch.nn.functional.smooth_l1_loss, LibTorch 1.13.1).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {
/// ATen's smooth_l1_loss_backward for d = first - second: -1 for d <= -b, 1 for d >= b, d / b between (so at b = 0
/// a zero difference gives -1, and a NaN difference NaN; docs/torch-quirks.md "smooth_l1_loss").
mp smooth_l1_derivative(const mp& d, const mp& b) {
  if (d <= -b) return mp(-1);
  if (d >= b) return mp(1);
  return d / b;
}
}  // namespace

// With d = x - t and b = beta rounded to the case dtype (ATen's `scalar_t beta_val(beta)`):
// L = 0.5 d^2 / b where |d| < b, else |d| - 0.5 b      (b = 0: |d|, l1_loss's values; a NaN d: NaN)
// dL/dx = s(x - t) g,  dL/dt = s(t - x) g,  s(e) = -1 for e <= -b, 1 for e >= b, e / b between
//   (torch differentiates the target with the arguments swapped, not by negating: at b = 0 and x = t both
//    gradients are -g; docs/torch-quirks.md)
// Gradients of broadcast inputs are summed back to the inputs' shapes.
/// smooth_l1_loss: forward and the gradients with respect to input and target.
loss_result smooth_l1_loss(const smooth_l1_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const mp_vector x = expand_to(*p.input, p.shape);
    const mp_vector t = expand_to(*p.target, p.shape);
    const auto n = static_cast<std::int64_t>(x.size());
    const upstream g(ctx, p.red, mp(1));  // divided by the mean's n last (see divided)
    const mp denominator = plain_denominator(p.red, n);
    const mp b(round_to(mp(p.beta), scalar_dtype(ctx.out_type)));

    mp_vector none(x.size()), grad_x(x.size()), grad_t(x.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const mp d = x[k] - t[k];
      const mp z = abs(d);
      none[k] = z < b ? mp(0.5) * d * d / b : z - mp(0.5) * b;
      grad_x[k] = smooth_l1_derivative(d, b) * g[i];
      grad_t[k] = smooth_l1_derivative(t[k] - x[k], b) * g[i];
    }

    mp_result r;
    r.output = reduce(std::move(none), p.shape, p.red);
    r.grads["input"] = {p.input->shape, divided(sum_to(std::move(grad_x), p.shape, p.input->shape), denominator)};
    r.grads["target"] = {p.target->shape, divided(sum_to(std::move(grad_t), p.shape, p.target->shape), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
