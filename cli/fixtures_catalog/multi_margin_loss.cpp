// The fixture cases of multi_margin_loss: every reduction × shapes ((N, C), (C), 0-D, N = 1, C = 1, empty batch, and
// torch's (1) target for a (C) input and () target for a (1, C) input) × p ∈ {1, 2} × margins × class weights ×
// regimes; scores exactly on the kink z = 0 and next to it; the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> multi_margin_loss_cases(splitmix64& g) {
  builder b("multi_margin_loss", g);
  struct shapes_t {
    shape_t input, target;
  };
  const std::vector<shapes_t> shapes{{{3, 4}, {3}}, {{5}, {}},     {{1, 3}, {1}}, {{4, 1}, {4}}, {{0, 3}, {0}},
                                     {{2, 2}, {2}}, {{}, {}},      {{4}, {1}},    {{1, 3}, {}}};
  const std::vector<double> margins{1.0, 0.5, 0.0, -0.5, 2.0};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny, regime::mixed};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& s : shapes) {
        options o = red;
        const std::int64_t C = s.input.empty() ? 1 : s.input.back();
        const double margin = margins[static_cast<std::size_t>(k % 5)];
        const std::int64_t p = (k / 2) % 2 == 0 ? 1 : 2;
        const bool weighted = (k / 3) % 2 == 1;
        const regime r = regimes[static_cast<std::size_t>((k / 5) % 4)];
        ++k;
        if (margin != 1.0 || k % 3 == 0) o["margin"] = margin;
        if (p != 1 || k % 4 == 0) o["p"] = p;
        inputs in{{"input", logits(g, s.input, r)}, {"target", class_targets(g, s.target, C, std::nullopt, 0)}};
        if (weighted) {
          tensor w = uniform(g, {C}, 0.25, 3);
          if (k % 5 == 0) w.values[0] = 0;
          in["weight"] = std::move(w);
        }
        b.add(type, std::move(o), std::move(in));
      }
  for (dtype type : dtypes) {
    // the kink: z = margin - x[y] + x[j] exactly 0 (inactive, gradient 0), 2^-8 above and below it, for p = 1 and 2
    for (std::int64_t p : {1, 2})
      b.add(type, {{"reduction", "none"}, {"p", p}},
            {{"input", floats({3, 3}, {0.5, -0.5, 0.25, 0.5, -0.5 + 0x1p-8, 0.25, 0.5, -0.5 - 0x1p-8, 0.25})},
             {"target", tensor::int64s({3}, {0, 0, 0})}});
    // a NaN score is no term (z > 0 is false), a NaN target score makes every z NaN: no loss, zero gradient
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({2, 3}, {1, nan, 3, nan, 1, 2})}, {"target", tensor::int64s({2}, {0, 0})}});
    // negative weights, a large margin
    b.add(type, {{"reduction", "sum"}, {"margin", 5.0}},
          {{"input", logits(g, {3, 4}, regime::ordinary)}, {"target", tensor::int64s({3}, {3, 1, 0})},
           {"weight", floats({4}, {-1, 0.5, 2, -0.25})}});
    // errors: p = 3, targets out of range (C and -1), a 2-D weight, a weight of the wrong size, a 3-D input, empty
    // rows, a target per row plus one, a float target
    b.add(type, {{"p", std::int64_t{3}}}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", tensor::int64s({2}, {0, 1})}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", tensor::int64s({2}, {0, 3})}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", tensor::int64s({2}, {-1, 0})}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", tensor::int64s({2}, {0, 1})},
                     {"weight", floats({1, 3}, {1, 1, 1})}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", tensor::int64s({2}, {0, 1})},
                     {"weight", floats({2}, {1, 1})}});
    b.add(type, {}, {{"input", logits(g, {2, 3, 2}, regime::ordinary)}, {"target", tensor::int64s({2}, {0, 1})}});
    b.add(type, {}, {{"input", floats({2, 0}, {})}, {"target", tensor::int64s({2}, {0, 0})}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", tensor::int64s({3}, {0, 1, 2})}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", floats({2}, {0, 1})}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
