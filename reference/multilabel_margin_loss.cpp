// multilabel_margin_loss in multiprecision, from the definition (torch.nn.functional.multilabel_margin_loss, LibTorch
// 1.13.1, aten/src/ATen/native/LossMultiLabelMargin.cpp).
#include <fmt/format.h>

#include <vector>

#include "losscheck/error.h"
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

// Every target value must lie in [-1, C), after a row's first -1 too (torch checks the whole tensor's min and max).
// Per row n, the targets are the entries before the first -1 (T, a list: a repeated index counts each time) and the
// non-targets the classes not in T:
//   z_ji = 1 - x[t_j] + x[i]        for each listed t_j and each class i not in T
//   l_n  = Σ_j Σ_i [z_ji > 0] z_ji / C          (a NaN z is not > 0 and adds nothing; z = 0 is the kink: no term)
// mean = Σ l_n / N (0/0 = NaN for an empty batch, see docs/torch-quirks.md), sum = Σ l_n.
// Backward, with ĝ_n the gradient reaching l_n (g_n for none, g for sum, g / N for mean), applied last as torch does
// (the row's entries, zeros included, times grad_output: 0 · NaN = NaN):
//   dL/dx[i] = ĝ_n · (number of active pairs (j, i)) / C,   dL/dx[t_j] -= ĝ_n · (number of active pairs (j, ·)) / C
/// multilabel_margin_loss: checks the targets, then forward and the gradient with respect to input.
loss_result multilabel_margin_loss(const multilabel_margin_loss_problem& p, const context& ctx) {
  for (const auto t : p.target->ints)
    if (t < -1 || t >= p.classes)
      throw loss_error(fmt::format(
          "multilabel_margin_loss: target {} is out of range for {} classes (class indices, and -1 ending a row's list)",
          t, p.classes));
  return evaluate_rounded(ctx, [&] {
    const mp_vector x = to_mp(*p.input);
    const auto C = static_cast<std::size_t>(p.classes);
    const mp classes = mp(static_cast<double>(p.classes));
    mp_vector none(static_cast<std::size_t>(p.rows), mp(0));
    mp_vector base(x.size(), mp(0));
    for (std::int64_t n = 0; n < p.rows; ++n) {
      const auto row = static_cast<std::size_t>(n) * C;
      std::vector<std::size_t> listed;
      std::vector<bool> is_target(C, false);
      for (std::size_t k = 0; k < C; ++k) {
        const auto t = p.target->ints[row + k];
        if (t == -1) break;
        listed.push_back(static_cast<std::size_t>(t));
        is_target[static_cast<std::size_t>(t)] = true;
      }
      mp loss = 0;
      for (const auto t : listed)
        for (std::size_t i = 0; i < C; ++i) {
          if (is_target[i]) continue;
          const mp z = 1 - x[row + t] + x[row + i];
          if (!(z > 0)) continue;
          loss += z;
          base[row + i] += 1 / classes;
          base[row + t] -= 1 / classes;
        }
      none[static_cast<std::size_t>(n)] = loss / classes;
    }
    const upstream g(ctx, p.red, mp(1));
    const mp denominator = plain_denominator(p.red, p.rows);
    mp_vector grad(x.size());
    for (std::int64_t n = 0; n < p.rows; ++n)
      for (std::size_t i = 0; i < C; ++i) {
        const auto e = static_cast<std::size_t>(n) * C + i;
        grad[e] = base[e] * g[n];
      }
    mp_result r;
    r.output = reduce(std::move(none), p.none_shape, p.red);
    r.grads["input"] = {p.input->shape, divided(std::move(grad), denominator)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
