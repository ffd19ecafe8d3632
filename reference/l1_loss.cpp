// l1_loss in multiprecision, from the definition (torch.nn.functional.l1_loss, LibTorch 1.13.1).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {
/// torch's sgn of a real number: 1 above 0, -1 below, 0 at ±0 and for NaN (docs/torch-quirks.md "l1_loss").
mp torch_sign(const mp& d) {
  if (d > 0) return mp(1);
  if (d < 0) return mp(-1);
  return mp(0);
}
}  // namespace

// L = |x - t|, over the broadcast shape of input and target (F.l1_loss broadcasts them first)
// dL/dx = sgn(x - t) g, with sgn(0) = 0 and sgn(NaN) = 0: torch differentiates abs as g * sgn(d) (a NaN or
//         inf - inf difference gets the gradient 0, not NaN; docs/torch-quirks.md)
// dL/dt = -(sgn(x - t) g): torch negates the input's gradient (the subtraction's backward)
// Gradients of broadcast inputs are summed back to the inputs' shapes.
/// l1_loss: forward and the gradients with respect to input and target.
loss_result l1_loss(const l1_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const mp_vector x = expand_to(*p.input, p.shape);
    const mp_vector t = expand_to(*p.target, p.shape);
    const auto n = static_cast<std::int64_t>(x.size());
    const upstream g(ctx, p.red, mp(1));  // divided by the mean's n last (see divided)
    const mp denominator = plain_denominator(p.red, n);

    mp_vector none(x.size()), grad_x(x.size()), grad_t(x.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const mp d = x[k] - t[k];
      none[k] = abs(d);
      grad_x[k] = torch_sign(d) * g[i];
      grad_t[k] = -grad_x[k];
    }

    mp_result r;
    r.output = reduce(std::move(none), p.shape, p.red);
    r.grads["input"] = {p.input->shape, divided(sum_to(std::move(grad_x), p.shape, p.input->shape), denominator)};
    r.grads["target"] = {p.target->shape, divided(sum_to(std::move(grad_t), p.shape, p.target->shape), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
