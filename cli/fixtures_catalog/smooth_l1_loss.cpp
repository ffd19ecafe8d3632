// The fixture cases of smooth_l1_loss: every reduction × input/target shapes (equal, 0-D, N = 1, empty,
// broadcasting both ways) × value regimes × beta (default, 0, 0.5, 2, 0.1); differences exactly at ±beta and a few
// ULPs either side of it (the branch torch takes at the kink), ties at beta = 0 (both gradients −g), infinities and
// NaN; the inputs torch rejects (negative beta, shapes, reductions).

#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> smooth_l1_loss_cases(splitmix64& g) {
  builder b("smooth_l1_loss", g);
  const std::vector<std::pair<shape_t, shape_t>> shapes{{{}, {}},       {{5}, {5}},       {{2, 3}, {2, 3}},
                                                        {{2, 3, 2}, {2, 3, 2}}, {{1, 4}, {1, 4}}, {{0, 3}, {0, 3}},
                                                        {{2, 3}, {3}},  {{1, 3}, {2, 1}}};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny, regime::mixed};
  const std::vector<double> betas{-1, 0.0, 0.5, 2.0, splitmix64::f32(0.1)};  // -1: the default (absent)
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& [si, st] : shapes) {
        const regime r = regimes[static_cast<std::size_t>(k % 4)];
        options o = red;
        const double beta = betas[static_cast<std::size_t>(k++ % 5)];
        if (beta >= 0) o["beta"] = beta;
        b.add(type, o, {{"input", logits(g, si, r)}, {"target", logits(g, st, r)}});
      }
  for (dtype type : dtypes) {
    // the kink: |d| = beta exactly (linear branch, slope ±1), and just below / above it
    const double below = type == dtype::float32 ? 0.99999994 : 0.99999999999999989;
    const double above = type == dtype::float32 ? 1.0000001 : 1.0000000000000002;
    b.add(type, {{"reduction", "none"}, {"beta", 1.0}},
          {{"input", floats({6}, {2, -1, 0, 0, 0, 0})}, {"target", floats({6}, {1, 0, 1, -1, -below, above})}});
    b.add(type, {{"reduction", "sum"}, {"beta", 0.5}},
          {{"input", floats({4}, {0.5, -0.5, 1.25, 1.75})}, {"target", floats({4}, {0, 0, 1.75, 1.25})}});
    // beta = 0: l1_loss's values; ties give both gradients -g (torch's smooth_l1_loss_backward), NaN differences NaN
    b.add(type, {{"reduction", "none"}, {"beta", 0.0}},
          {{"input", floats({5}, {1.5, -2, 0, -0.0, 3})}, {"target", floats({5}, {1.5, -2, -0.0, 0, -3})}});
    b.add(type, {{"reduction", "mean"}, {"beta", 0.0}},
          {{"input", floats({4}, {1, 2, 3, nan})}, {"target", floats({4}, {1, 0, 5, 0})}});
    // non-finite values (an infinite beta, which torch accepts, cannot be written in a case: options are JSON numbers)
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({5}, {inf, -inf, nan, 1, inf})}, {"target", floats({5}, {1, 1, 0, inf, inf})}});
    // errors
    b.add(type, {{"beta", -1.0}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", logits(g, {3}, regime::ordinary)}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", logits(g, {4}, regime::ordinary)}});
    b.add(type, {{"reduction", "bogus"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", logits(g, {3}, regime::ordinary)}});
    b.add(type, {{"reduction", "batchmean"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", logits(g, {3}, regime::ordinary)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
