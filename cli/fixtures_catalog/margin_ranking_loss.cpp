// The fixture cases of margin_ranking_loss: every reduction × shapes of one number of dimensions (equal, 0-D, N = 1,
// empty, dimensions of 1 broadcasting) × margins × ±1 labels (float and int64) and other targets × value regimes;
// pairs exactly on the kink (torch's clamp_min passes the gradient there), non-finite values; the inputs torch
// rejects (different numbers of dimensions, shapes that do not broadcast).

#include "support.h"

namespace losscheck::cli::catalog {

namespace {

/// Targets: kind 0 int64 ±1, 1 float ±1, 2 float with other values (0, 2, 0.5).
tensor ranking_targets(splitmix64& g, const shape_t& shape, int kind) {
  const auto n = static_cast<std::size_t>(checked_numel(shape));
  if (kind == 0) {
    std::vector<std::int64_t> v(n);
    for (auto& y : v) y = g.chance(0.5) ? 1 : -1;
    return tensor::int64s(shape, std::move(v));
  }
  tensor t = tensor::zeros(dtype::float64, shape);
  for (auto& y : t.values) y = kind == 1 ? (g.chance(0.5) ? 1.0 : -1.0) : g.pick(std::vector<double>{1.0, -1.0, 0.0, 2.0, 0.5});
  return t;
}

}  // namespace

std::vector<loss_case> margin_ranking_loss_cases(splitmix64& g) {
  builder b("margin_ranking_loss", g);
  struct shapes_t {
    shape_t a, b, t;
  };
  const std::vector<shapes_t> shapes{{{}, {}, {}},           {{5}, {5}, {5}},          {{2, 3}, {2, 3}, {2, 3}},
                                     {{1, 4}, {1, 4}, {1, 4}}, {{0, 3}, {0, 3}, {0, 3}}, {{2, 3}, {1, 3}, {2, 1}},
                                     {{4}, {4}, {1}},        {{2, 1, 2}, {2, 3, 2}, {2, 3, 1}}};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny, regime::mixed};
  const std::vector<double> margins{0.0, 0.5, -0.5, 1.0};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& s : shapes) {
        options o = red;
        const double margin = margins[static_cast<std::size_t>(k % 4)];
        if (margin != 0 || k % 2 == 0) o["margin"] = margin;
        const regime r = regimes[static_cast<std::size_t>((k / 2) % 4)];
        const int kind = (k / 3) % 3;
        ++k;
        tensor x1 = logits(g, s.a, r), x2 = logits(g, s.b, r);
        tensor y = ranking_targets(g, s.t, kind);
        // the kink, where the three shapes agree: x1 = x2 + y margin (exact: margins and labels are short)
        if (s.a == s.b && s.a == s.t && !x1.values.empty() && kind != 2) {
          const double label = kind == 0 ? static_cast<double>(y.ints[0]) : y.values[0];
          x2.values[0] = 0.25;
          x1.values[0] = 0.25 + label * margin;
        }
        b.add(type, std::move(o), {{"input1", std::move(x1)}, {"input2", std::move(x2)}, {"target", std::move(y)}});
      }
  for (dtype type : dtypes) {
    // the kink and either side of it (margin 0.5): z = 0, -0.25, 0.25, and x1 = x2 with margin 0.5
    b.add(type, {{"reduction", "none"}, {"margin", 0.5}},
          {{"input1", floats({4}, {1.5, 1.75, 1.25, 2.0})}, {"input2", floats({4}, {1.0, 1.0, 1.0, 2.0})},
           {"target", floats({4}, {1, 1, 1, -1})}});
    // non-finite values: a masked gradient 0 times an infinite or NaN factor is NaN (torch's autograd)
    b.add(type, {{"reduction", "none"}},
          {{"input1", floats({6}, {inf, 1, 1, inf, 0.5, -inf})}, {"input2", floats({6}, {0, 2, 0, inf, 0.5, 0})},
           {"target", floats({6}, {1, inf, nan, 1, 1, 1})}});
    b.add(type, {{"reduction", "sum"}}, {{"input1", floats({3}, {inf, 0.5, 2})}, {"input2", floats({3}, {0, 0.5, 1})},
                                         {"target", tensor::int64s({3}, {-1, 1, -1})}});
    // errors: different numbers of dimensions (functional.py's check), shapes that do not broadcast, bad reductions
    b.add(type, {}, {{"input1", logits(g, {2, 3}, regime::ordinary)}, {"input2", logits(g, {3}, regime::ordinary)},
                     {"target", ranking_targets(g, {3}, 1)}});
    b.add(type, {}, {{"input1", logits(g, {3}, regime::ordinary)}, {"input2", logits(g, {3}, regime::ordinary)},
                     {"target", ranking_targets(g, {4}, 0)}});
    b.add(type, {{"reduction", "batchmean"}}, {{"input1", logits(g, {3}, regime::ordinary)},
                                               {"input2", logits(g, {3}, regime::ordinary)},
                                               {"target", ranking_targets(g, {3}, 1)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
