// mse_loss in multiprecision, from the definition (torch.nn.functional.mse_loss, LibTorch 1.13.1).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

// L = (x - t)^2, over the broadcast shape of input and target (F.mse_loss broadcasts them first)
// dL/dx = 2 (x - t) g
// dL/dt = -dL/dx (torch: mse_loss_backward(grad, target, input) = 2 (t - x) g)
// Gradients of broadcast inputs are summed back to the inputs' shapes.
/// mse_loss: forward and the gradients with respect to input and target.
loss_result mse_loss(const mse_loss_problem& p, const context& ctx) {
  const working_precision precision(ctx.precision_bits);
  const mp_vector x = expand_to(*p.input, p.shape);
  const mp_vector t = expand_to(*p.target, p.shape);
  const auto n = static_cast<std::int64_t>(x.size());
  const upstream g(ctx, p.red, plain_denominator(p.red, n));

  mp_vector none(x.size()), grad_x(x.size()), grad_t(x.size());
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const mp d = x[k] - t[k];
    none[k] = d * d;
    grad_x[k] = 2 * d * g[i];
    grad_t[k] = -grad_x[k];
  }

  loss_result r;
  r.output = reduce_output(none, p.shape, p.red, ctx.out_type);
  r.grads["input"] = to_tensor(ctx.out_type, p.input->shape, sum_to(std::move(grad_x), p.shape, p.input->shape));
  r.grads["target"] = to_tensor(ctx.out_type, p.target->shape, sum_to(std::move(grad_t), p.shape, p.target->shape));
  return r;
}

}  // namespace losscheck::reference::detail
