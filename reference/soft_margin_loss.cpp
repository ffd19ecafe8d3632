// soft_margin_loss in multiprecision, from the definition (torch.nn.functional.soft_margin_loss, LibTorch 1.13.1,
// aten/src/ATen/native/Loss.cpp soft_margin_loss / soft_margin_loss_backward).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// Loss and input derivative of one element (before the incoming gradient).
struct element {
  mp loss, grad_x;
};

// With z = -y x and sp(z) = log(1 + e^z), σ(z) = 1 / (1 + e^-z):
//   L = sp(z),  dL/dx = -y σ(z)
// written without cancellation, e = e^-|z|: z > 0: sp = z + log1p(e), σ = 1 / (1 + e); else sp = log1p(e),
// σ = e / (1 + e). The exact value, also where torch's log(1 + exp(z)) overflows (docs/torch-quirks.md).
element finite_element(const mp& x, const mp& y) {
  const mp z = -y * x;
  const mp e = exp(-abs(z));
  if (z > 0) return {z + log1p(e), -y / (1 + e)};
  return {log1p(e), -y * (e / (1 + e))};
}

/// A non-finite x or y: torch's formulas literally, so that infinities meet as they do there:
///   L = log(1 + exp(-y x)),  dL/dx = -y exp(-y x) / (1 + exp(-y x))
/// (z = +inf gives L = inf and dL/dx = inf / inf = NaN; y = ±inf with z = -inf gives ±inf · 0 = NaN).
element literal_element(const mp& x, const mp& y) {
  const mp z = exp(-y * x);
  return {log(1 + z), -y * z / (1 + z)};
}

}  // namespace

// L = log(1 + exp(-y x)) per element of the input (the target broadcast to it)
// dL/dx = -y exp(-y x) / (1 + exp(-y x)) g = -y σ(-y x) g   (the target is not differentiated)
/// soft_margin_loss: forward and the gradient with respect to input.
loss_result soft_margin_loss(const soft_margin_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const shape_t& shape = p.input->shape;
    const mp_vector x = to_mp(*p.input);
    const mp_vector y = expand_to(*p.target, shape);
    const auto n = static_cast<std::int64_t>(x.size());
    const upstream g(ctx, p.red, mp(1));  // divided by the mean's n last (see divided)
    const mp denominator = plain_denominator(p.red, n);

    mp_vector none(x.size()), grad_x(x.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const element e = is_finite(x[k]) && is_finite(y[k]) ? finite_element(x[k], y[k]) : literal_element(x[k], y[k]);
      none[k] = e.loss;
      grad_x[k] = e.grad_x * g[i];
    }

    mp_result r;
    r.output = reduce(std::move(none), shape, p.red);
    r.grads["input"] = {shape, divided(std::move(grad_x), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
