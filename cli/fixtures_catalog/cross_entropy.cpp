// The fixture cases of cross_entropy: the class-index family's (with label_smoothing), then probability targets
// (softmax, one-hot, with zeros, unnormalized) × every reduction × shapes × regimes × smoothing × weights, and the
// inputs torch rejects with them.

#include "support.h"

namespace losscheck::cli::catalog {
namespace {

/// Probability targets of `kind`: 0 softmax of random values, 1 one-hot, 2 with zeros, 3 unnormalized.
tensor probability_targets(splitmix64& g, const shape_t& shape, int kind) {
  tensor t = tensor::zeros(dtype::float64, shape);
  if (t.values.empty()) return t;
  const std::int64_t C = shape.size() == 1 ? shape[0] : shape[1];
  const std::int64_t inner = t.numel() / (shape.size() == 1 ? C : shape[0] * C);
  const std::int64_t batch = shape.size() == 1 ? 1 : shape[0];
  for (std::int64_t n = 0; n < batch; ++n)
    for (std::int64_t k = 0; k < inner; ++k) {
      auto at = [&](std::int64_t c) -> double& { return t.values[static_cast<std::size_t>((n * C + c) * inner + k)]; };
      const std::int64_t hot = g.index(C);
      double s = 0;
      for (std::int64_t c = 0; c < C; ++c) {
        if (kind == 1) at(c) = c == hot ? 1 : 0;
        else if (kind == 3) at(c) = g.uniform(0, 1);
        else at(c) = (kind == 2 && g.chance(0.4) && c != hot) ? 0 : std::exp(g.uniform(-3, 3));
        s += at(c);
      }
      if (kind == 0 || kind == 2)
        for (std::int64_t c = 0; c < C; ++c) at(c) = splitmix64::f32(at(c) / s);
    }
  return t;
}

void probability_target_cases(builder& b, splitmix64& g) {
  const std::vector<shape_t> shapes{{4}, {3, 4}, {2, 3, 2}, {1, 5}, {0, 3}, {2, 3, 1, 2}};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::mixed};
  const std::vector<double> smoothing{0.0, 0.2, 1.0};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& shape : shapes) {
        options o = red;
        const std::int64_t C = shape.size() == 1 ? shape[0] : shape[1];
        const double eps = smoothing[static_cast<std::size_t>(k % 3)];
        const regime r = regimes[static_cast<std::size_t>((k / 2) % 3)];
        const bool weighted = (k / 3) % 2 == 1;
        const int kind = (k / 5) % 4;
        if (k % 7 == 3) o["ignore_index"] = std::int64_t{-1};  // negative: allowed and ignored
        ++k;
        if (eps > 0) o["label_smoothing"] = eps;
        inputs in{{"input", logits(g, shape, r)}, {"target", probability_targets(g, shape, kind)}};
        if (weighted) in["weight"] = uniform(g, {C}, 0.25, 3);
        b.add(type, std::move(o), std::move(in));
      }
  for (dtype type : dtypes) {
    // errors: ignore_index >= 0 with probability targets, weight size, label_smoothing > 1
    b.add(type, {{"ignore_index", std::int64_t{1}}}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", probability_targets(g, {2, 3}, 0)}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", probability_targets(g, {2, 3}, 0)}, {"weight", uniform(g, {2}, 0.5, 1)}});
    b.add(type, {{"label_smoothing", 1.25}}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", probability_targets(g, {2, 3}, 0)}});
  }
}

}  // namespace

std::vector<loss_case> cross_entropy_cases(splitmix64& g) {
  builder b("cross_entropy", g);
  class_index_cases(b, g, {.label_smoothing = true, .log_probabilities = false});
  probability_target_cases(b, g);
  return b.take();
}

}  // namespace losscheck::cli::catalog
