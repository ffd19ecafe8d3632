// huber_loss in multiprecision, from the definition (torch.nn.functional.huber_loss, LibTorch 1.13.1).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {
/// ATen's huber_loss_backward for e = first - second: -delta for e <= -delta, delta for e >= delta, e between.
mp huber_derivative(const mp& e, const mp& delta) {
  if (e <= -delta) return -delta;
  if (e >= delta) return delta;
  return e;
}
}  // namespace

// With d = x - t and δ = delta rounded to the case dtype (ATen's `scalar_t delta_val(delta)`; docs/torch-quirks.md):
// L = 0.5 d^2 where |d| < δ, else δ (|d| - 0.5 δ)
// dL/dx = h(x - t) g,  dL/dt = h(t - x) g,  h(e) = -δ for e <= -δ, δ for e >= δ, e between
// Gradients of broadcast inputs are summed back to the inputs' shapes.
/// huber_loss: forward and the gradients with respect to input and target.
loss_result huber_loss(const huber_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const mp_vector x = expand_to(*p.input, p.shape);
    const mp_vector t = expand_to(*p.target, p.shape);
    const auto n = static_cast<std::int64_t>(x.size());
    const upstream g(ctx, p.red, mp(1));  // divided by the mean's n last (see divided)
    const mp denominator = plain_denominator(p.red, n);
    const mp delta(round_to(mp(p.delta), scalar_dtype(ctx.out_type)));

    mp_vector none(x.size()), grad_x(x.size()), grad_t(x.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const mp d = x[k] - t[k];
      const mp z = abs(d);
      none[k] = z < delta ? mp(0.5) * d * d : delta * (z - mp(0.5) * delta);
      grad_x[k] = huber_derivative(d, delta) * g[i];
      grad_t[k] = huber_derivative(t[k] - x[k], delta) * g[i];
    }

    mp_result r;
    r.output = reduce(std::move(none), p.shape, p.red);
    r.grads["input"] = {p.input->shape, divided(sum_to(std::move(grad_x), p.shape, p.input->shape), denominator)};
    r.grads["target"] = {p.target->shape, divided(sum_to(std::move(grad_t), p.shape, p.target->shape), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
