// The fixture cases of triplet_margin_with_distance_loss: every reduction × shapes ((N, D), (D), N = 1, D = 1,
// empty, broadcast rows, ranks that differ, 3-D) × distance_function (null, "pairwise_distance", "cosine") × margins
// × swap × regimes; zero vectors (cosine's clamp), the hinge and the swap at their ties; the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> triplet_margin_with_distance_loss_cases(splitmix64& g) {
  builder b("triplet_margin_with_distance_loss", g);
  struct shapes_t {
    shape_t a, p, n;
  };
  const std::vector<shapes_t> shapes{{{3, 4}, {3, 4}, {3, 4}}, {{5}, {5}, {5}},          {{1, 3}, {1, 3}, {1, 3}},
                                     {{4, 1}, {4, 1}, {4, 1}}, {{0, 3}, {0, 3}, {0, 3}}, {{3, 5}, {1, 5}, {3, 5}},
                                     {{3, 4}, {4}, {3, 4}},    {{2, 2, 3}, {2, 2, 3}, {2, 2, 3}},
                                     {{2, 1}, {2, 1}, {2, 3}}};
  const std::vector<const char*> distances{nullptr, "pairwise_distance", "cosine", "cosine"};
  const std::vector<double> margins{1.0, 0.5, 0.0, 2.0};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny};
  // reductions: the three strings and the deprecated alias (no legacy flags)
  const std::vector<options> reductions{{}, {{"reduction", "none"}}, {{"reduction", "sum"}},
                                        {{"reduction", "mean"}}, {{"reduction", "elementwise_mean"}}};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reductions)
      for (const auto& s : shapes) {
        options o = red;
        const char* distance = distances[static_cast<std::size_t>(k % 4)];
        const double margin = margins[static_cast<std::size_t>((k / 2) % 4)];
        const bool swap = (k / 3) % 2 == 1;
        const regime r = regimes[static_cast<std::size_t>((k / 5) % 3)];
        ++k;
        if (distance) o["distance_function"] = std::string(distance);
        else if (k % 3 == 0) o["distance_function"] = std::monostate{};
        if (margin != 1.0 || k % 2 == 0) o["margin"] = margin;
        if (swap || k % 4 == 0) o["swap"] = swap;
        b.add(type, std::move(o),
              {{"anchor", logits(g, s.a, r)}, {"positive", logits(g, s.p, r)}, {"negative", logits(g, s.n, r)}});
      }
  for (dtype type : dtypes) {
    // cosine with a zero vector: its norm is clamped to 1e-8, cos = 0, and the gradient is y / (1e-8 N_y)
    b.add(type, {{"reduction", "none"}, {"distance_function", "cosine"}},
          {{"anchor", floats({2, 3}, {0, 0, 0, 1, 2, 3})}, {"positive", floats({2, 3}, {1, -1, 2, 0, 0, 0})},
           {"negative", floats({2, 3}, {3, 1, 0, -1, 0, 2})}});
    // the hinge at its tie (cosine; the pairwise distance's fixed eps keeps it off exact ties): d(a, p) = 1 and
    // d(a, n) = 1 (both orthogonal), margin 0: h = 0 exactly, and the clamp passes the gradient
    b.add(type, {{"reduction", "none"}, {"distance_function", "cosine"}, {"margin", 0.0}},
          {{"anchor", floats({1, 2}, {1, 0})}, {"positive", floats({1, 2}, {0, 2})},
           {"negative", floats({1, 2}, {0, -3})}});
    // swap at its tie (cosine): d(a, n) = d(p, n) = 1 (both orthogonal to n)
    b.add(type, {{"reduction", "none"}, {"distance_function", "cosine"}, {"swap", true}},
          {{"anchor", floats({1, 3}, {1, 0, 0})}, {"positive", floats({1, 3}, {0, 1, 0})},
           {"negative", floats({1, 3}, {0, 0, 1})}});
    // positive = anchor (pairwise): d(a, p) = 1e-6·√D
    tensor a = logits(g, {2, 3}, regime::ordinary);
    b.add(type, {{"reduction", "sum"}}, {{"anchor", a}, {"positive", a}, {"negative", logits(g, {2, 3}, regime::ordinary)}});
    // errors: shapes that do not broadcast; a reduction torch does not know
    b.add(type, {},
          {{"anchor", logits(g, {2, 3}, regime::ordinary)}, {"positive", logits(g, {2, 3}, regime::ordinary)},
           {"negative", logits(g, {2, 4}, regime::ordinary)}});
    b.add(type, {{"reduction", "batchmean"}},
          {{"anchor", logits(g, {2, 3}, regime::ordinary)}, {"positive", logits(g, {2, 3}, regime::ordinary)},
           {"negative", logits(g, {2, 3}, regime::ordinary)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
