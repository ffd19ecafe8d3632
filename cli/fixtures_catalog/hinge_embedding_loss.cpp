// The fixture cases of hinge_embedding_loss: every reduction × input/target shapes (equal, 0-D, N = 1, empty,
// broadcasting both ways) × margins × ±1 labels (float and int64) and other targets (both branches) × value regimes;
// inputs exactly at the kink x = margin (torch's clamp_min passes the gradient there), non-finite inputs and targets;
// the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

namespace {

/// Targets: kind 0 int64 ±1, 1 float ±1, 2 float with other values (0, 2, 0.5), 3 int64 with 0 and 2.
tensor hinge_targets(splitmix64& g, const shape_t& shape, int kind) {
  const auto n = static_cast<std::size_t>(checked_numel(shape));
  if (kind == 0 || kind == 3) {
    std::vector<std::int64_t> v(n);
    for (auto& y : v) y = kind == 0 ? (g.chance(0.5) ? 1 : -1) : g.pick(std::vector<std::int64_t>{1, -1, 0, 2});
    return tensor::int64s(shape, std::move(v));
  }
  tensor t = tensor::zeros(dtype::float64, shape);
  for (auto& y : t.values) y = kind == 1 ? (g.chance(0.5) ? 1.0 : -1.0) : g.pick(std::vector<double>{1.0, -1.0, 0.0, 2.0, 0.5});
  return t;
}

}  // namespace

std::vector<loss_case> hinge_embedding_loss_cases(splitmix64& g) {
  builder b("hinge_embedding_loss", g);
  const std::vector<std::pair<shape_t, shape_t>> shapes{{{}, {}},         {{5}, {5}},       {{2, 3}, {2, 3}},
                                                        {{2, 3, 2}, {2, 3, 2}}, {{1, 4}, {1, 4}}, {{0, 3}, {0, 3}},
                                                        {{2, 3}, {3}},    {{1, 3}, {2, 1}}, {{3}, {2, 3}}};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny, regime::mixed};
  const std::vector<double> margins{1.0, 0.5, 0.0, -0.5, 2.0};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& [si, st] : shapes) {
        options o = red;
        const double margin = margins[static_cast<std::size_t>(k % 5)];
        if (margin != 1 || k % 2 == 0) o["margin"] = margin;
        const regime r = regimes[static_cast<std::size_t>((k / 2) % 4)];
        const int kind = (k / 3) % 4;
        ++k;
        tensor x = logits(g, si, r);
        if (!x.values.empty() && k % 3 == 0) x.values[0] = margin;  // the kink
        b.add(type, std::move(o), {{"input", std::move(x)}, {"target", hinge_targets(g, st, kind)}});
      }
  for (dtype type : dtypes) {
    // the kink and either side of it, for each kind of target: x = margin passes the clamp's gradient
    b.add(type, {{"reduction", "none"}, {"margin", 0.5}},
          {{"input", floats({6}, {0.5, 0.5, 0.5, 0.25, 0.75, 0.5})}, {"target", floats({6}, {-1, 1, 0, -1, -1, 2})}});
    // non-finite inputs and targets: clamp_min keeps a NaN and passes no gradient for it; inf - inf = NaN for other
    // targets; a NaN target takes both branches
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({8}, {inf, -inf, nan, inf, -inf, nan, 1, inf})}, {"target", floats({8}, {-1, -1, -1, 1, 0, 0, nan, nan})}});
    b.add(type, {{"reduction", "sum"}}, {{"input", floats({3}, {-inf, 0.5, 2})}, {"target", tensor::int64s({3}, {-1, 1, -1})}});
    // errors: shapes that do not broadcast, bad reduction strings
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", hinge_targets(g, {4}, 1)}});
    b.add(type, {{"reduction", "bogus"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", hinge_targets(g, {3}, 0)}});
    b.add(type, {{"reduction", "batchmean"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", hinge_targets(g, {3}, 1)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
