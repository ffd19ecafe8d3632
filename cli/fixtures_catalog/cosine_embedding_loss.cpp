// The fixture cases of cosine_embedding_loss: every reduction × shapes ((N, D), (D), N = 1, D = 1, empty, broadcasting)
// × margins × int64 and float targets (±1 and others) × regimes, zero vectors; the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> cosine_embedding_loss_cases(splitmix64& g) {
  builder b("cosine_embedding_loss", g);
  struct shapes_t {
    shape_t a, b, t;
  };
  const std::vector<shapes_t> shapes{{{3, 4}, {3, 4}, {3}}, {{5}, {5}, {}},       {{1, 3}, {1, 3}, {1}},
                                     {{4, 1}, {4, 1}, {4}}, {{0, 3}, {0, 3}, {0}}, {{1, 5}, {3, 5}, {3}}};
  const std::vector<double> margins{0.0, 0.5, -0.5, 0.25};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& s : shapes) {
        options o = red;
        const double margin = margins[static_cast<std::size_t>(k % 4)];
        const int target_kind = (k / 2) % 3;  // int64 ±1, float ±1, float with other values
        const regime r = regimes[static_cast<std::size_t>((k / 3) % 3)];
        const bool zeros = (k / 4) % 3 == 2;
        ++k;
        if (margin != 0 || k % 2 == 0) o["margin"] = margin;
        tensor x1 = logits(g, s.a, r), x2 = logits(g, s.b, r);
        if (zeros && !x1.values.empty()) {  // a zero vector in the first row of one input
          tensor& z = k % 2 ? x1 : x2;
          const auto d = z.shape.back();
          for (std::int64_t i = 0; i < d; ++i) z.values[static_cast<std::size_t>(i)] = 0;
        }
        const auto nt = checked_numel(s.t);
        tensor t;
        if (target_kind == 0) {
          std::vector<std::int64_t> v(static_cast<std::size_t>(nt));
          for (auto& y : v) y = g.chance(0.5) ? 1 : -1;
          t = tensor::int64s(s.t, std::move(v));
        } else {
          t = tensor::zeros(dtype::float64, s.t);
          for (auto& y : t.values)
            y = target_kind == 1 ? (g.chance(0.5) ? 1.0 : -1.0) : g.pick(std::vector<double>{1.0, -1.0, 0.0, 2.0});
        }
        b.add(type, std::move(o), {{"input1", std::move(x1)}, {"input2", std::move(x2)}, {"target", std::move(t)}});
      }
  for (dtype type : dtypes) {
    // both vectors zero; cos exactly at the margin is avoided (the clamp's gradient there is a tie)
    b.add(type, {{"reduction", "none"}, {"margin", 0.5}},
          {{"input1", floats({2, 3}, {0, 0, 0, 1, 2, 3})}, {"input2", floats({2, 3}, {0, 0, 0, 0, 0, 0})},
           {"target", tensor::int64s({2}, {1, 1})}});
    // errors: dimensions that do not match, 3-D inputs, a 2-D target
    b.add(type, {}, {{"input1", logits(g, {2, 3}, regime::ordinary)}, {"input2", logits(g, {2, 4}, regime::ordinary)}, {"target", tensor::int64s({2}, {1, -1})}});
    b.add(type, {}, {{"input1", logits(g, {2, 2, 3}, regime::ordinary)}, {"input2", logits(g, {2, 2, 3}, regime::ordinary)}, {"target", tensor::int64s({2, 2}, {1, -1, 1, 1})}});
    b.add(type, {}, {{"input1", logits(g, {2, 3}, regime::ordinary)}, {"input2", logits(g, {2, 3}, regime::ordinary)}, {"target", tensor::int64s({2, 1}, {1, -1})}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
