// margin_ranking_loss in multiprecision, from the definition (torch.nn.functional.margin_ranking_loss, LibTorch
// 1.13.1, aten/src/ATen/native/Loss.cpp: clamp_min(-target * (input1 - input2) + margin, 0), a composite
// differentiated by autograd).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

// Per element of the broadcast shape, with d = x1 - x2 and z = -y d + margin:
//   L = max(z, 0)                               (a NaN z stays NaN: torch's clamp_min propagates it)
//   G = g [z >= 0]                              (clamp_min passes the gradient at z = 0, never at a NaN z)
//   dL/dx1 = G (-y),  dL/dx2 = -(G (-y)),  dL/dy = -(G d)   (autograd's products: a masked 0 times an infinite
//                                                             or NaN factor is NaN, as in torch)
// Gradients of broadcast inputs are summed back to their shapes; an int64 target has none.
/// margin_ranking_loss: forward and the gradients with respect to input1, input2 and a float target.
loss_result margin_ranking_loss(const margin_ranking_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const mp_vector x1 = expand_to(*p.input1, p.shape);
    const mp_vector x2 = expand_to(*p.input2, p.shape);
    const bool float_target = p.target->is_floating();
    mp_vector y;
    if (float_target) {
      y = expand_to(*p.target, p.shape);
    } else {
      broadcast_walker w(p.target->shape, p.shape);
      for (std::size_t i = 0; i < x1.size(); ++i, w.next())
        y.push_back(mp(static_cast<double>(p.target->ints[static_cast<std::size_t>(w.offset())])));
    }
    const auto n = static_cast<std::int64_t>(x1.size());
    const upstream g(ctx, p.red, mp(1));  // divided by the mean's n last (see divided)
    const mp denominator = plain_denominator(p.red, n);
    const mp margin = p.margin;

    mp_vector none(x1.size()), grad1(x1.size()), grad2(x1.size()), grad_y(x1.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const mp d = x1[k] - x2[k];
      const mp z = -y[k] * d + margin;
      none[k] = max_of(z, mp(0));
      const mp masked = z >= 0 ? g[i] : mp(0);
      grad1[k] = masked * -y[k];
      grad2[k] = -grad1[k];
      grad_y[k] = -(masked * d);
    }

    mp_result r;
    r.output = reduce(std::move(none), p.shape, p.red);
    r.grads["input1"] = {p.input1->shape, divided(sum_to(std::move(grad1), p.shape, p.input1->shape), denominator)};
    r.grads["input2"] = {p.input2->shape, divided(sum_to(std::move(grad2), p.shape, p.input2->shape), denominator)};
    if (float_target)
      r.grads["target"] = {p.target->shape, divided(sum_to(std::move(grad_y), p.shape, p.target->shape), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
