// The fixture cases of triplet_margin_loss: every reduction × shapes ((N, D), (D), N = 1, D = 1, empty, broadcast
// rows, 3-D, 0-D) × margins × p × eps × swap × regimes; torch's quirks (a zero distance, the hinge and the swap at
// their ties); the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> triplet_margin_loss_cases(splitmix64& g) {
  builder b("triplet_margin_loss", g);
  struct shapes_t {
    shape_t a, p, n;
  };
  const std::vector<shapes_t> shapes{{{3, 4}, {3, 4}, {3, 4}}, {{5}, {5}, {5}},          {{1, 3}, {1, 3}, {1, 3}},
                                     {{4, 1}, {4, 1}, {4, 1}}, {{0, 3}, {0, 3}, {0, 3}}, {{3, 5}, {1, 5}, {3, 5}},
                                     {{2, 3}, {2, 3}, {2, 1}}, {{2, 2, 3}, {2, 2, 3}, {2, 2, 3}}, {{}, {}, {}},
                                     {{2, 1}, {2, 1}, {2, 3}}};
  const std::vector<double> margins{1.0, 0.5, 0.0, 2.0};
  const std::vector<double> orders{2.0, 1.0, 3.0, 1.5, 0.5};
  const std::vector<double> epsilons{1e-6, 0.0, 1e-3};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& s : shapes) {
        options o = red;
        const double margin = margins[static_cast<std::size_t>(k % 4)];
        const double order = orders[static_cast<std::size_t>((k / 2) % 5)];
        const double eps = epsilons[static_cast<std::size_t>((k / 3) % 3)];
        const bool swap = (k / 5) % 2 == 1;
        const regime r = regimes[static_cast<std::size_t>((k / 7) % 3)];
        ++k;
        if (margin != 1.0 || k % 2 == 0) o["margin"] = margin;
        if (order != 2.0 || k % 3 == 0) o["p"] = order;
        if (eps != 1e-6) o["eps"] = eps;
        if (swap || k % 4 == 0) o["swap"] = swap;
        b.add(type, std::move(o),
              {{"anchor", logits(g, s.a, r)}, {"positive", logits(g, s.p, r)}, {"negative", logits(g, s.n, r)}});
      }
  for (dtype type : dtypes) {
    for (double order : {1.0, 2.0, 3.0}) {
      // positive = anchor, eps = 0: d(a, p) = 0, whose gradient torch masks to 0
      tensor a = logits(g, {2, 3}, regime::ordinary);
      b.add(type, {{"reduction", "none"}, {"eps", 0.0}, {"p", order}},
            {{"anchor", a}, {"positive", a}, {"negative", logits(g, {2, 3}, regime::ordinary)}});
      // positive = anchor with the default eps: d(a, p) = eps·D^(1/p), not 0
      b.add(type, {{"reduction", "sum"}, {"p", order}},
            {{"anchor", a}, {"positive", a}, {"negative", logits(g, {2, 3}, regime::ordinary)}});
    }
    // the hinge at its tie: d(a, p) = 5, d(a, n) = 6, margin 1 (exact): clamp_min passes the gradient at 0
    b.add(type, {{"reduction", "none"}, {"eps", 0.0}},
          {{"anchor", floats({1, 2}, {0, 0})}, {"positive", floats({1, 2}, {3, 4})},
           {"negative", floats({1, 2}, {0, 6})}});
    // swap at its tie: d(a, n) = d(p, n) = 1: minimum's backward halves the gradient
    b.add(type, {{"reduction", "none"}, {"eps", 0.0}, {"swap", true}, {"margin", 3.0}},
          {{"anchor", floats({1, 2}, {0, 0})}, {"positive", floats({1, 2}, {2, 0})},
           {"negative", floats({1, 2}, {1, 0})}});
    // a zero difference element at p = 1 and p = 1.5: its gradient is 0 (sgn(0) = 0)
    b.add(type, {{"reduction", "none"}, {"eps", 0.0}, {"p", 1.0}},
          {{"anchor", floats({1, 3}, {1, 2, 3})}, {"positive", floats({1, 3}, {1, 0, 0})},
           {"negative", floats({1, 3}, {4, 5, 5})}});
    b.add(type, {{"reduction", "none"}, {"eps", 0.0}, {"p", 1.5}},
          {{"anchor", floats({1, 3}, {1, 2, 3})}, {"positive", floats({1, 3}, {1, 0, 0})},
           {"negative", floats({1, 3}, {4, 5, 5})}});
    // errors: ranks that differ, shapes that do not broadcast
    b.add(type, {},
          {{"anchor", logits(g, {2, 3}, regime::ordinary)}, {"positive", logits(g, {3}, regime::ordinary)},
           {"negative", logits(g, {2, 3}, regime::ordinary)}});
    b.add(type, {},
          {{"anchor", logits(g, {2, 3}, regime::ordinary)}, {"positive", logits(g, {2, 3}, regime::ordinary)},
           {"negative", logits(g, {2, 4}, regime::ordinary)}});
    b.add(type, {},
          {{"anchor", logits(g, {3, 3}, regime::ordinary)}, {"positive", logits(g, {2, 3}, regime::ordinary)},
           {"negative", logits(g, {3, 3}, regime::ordinary)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
