// The fixture cases of multilabel_soft_margin_loss: every reduction set (its 'elementwise_mean' is an error: functional.py
// compares the string itself) × shapes ((N, C), (C), (N, d, C), N = 1, C = 1, empty rows and classes) × targets (0/1,
// probabilities, other values) × weights ((C), full, (N, 1)) × regimes; a target and a weight of more dimensions than
// the input (the summed dimension moves: torch's quirk); non-finite values; the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

namespace {

/// Targets: kind 0 zeros and ones, 1 probabilities (with 0 and 1), 2 values outside [0, 1].
tensor multilabel_targets(splitmix64& g, const shape_t& shape, int kind) { return bce_targets(g, shape, kind == 0 ? 1 : kind == 1 ? 0 : 2); }

}  // namespace

std::vector<loss_case> multilabel_soft_margin_loss_cases(splitmix64& g) {
  builder b("multilabel_soft_margin_loss", g);
  const std::vector<shape_t> shapes{{3, 4}, {5}, {1, 3}, {4, 1}, {2, 2, 3}, {0, 3}, {2, 0}};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny, regime::mixed};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& s : shapes) {
        const regime r = regimes[static_cast<std::size_t>(k % 4)];
        const int kind = (k / 2) % 3;
        const int weight_kind = (k / 3) % 4;  // none, (C), full, (N, 1)
        ++k;
        inputs in{{"input", logits(g, s, r)}, {"target", multilabel_targets(g, s, kind)}};
        if (weight_kind == 1) in["weight"] = uniform(g, {s.back()}, 0, 2);
        if (weight_kind == 2) in["weight"] = uniform(g, s, -1, 2);
        if (weight_kind == 3 && s.size() >= 2) in["weight"] = uniform(g, trailing_one(s), 0, 2);
        b.add(type, red, std::move(in));
      }
  for (dtype type : dtypes) {
    // a target (C) for every row, and one of more dimensions than the input: (2, 3) against (3) sums over
    // dimension 0 of the terms and divides by 3
    b.add(type, {{"reduction", "none"}}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", multilabel_targets(g, {3}, 0)}});
    b.add(type, {{"reduction", "none"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", multilabel_targets(g, {2, 3}, 0)}});
    b.add(type, {{"reduction", "mean"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", multilabel_targets(g, {2, 3}, 1)}});
    // a weight of more dimensions than the input: (4, 1, 3) against (2, 3) gives (4, 3) rows of the (4, 2, 3) terms
    b.add(type, {{"reduction", "none"}}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", multilabel_targets(g, {2, 3}, 0)},
                                          {"weight", uniform(g, {4, 1, 3}, 0, 2)}});
    b.add(type, {{"reduction", "sum"}}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", multilabel_targets(g, {2, 3}, 1)},
                                         {"weight", uniform(g, {4, 1, 3}, 0, 2)}});
    // non-finite values: x = +inf with y = 1 is (1 - 1) log σ(-inf) = 0 · (-inf) = NaN in torch's composite
    b.add(type, {{"reduction", "none"}}, {{"input", floats({2, 3}, {inf, -inf, nan, inf, -inf, 1})},
                                          {"target", floats({2, 3}, {1, 0, 1, 0, 1, 0.5})}});
    // errors: a 0-D input, shapes that do not broadcast, 'elementwise_mean' and other strings
    b.add(type, {}, {{"input", logits(g, {}, regime::ordinary)}, {"target", multilabel_targets(g, {}, 0)}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", multilabel_targets(g, {2, 4}, 0)}});
    b.add(type, {{"reduction", "batchmean"}}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", multilabel_targets(g, {2, 3}, 0)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
