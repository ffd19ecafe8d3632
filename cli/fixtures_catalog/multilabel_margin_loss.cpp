// The fixture cases of multilabel_margin_loss: every reduction × shapes ((N, C), (C), 0-D, N = 1, C = 1, empty batch)
// × target lists (empty, full, repeated entries, values after the first -1) × regimes; scores exactly on the kink
// z = 0 and next to it; the inputs torch rejects (a value out of [-1, C) before or after the first -1, shapes).

#include "support.h"

namespace losscheck::cli::catalog {
namespace {

/// Target rows of C entries: `kind` 0 a random list then -1 then arbitrary accepted values, 1 every class listed,
/// 2 nothing listed (a leading -1), 3 a list with a repeated entry.
tensor multilabel_targets(splitmix64& g, const shape_t& shape, std::int64_t C, int kind) {
  const std::int64_t rows = shape.size() == 2 ? shape[0] : 1;
  std::vector<std::int64_t> v;
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<std::int64_t> row;
    const std::int64_t L = kind == 1 ? C : kind == 2 ? 0 : g.index(C + 1);
    for (std::int64_t k = 0; k < L; ++k) row.push_back(kind == 1 ? (k + r) % C : g.index(C));
    if (kind == 3 && !row.empty() && static_cast<std::int64_t>(row.size()) < C) row.push_back(row[0]);
    if (static_cast<std::int64_t>(row.size()) < C) row.push_back(-1);
    while (static_cast<std::int64_t>(row.size()) < C) row.push_back(g.index(C + 1) - 1);
    v.insert(v.end(), row.begin(), row.end());
  }
  return tensor::int64s(shape, std::move(v));
}

}  // namespace

std::vector<loss_case> multilabel_margin_loss_cases(splitmix64& g) {
  builder b("multilabel_margin_loss", g);
  struct shapes_t {
    shape_t input, target;
  };
  const std::vector<shapes_t> shapes{{{3, 4}, {3, 4}}, {{5}, {5}}, {{1, 3}, {1, 3}}, {{4, 1}, {4, 1}},
                                     {{0, 3}, {0, 3}}, {{2, 5}, {2, 5}}, {{}, {}}, {{}, {1}}};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny, regime::mixed};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& s : shapes) {
        const std::int64_t C = s.input.empty() ? 1 : s.input.back();
        const int kind = k % 4;
        const regime r = regimes[static_cast<std::size_t>((k / 3) % 4)];
        ++k;
        b.add(type, red, {{"input", logits(g, s.input, r)}, {"target", multilabel_targets(g, s.target, C, kind)}});
      }
  for (dtype type : dtypes) {
    // the kink: z = 1 - x[t] + x[i] exactly 0 (inactive, gradient 0), 2^-8 above and below it
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({3, 3}, {0.5, -0.5, 0.25, 0.5, -0.5 + 0x1p-8, 0.25, 0.5, -0.5 - 0x1p-8, 0.25})},
           {"target", tensor::int64s({3, 3}, {0, -1, 2, 0, -1, 1, 0, -1, -1})}});
    // a NaN score is no term (z > 0 is false); a NaN target score makes its pairs NaN
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({2, 3}, {1, nan, 3, nan, 1, 2})}, {"target", tensor::int64s({2, 3}, {0, -1, 0, 0, 1, -1})}});
    // errors: a value beyond C after the first -1, -2, a flattened target, a (C) input with a 2-D target, a 3-D
    // input, empty rows, a float target
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", tensor::int64s({2, 3}, {0, -1, 3, 1, -1, 0})}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", tensor::int64s({2, 3}, {0, -2, 1, 1, -1, 0})}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", tensor::int64s({6}, {0, -1, 1, 1, -1, 0})}});
    b.add(type, {}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", tensor::int64s({1, 3}, {0, -1, 1})}});
    b.add(type, {}, {{"input", logits(g, {2, 3, 1}, regime::ordinary)}, {"target", tensor::int64s({2, 3, 1}, {0, -1, 1, 1, -1, 0})}});
    b.add(type, {}, {{"input", floats({2, 0}, {})}, {"target", tensor::int64s({2, 0}, {})}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", floats({2, 3}, {0, -1, 1, 1, -1, 0})}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
