// The fixture cases of l1_loss: every reduction × input/target shapes (equal, 0-D, N = 1, empty, broadcasting both
// ways) × value regimes; exact ties x = t (torch's sgn(0) = 0; signed zeros), infinities and NaN
// (a NaN difference gets the gradient 0); the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> l1_loss_cases(splitmix64& g) {
  builder b("l1_loss", g);
  const std::vector<std::pair<shape_t, shape_t>> shapes{{{}, {}},       {{5}, {5}},       {{2, 3}, {2, 3}},
                                                        {{2, 3, 2}, {2, 3, 2}}, {{1, 4}, {1, 4}}, {{0, 3}, {0, 3}},
                                                        {{2, 3}, {3}},  {{1, 3}, {2, 1}}};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny, regime::mixed};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& [si, st] : shapes) {
        const regime r = regimes[static_cast<std::size_t>(k++ % 4)];
        b.add(type, red, {{"input", logits(g, si, r)}, {"target", logits(g, st, r)}});
      }
  for (dtype type : dtypes) {
    // exact ties (the gradient 0, signed zeros), and non-finite values (inf - inf and NaN: loss NaN, gradient 0)
    b.add(type, {{"reduction", "none"}}, {{"input", floats({5}, {1.5, -2, 0, -0.0, 3})}, {"target", floats({5}, {1.5, -2, -0.0, 0, -3})}});
    b.add(type, {{"reduction", "sum"}}, {{"input", floats({3}, {1.5, -2, 4})}, {"target", floats({3}, {1.5, -2, 1})}});
    b.add(type, {{"reduction", "none"}}, {{"input", floats({5}, {inf, -inf, nan, 1, inf})}, {"target", floats({5}, {1, 1, 0, inf, inf})}});
    b.add(type, {{"reduction", "mean"}}, {{"input", floats({3}, {inf, 0, 1})}, {"target", floats({3}, {0, 0, 1})}});
    // errors
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", logits(g, {4}, regime::ordinary)}});
    b.add(type, {{"reduction", "bogus"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", logits(g, {3}, regime::ordinary)}});
    b.add(type, {{"reduction", "batchmean"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", logits(g, {3}, regime::ordinary)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
