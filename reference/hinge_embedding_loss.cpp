// hinge_embedding_loss in multiprecision, from the definition (torch.nn.functional.hinge_embedding_loss, LibTorch
// 1.13.1, aten/src/ATen/native/Loss.cpp: a composite differentiated by autograd).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

// Per element of the broadcast shape, with d = margin - x (torch: where(y != 1, clamp_min(margin - x, 0), 0) +
// where(y != -1, x, 0)):
//   L = [y != 1] max(d, 0) + [y != -1] x        (a y that is neither takes both terms; a NaN y too)
//   dL/dx = -g [y != 1] [d >= 0] + g [y != -1]  (clamp_min passes the gradient at d = 0, never at a NaN d)
// max(d, 0) keeps a NaN d (torch's clamp_min propagates NaN); where() takes no value from the branch not chosen.
// Gradients of a broadcast input are summed back to its shape.
/// hinge_embedding_loss: forward and the gradient with respect to input (the target is a label).
loss_result hinge_embedding_loss(const hinge_embedding_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const mp_vector x = expand_to(*p.input, p.shape);
    const auto n = static_cast<std::int64_t>(x.size());
    const upstream g(ctx, p.red, mp(1));  // divided by the mean's n last (see divided)
    const mp denominator = plain_denominator(p.red, n);
    const mp margin = p.margin;
    broadcast_walker target_at(p.target->shape, p.shape);

    mp_vector none(x.size()), grad_x(x.size());
    for (std::int64_t i = 0; i < n; ++i, target_at.next()) {
      const auto k = static_cast<std::size_t>(i);
      const auto o = static_cast<std::size_t>(target_at.offset());
      const mp y = p.target->type == dtype::int64 ? mp(static_cast<double>(p.target->ints[o])) : mp(p.target->values[o]);
      const bool hinge = !(y == 1), linear = !(y == -1);
      const mp d = margin - x[k];
      none[k] = (hinge ? max_of(d, mp(0)) : mp(0)) + (linear ? x[k] : mp(0));
      grad_x[k] = (hinge && d >= 0 ? mp(-g[i]) : mp(0)) + (linear ? g[i] : mp(0));
    }

    mp_result r;
    r.output = reduce(std::move(none), p.shape, p.red);
    r.grads["input"] = {p.input->shape, divided(sum_to(std::move(grad_x), p.shape, p.input->shape), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
