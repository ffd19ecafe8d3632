// The fixture cases of soft_margin_loss: every reduction × input/target shapes (equal, 0-D, N = 1, empty, the target
// broadcasting to the input) × value regimes × ±1 labels and other targets; margins far out on both sides (short of
// float32's exp overflow, where torch's literal log(1 + exp(z)) is inf), infinities and NaN; the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

namespace {

/// ±1 labels, or (kind 1) any values in (-2, 2): torch does not check the target.
tensor soft_margin_targets(splitmix64& g, const shape_t& shape, int kind) {
  tensor t = tensor::zeros(dtype::float64, shape);
  for (auto& y : t.values) y = kind == 0 ? (g.chance(0.5) ? 1.0 : -1.0) : g.uniform(-2, 2);
  return t;
}

}  // namespace

std::vector<loss_case> soft_margin_loss_cases(splitmix64& g) {
  builder b("soft_margin_loss", g);
  const std::vector<std::pair<shape_t, shape_t>> shapes{{{}, {}},         {{5}, {5}},       {{2, 3}, {2, 3}},
                                                        {{2, 3, 2}, {2, 3, 2}}, {{1, 4}, {1, 4}}, {{0, 3}, {0, 3}},
                                                        {{2, 3}, {3}},    {{2, 3}, {2, 1}}, {{4}, {}}};
  // no regime::large: |y x| beyond 88.7 overflows torch's float32 exp, and the fixture would hold its inf where the
  // value is finite (the property suite checks that regime); margins up to 40 instead
  const std::vector<int> regimes{0, 1, 2, 3};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& [si, st] : shapes) {
        const int r = regimes[static_cast<std::size_t>(k % 4)];
        const int kind = (k / 4) % 3 == 2 ? 1 : 0;
        ++k;
        tensor x = r == 0 ? logits(g, si, regime::ordinary) : r == 1 ? logits(g, si, regime::tiny) : uniform(g, si, -40, 40);
        if (r == 3)  // mixed: ordinary values with exact zeros
          for (auto& v : x.values) v = g.chance(0.3) ? 0.0 : v / 16;
        b.add(type, red, {{"input", std::move(x)}, {"target", soft_margin_targets(g, st, kind)}});
      }
  for (dtype type : dtypes) {
    // margins y x far out on both sides: z = -y x = ±80 (exp(80) = 5.5e34 is still finite in float32), ±30, 0
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({6}, {80, -80, 30, -30, 0, -0.0})}, {"target", floats({6}, {1, 1, -1, -1, 1, -1})}});
    // non-finite inputs and targets: z = +inf gives inf and a NaN gradient (inf / inf), z = -inf 0, y = ±inf with
    // z = -inf a NaN gradient (inf · 0), NaN everywhere NaN
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({6}, {inf, -inf, nan, 1, 2, 0})}, {"target", floats({6}, {1, 1, 1, inf, nan, inf})}});
    b.add(type, {{"reduction", "sum"}}, {{"input", floats({3}, {inf, 0.5, -1})}, {"target", floats({3}, {1, -1, 1})}});
    // errors: a target that would enlarge the input, shapes that do not broadcast, bad reduction strings
    b.add(type, {}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", soft_margin_targets(g, {2, 3}, 0)}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", soft_margin_targets(g, {4}, 0)}});
    b.add(type, {{"reduction", "bogus"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", soft_margin_targets(g, {3}, 0)}});
    b.add(type, {{"reduction", "batchmean"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", soft_margin_targets(g, {3}, 0)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
