// gaussian_nll_loss in multiprecision, from the definition (torch.nn.functional.gaussian_nll_loss, LibTorch 1.13.1:
// functional.py's composite of clamp_, log, pow and div, differentiated by autograd).
#include <fmt/format.h>

#include <cmath>

#include "losscheck/error.h"
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// A Python float as ATen meets it in a tensor-scalar operation: converted to the case dtype.
double gaussian_scalar_in_dtype(double v, dtype type) {
  return (type == dtype::float32 || is_half(type)) ? static_cast<double>(static_cast<float>(v)) : v;
}

/// No entry of var may be negative (functional.py: `if torch.any(var < 0): raise ValueError("var has negative
/// entry/entries")`); -0 and NaN pass (NaN < 0 is false).
void check_gaussian_var(const tensor& var) {
  for (std::size_t i = 0; i < var.values.size(); ++i) {
    const double v = var.values[i];
    if (v < 0) {
      const auto shown = (var.type == dtype::float32 || is_half(var.type)) ? fmt::format("{}", static_cast<float>(v)) : fmt::format("{}", v);
      throw loss_error(
          fmt::format("gaussian_nll_loss: var has negative entry/entries (var[{}] = {})", i, shown));
    }
  }
}

}  // namespace

// Over the broadcast shape of input x, target t and var (unsqueezed at -1 where it lacks the input's last dimension),
// with ĝ the gradient reaching each element, d = x - t, v = max(var, eps) (eps rounded to the case dtype; NaN stays
// NaN, as ATen's clamp) and c = log(2 pi) / 2 as Python's double, rounded to the case dtype (`loss += c`):
// L = (log v + d^2 / v) / 2 (+ c with full)
// dL/dx = ĝ d / v = -dL/dt
// dL/dvar = ĝ (1 / v - d^2 / v^2) / 2, at the clamped v: functional.py clamps a clone under no_grad, so the gradient
//           passes the clamp as the identity (var < eps gets the derivative at eps, not 0)
// The gradients are written as autograd forms them, (ĝ/2 / v) (2 d) and ĝ/2 / v - ĝ/2 ((d^2 / v) / v), with ĝ/2
// summed over var's broadcast copies before the division by v (log v is formed on var's own shape), so that infinite
// and NaN operands give torch's pattern. Gradients of broadcast inputs are summed back to their shapes.
/// gaussian_nll_loss: checks var's values, then forward and the gradients with respect to input, target and var.
loss_result gaussian_nll_loss(const gaussian_nll_loss_problem& p, const context& ctx) {
  check_gaussian_var(*p.var);
  return evaluate_rounded(ctx, [&] {
    const mp_vector x = expand_to(*p.input, p.shape);
    const mp_vector t = expand_to(*p.target, p.shape);
    tensor var_view = *p.var;
    var_view.shape = p.var_shape;
    const mp_vector var = expand_to(var_view, p.shape);
    const auto n = static_cast<std::int64_t>(x.size());
    const upstream g(ctx, p.red, mp(1));  // divided by the mean's n last (see divided)
    const mp denominator = plain_denominator(p.red, n);
    const mp eps = gaussian_scalar_in_dtype(p.eps, ctx.out_type);
    const mp constant = gaussian_scalar_in_dtype(0.5 * std::log(2 * 3.14159265358979323846), ctx.out_type);

    mp_vector none(x.size()), grad_x(x.size()), grad_t(x.size()), halves(x.size()), grad_q(x.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const mp v = max_of(var[k], eps);
      const mp d = x[k] - t[k];
      const mp q = d * d / v;
      none[k] = (log(v) + q) / 2;
      if (p.full) none[k] += constant;
      const mp half_g = g[i] / 2;
      grad_x[k] = half_g / v * (2 * d);
      grad_t[k] = -grad_x[k];
      halves[k] = half_g;
      grad_q[k] = -(half_g * (q / v));
    }
    // var's gradient: log(v) is formed on var's own shape, so its path meets the incoming gradient summed over the
    // broadcast copies first, (Σ ĝ/2) / v; the path through (x - t)^2 / v is per copy: Σ -ĝ/2 (q / v)
    const mp_vector half_sum = sum_to(std::move(halves), p.shape, p.var_shape);
    mp_vector grad_v = sum_to(std::move(grad_q), p.shape, p.var_shape);
    for (std::size_t j = 0; j < grad_v.size(); ++j) grad_v[j] += half_sum[j] / max_of(mp(p.var->values[j]), eps);

    mp_result r;
    r.output = reduce(std::move(none), p.shape, p.red);
    r.grads["input"] = {p.input->shape, divided(sum_to(std::move(grad_x), p.shape, p.input->shape), denominator)};
    r.grads["target"] = {p.target->shape, divided(sum_to(std::move(grad_t), p.shape, p.target->shape), denominator)};
    r.grads["var"] = {p.var->shape, divided(std::move(grad_v), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
