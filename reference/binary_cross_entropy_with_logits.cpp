// binary_cross_entropy_with_logits in multiprecision, from the definition
// (torch.nn.functional.binary_cross_entropy_with_logits, LibTorch 1.13.1, aten/src/ATen/native/Loss.cpp and
// torch/csrc/autograd/FunctionsManual.cpp).
#include <optional>

#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// Loss and gradients of one element, before the weight and the incoming gradient are applied.
struct element {
  mp loss, grad_x, grad_y;
};

// With sp(z) = log(1 + e^z) (softplus), σ(z) = 1 / (1 + e^-z), p = pos_weight (1 when absent), L = 1 + (p - 1) y:
// loss  = (1 - y) x + L sp(-x)                      = -[p y log σ(x) + (1 - y) log(1 - σ(x))]
// dL/dx = L σ(x) - p y                              (torch: (p y + 1 - y) σ(x) - p y, or σ(x) - y without p)
// dL/dy = -x + (p - 1) sp(-x)                       (torch: log σ(-x) - p log σ(x), or -x without p)
// Each is written so that no term cancels against another: with e = e^-|x|,
//   x >= 0: loss = (1 - y) x + L log1p(e),   dL/dx = (1 - y) - L e/(1 + e),  dL/dy = -x + (p - 1) log1p(e)
//   x <  0: loss = -p y x + L log1p(e),      dL/dx = L e/(1 + e) - p y,      dL/dy = -p x + (p - 1) log1p(e)
// (log1p(e^-x) is the exact value; torch's own log(e^-m + e^(-x-m)) + m rounds 1 + e^-x first, so float32 x = 20,
// y = 1 gives exactly 0 there: a rounding, not a semantic, difference.)
/// The exact element for finite x, y and p.
element finite_element(const mp& x, const mp& y, const mp& pw) {
  const mp big_l = 1 + (pw - 1) * y;
  const mp e = exp(-abs(x));
  const mp softplus_small = log1p(e);  // sp(-|x|)
  const mp sigma_small = e / (1 + e);  // σ(-|x|)
  if (x >= 0)
    return {(1 - y) * x + big_l * softplus_small, (1 - y) - big_l * sigma_small, -x + (pw - 1) * softplus_small};
  return {-pw * y * x + big_l * softplus_small, big_l * sigma_small - pw * y, -pw * x + (pw - 1) * softplus_small};
}

/// log σ(z) = -sp(-z), with log σ(+inf) = 0, log σ(-inf) = -inf and NaN kept.
mp log_sigmoid(const mp& z) {
  if (is_nan(z)) return z;
  if (!is_finite(z)) return z > 0 ? mp(0) : z;
  return -(max_of(-z, mp(0)) + log1p(exp(-abs(z))));
}

/// With an infinite or NaN x, y or p, torch's formulas term by term (Loss.cpp, FunctionsManual.cpp), so that infinities
/// meet as they do there: m = max(-x, 0); loss = (1 - y) x + L (log(e^-m + e^(-x-m)) + m), which is NaN for
/// x = -inf (-x - m = inf - inf) and for x = +inf, y = 1 (0 * inf).
element literal_element(const mp& x, const mp& y, const std::optional<mp>& pw) {
  const mp m = max_of(-x, mp(0));
  const mp log_term = log(exp(-m) + exp(-x - m));
  const mp sigma = 1 / (1 + exp(-x));
  if (!pw) return {(1 - y) * x + m + log_term, sigma - y, -x};
  const mp t = *pw * y;
  return {(1 - y) * x + ((*pw - 1) * y + 1) * (log_term + m), (t + 1 - y) * sigma - t,
          log_sigmoid(-x) - log_sigmoid(x) * *pw};
}

}  // namespace

// loss = w [(1 - y) x + L sp(-x)]; dL/dx and dL/dy as above, times w and the incoming gradient g (see the helpers).
/// binary_cross_entropy_with_logits: forward and the gradients with respect to input and target (weight and
/// pos_weight are not differentiable in LibTorch 1.13).
loss_result binary_cross_entropy_with_logits(const binary_cross_entropy_with_logits_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const shape_t& shape = p.input->shape;
    const mp_vector x = to_mp(*p.input);
    const mp_vector y = to_mp(*p.target);
    const mp_vector w = p.weight ? expand_to(*p.weight, shape) : mp_vector{};
    const mp_vector pw = p.pos_weight ? expand_to(*p.pos_weight, shape) : mp_vector{};
    const auto n = static_cast<std::int64_t>(x.size());
    const upstream g(ctx, p.red, mp(1));  // divided by the mean's n last (see divided)
    const mp denominator = plain_denominator(p.red, n);
    const mp one = 1;

    mp_vector none(x.size()), grad_x(x.size()), grad_y(x.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const bool finite = is_finite(x[k]) && is_finite(y[k]) && (!p.pos_weight || is_finite(pw[k]));
      element e = finite ? finite_element(x[k], y[k], p.pos_weight ? pw[k] : one)
                         : literal_element(x[k], y[k], p.pos_weight ? std::optional<mp>(pw[k]) : std::nullopt);
      none[k] = std::move(e.loss);
      grad_x[k] = e.grad_x * g[i];
      grad_y[k] = e.grad_y * g[i];
      if (p.weight) {
        none[k] *= w[k];
        grad_x[k] *= w[k];
        grad_y[k] *= w[k];
      }
    }

    mp_result r;
    r.output = reduce(std::move(none), shape, p.red);
    r.grads["input"] = {shape, divided(std::move(grad_x), denominator)};
    r.grads["target"] = {shape, divided(std::move(grad_y), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
