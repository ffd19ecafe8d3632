// nll_loss in multiprecision, from the definition (torch.nn.functional.nll_loss, LibTorch 1.13.1,
// aten/src/ATen/native/LossNLL.cpp).
#include "class_index.h"
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

// For each row i (target element) with y_i != ignore_index, and w = weight (ones when absent):
// l_i = -w[y_i] x[i, y_i]; ignored rows give 0 and are left out of the mean's denominator
// mean = Σ l_i / Σ w[y_i] (a weighted mean; 0/0 = NaN when every row is ignored or the weights sum to 0), sum = Σ l_i
// dL/dx[i, y_i] = -w[y_i] ĝ_i with ĝ_i = g_i (none), g (sum) or g / Σ w[y_i] (mean), evaluated as (-w[y_i] g) / Σ w[y]
// (one rounding; a zero total weight gives NaN or ±inf where a row touches, as LossNLL.cpp's order does);
// 0 everywhere else.
/// nll_loss: checks the targets, then forward and the gradient with respect to input (weight is not differentiable).
loss_result nll_loss(const nll_loss_problem& p, const context& ctx) {
  const class_layout& l = p.layout;
  check_class_targets("nll_loss", *p.target, l.classes, p.ignore_index);
  return evaluate_rounded(ctx, [&] {
    const auto rows = row_count(l);
    const auto& y = p.target->ints;
    const auto weight_of = [&](std::int64_t c) {
      return p.weight ? mp(p.weight->values[static_cast<std::size_t>(c)]) : mp(1);
    };

    mp_vector none(static_cast<std::size_t>(rows), mp(0));
    mp total_weight = 0;
    for (std::int64_t i = 0; i < rows; ++i) {
      const auto c = y[static_cast<std::size_t>(i)];
      if (c == p.ignore_index) continue;
      const mp w = weight_of(c);
      none[static_cast<std::size_t>(i)] = -w * mp(p.input->values[input_index(l, i, c)]);
      total_weight += w;
    }

    mp_result r;
    switch (p.red) {
      case reduction::none: r.output = {l.none_shape, none}; break;
      case reduction::sum: r.output = scalar(sum(none)); break;
      default: r.output = scalar(sum(none) / total_weight); break;
    }

    const upstream g(ctx, p.red, mp(1));
    mp_vector grad(p.input->values.size(), mp(0));
    for (std::int64_t i = 0; i < rows; ++i) {
      const auto c = y[static_cast<std::size_t>(i)];
      if (c == p.ignore_index) continue;
      grad[input_index(l, i, c)] = weight_of(c) * -g[i];
      if (p.red == reduction::mean) grad[input_index(l, i, c)] /= total_weight;
    }
    r.grads["input"] = {p.input->shape, std::move(grad)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
