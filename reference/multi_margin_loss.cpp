// multi_margin_loss in multiprecision, from the definition (torch.nn.functional.multi_margin_loss, LibTorch 1.13.1,
// aten/src/ATen/native/LossMultiMargin.cpp).
#include <fmt/format.h>

#include "losscheck/error.h"
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

// Per row n with target y (checked to lie in [0, C)), margin m rounded to the case dtype (torch converts the Scalar to
// the kernel's type) and w = weight (ones when absent):
//   z_j = m - x[y] + x[j]   for j != y
//   l_n = Σ_{j != y, z_j > 0} w[y] z_j^p / C          (p = 1 or 2; a NaN z_j is not > 0 and adds nothing)
// mean = Σ l_n / N (0/0 = NaN for an empty batch, see docs/torch-quirks.md), sum = Σ l_n.
// Backward, with ĝ_n the gradient reaching l_n (g_n for none, g for sum, g / N for mean), applied last as torch does
// (it writes the row's entries, zeros included, then multiplies them by grad_output: 0 · NaN = NaN):
//   dL/dx[j] = ĝ_n · (z_j > 0 ? w[y] (p == 1 ? 1 : 2 z_j) / C : 0)        for j != y
//   dL/dx[y] = ĝ_n · -Σ_{j != y, z_j > 0} w[y] (p == 1 ? 1 : 2 z_j) / C
// At the kink z_j = 0 the term is inactive: torch's gradient there is 0 (docs/torch-quirks.md).
/// multi_margin_loss: checks the targets, then forward and the gradient with respect to input (weight and target are
/// not differentiable).
loss_result multi_margin_loss(const multi_margin_loss_problem& p, const context& ctx) {
  for (const auto y : p.target->ints)
    if (y < 0 || y >= p.classes)
      throw loss_error(fmt::format("multi_margin_loss: target {} is out of range for {} classes", y, p.classes));
  return evaluate_rounded(ctx, [&] {
    const mp_vector x = to_mp(*p.input);
    const mp margin = mp(round_to(mp(p.margin), scalar_dtype(ctx.out_type)));
    const mp classes = mp(static_cast<double>(p.classes));
    const auto C = static_cast<std::size_t>(p.classes);
    mp_vector none(static_cast<std::size_t>(p.rows), mp(0));
    mp_vector base(x.size(), mp(0));  // d l_n / d x, before ĝ_n
    for (std::int64_t n = 0; n < p.rows; ++n) {
      const auto row = static_cast<std::size_t>(n) * C;
      const auto y = static_cast<std::size_t>(p.target->ints[static_cast<std::size_t>(n)]);
      const mp w = p.weight ? mp(p.weight->values[y]) : mp(1);
      mp loss = 0, target_slope = 0;
      for (std::size_t j = 0; j < C; ++j) {
        if (j == y) continue;
        const mp z = margin - x[row + y] + x[row + j];
        if (!(z > 0)) continue;
        loss += w * (p.p == 1 ? z : mp(z * z));
        const mp slope = w * (p.p == 1 ? mp(1) : mp(2 * z)) / classes;
        base[row + j] = slope;
        target_slope -= slope;
      }
      none[static_cast<std::size_t>(n)] = loss / classes;
      base[row + y] = target_slope;
    }
    const upstream g(ctx, p.red, mp(1));
    const mp denominator = plain_denominator(p.red, p.rows);
    mp_vector grad(x.size());
    for (std::int64_t n = 0; n < p.rows; ++n)
      for (std::size_t j = 0; j < C; ++j) {
        const auto e = static_cast<std::size_t>(n) * C + j;
        grad[e] = base[e] * g[n];
      }
    mp_result r;
    r.output = reduce(std::move(none), p.none_shape, p.red);
    r.grads["input"] = {p.input->shape, divided(std::move(grad), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
