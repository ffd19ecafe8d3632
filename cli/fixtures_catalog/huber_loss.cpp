// The fixture cases of huber_loss: every reduction (no legacy flags: functional.py has none) × input/target shapes
// (equal, 0-D, N = 1, empty, broadcasting both ways) × value regimes × delta (default, 0.5, 2, 0.1, 1024);
// differences exactly at ±delta and a few ULPs either side of it, ties, infinities and NaN; the inputs
// torch rejects (delta <= 0, shapes, reductions; a legacy flag is a name the record does not know, so it is
// pinned by the spot tests instead).

#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> huber_loss_cases(splitmix64& g) {
  builder b("huber_loss", g);
  const std::vector<std::pair<shape_t, shape_t>> shapes{{{}, {}},       {{5}, {5}},       {{2, 3}, {2, 3}},
                                                        {{2, 3, 2}, {2, 3, 2}}, {{1, 4}, {1, 4}}, {{0, 3}, {0, 3}},
                                                        {{2, 3}, {3}},  {{1, 3}, {2, 1}}};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny, regime::mixed};
  const std::vector<double> deltas{-1, 0.5, 2.0, splitmix64::f32(0.1), 1024.0};  // -1: the default (absent)
  std::vector<options> reductions;
  for (const auto& red : reduction_sets(false))
    if (!red.count("size_average") && !red.count("reduce")) reductions.push_back(red);
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reductions)
      for (const auto& [si, st] : shapes) {
        const regime r = regimes[static_cast<std::size_t>(k % 4)];
        options o = red;
        const double delta = deltas[static_cast<std::size_t>(k++ % 5)];
        if (delta >= 0) o["delta"] = delta;
        b.add(type, o, {{"input", logits(g, si, r)}, {"target", logits(g, st, r)}});
      }
  for (dtype type : dtypes) {
    // the kink: |d| = delta exactly (linear branch, slope ±delta), and just below / above it
    const double below = type == dtype::float32 ? 1.9999999 : 1.9999999999999998;
    const double above = type == dtype::float32 ? 2.0000002 : 2.0000000000000004;
    b.add(type, {{"reduction", "none"}, {"delta", 2.0}},
          {{"input", floats({6}, {3, -1, 0, 0, 0, 0})}, {"target", floats({6}, {1, 1, 2, -2, -below, above})}});
    b.add(type, {{"reduction", "sum"}, {"delta", 0.5}},
          {{"input", floats({4}, {0.5, -0.5, 1.25, 1.75})}, {"target", floats({4}, {0, 0, 1.75, 1.25})}});
    // ties, non-finite values and delta
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({5}, {1.5, -2, 0, -0.0, 3})}, {"target", floats({5}, {1.5, -2, -0.0, 0, -3})}});
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({5}, {inf, -inf, nan, 1, inf})}, {"target", floats({5}, {1, 1, 0, inf, inf})}});
    // errors
    b.add(type, {{"delta", 0.0}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", logits(g, {3}, regime::ordinary)}});
    b.add(type, {{"delta", -1.0}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", logits(g, {3}, regime::ordinary)}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", logits(g, {4}, regime::ordinary)}});
    b.add(type, {{"reduction", "bogus"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", logits(g, {3}, regime::ordinary)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
