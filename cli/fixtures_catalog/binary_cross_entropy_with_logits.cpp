// The fixture cases of binary_cross_entropy_with_logits: every reduction × shapes × regimes × target kinds × weight and
// pos_weight (absent, per class, full); saturated logits; the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> binary_cross_entropy_with_logits_cases(splitmix64& g) {
  builder b("binary_cross_entropy_with_logits", g);
  const std::vector<shape_t> shapes{{}, {5}, {2, 3}, {2, 3, 2}, {1, 4}, {0, 3}};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::mixed, regime::tiny};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& shape : shapes) {
        const int weight_kind = k % 3, pos_kind = (k / 3) % 3, target_kind = (k / 2) % 3;
        const regime r = regimes[static_cast<std::size_t>((k / 5) % 4)];
        ++k;
        inputs in{{"input", logits(g, shape, r)}, {"target", bce_targets(g, shape, target_kind)}};
        if (weight_kind == 1) in["weight"] = uniform(g, shape, 0, 3);
        else if (weight_kind == 2 && shape.size() >= 2) in["weight"] = uniform(g, trailing_one(shape), 0.5, 2);
        if (pos_kind == 1 && !shape.empty()) in["pos_weight"] = uniform(g, {shape.back()}, 0.25, 4);
        else if (pos_kind == 2) in["pos_weight"] = uniform(g, shape, 0, 3);
        b.add(type, red, std::move(in));
      }
  for (dtype type : dtypes) {
    // saturated logits: float32 log(1 + e^-20) rounds to 0 in LibTorch (exact 2.06e-9)
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({8}, {20, -20, 30, -30, 100, -100, 0, 17})}, {"target", floats({8}, {1, 0, 0, 1, 1, 0, 0.5, 1})}});
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({2, 3}, {20, -20, 40, -40, 0, 88})}, {"target", floats({2, 3}, {1, 0, 1, 1, 0, 0})},
           {"pos_weight", floats({3}, {3, 0.5, 2})}});
    // errors: target shape, pos_weight and weight that do not broadcast
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", probabilities(g, {2, 2}, 0)}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", probabilities(g, {2, 3}, 0)}, {"pos_weight", uniform(g, {4}, 0, 1)}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", probabilities(g, {2, 3}, 0)}, {"weight", uniform(g, {2}, 0, 1)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
