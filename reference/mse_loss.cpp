// mse_loss in multiprecision, from the definition (torch.nn.functional.mse_loss, LibTorch 1.13.1).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

// L = (x - t)^2, over the broadcast shape of input and target (F.mse_loss broadcasts them first)
// dL/dx = 2 (x - t) g
// dL/dt = 2 (t - x) g = -dL/dx (torch: mse_loss_backward(grad, target, input), which keeps the sign of a zero)
// Gradients of broadcast inputs are summed back to the inputs' shapes.
/// mse_loss: forward and the gradients with respect to input and target.
loss_result mse_loss(const mse_loss_problem& p, const context& ctx) {
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
      none[k] = d * d;
      grad_x[k] = 2 * d * g[i];
      grad_t[k] = 2 * (t[k] - x[k]) * g[i];
    }

    mp_result r;
    r.output = reduce(std::move(none), p.shape, p.red);
    r.grads["input"] = {p.input->shape, divided(sum_to(std::move(grad_x), p.shape, p.input->shape), denominator)};
    r.grads["target"] = {p.target->shape, divided(sum_to(std::move(grad_t), p.shape, p.target->shape), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
