// The fixture cases of binary_cross_entropy: every reduction × shapes × probabilities with and without edges × target
// kinds × weights (absent, full, (C), (N, 1)); the -100 clamp of the log; the inputs torch rejects.

#include "losscheck/dtype_traits.h"
#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> binary_cross_entropy_cases(splitmix64& g) {
  builder b("binary_cross_entropy", g);
  const std::vector<shape_t> shapes{{}, {5}, {2, 3}, {2, 3, 2}, {1, 4}, {0, 3}};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& shape : shapes) {
        const int weight_kind = k % 4, target_kind = (k / 4) % 3;
        const double edges = (k % 3 == 0) ? 0.0 : 0.4;
        ++k;
        inputs in{{"input", probabilities(g, shape, edges)}, {"target", bce_targets(g, shape, target_kind)}};
        if (weight_kind == 1) in["weight"] = uniform(g, shape, 0, 3);
        else if (weight_kind == 2 && !shape.empty()) in["weight"] = uniform(g, {shape.back()}, 0.25, 2);
        else if (weight_kind == 3 && shape.size() >= 2) in["weight"] = uniform(g, trailing_one(shape), 0.5, 2);
        b.add(type, red, std::move(in));
      }
  for (dtype type : dtypes) {
    // the -100 clamp: x = 0 and 1 with y = 0 and 1; gradients of the target are ±inf there
    // (float32's unit roundoff u, 1 - u and its smallest normal number, in both dtypes)
    constexpr const float_traits& f32_traits = dtype_traits(dtype::float32);
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({6}, {0, 0, 1, 1, f32_traits.unit_roundoff, 1 - f32_traits.unit_roundoff})},
           {"target", floats({6}, {0, 1, 0, 1, 1, 0})}});
    b.add(type, {{"reduction", "mean"}},
          {{"input", floats({4}, {0, 1, 0.5, f32_traits.min_normal})}, {"target", floats({4}, {1, 0, 0.5, 1})}});
    // errors: input outside [0, 1] (NaN too), target shape, weight that does not broadcast
    for (double bad : {1.5, -0.25, nan})
      b.add(type, {}, {{"input", floats({3}, {0.5, bad, 0.25})}, {"target", floats({3}, {0, 1, 1})}});
    b.add(type, {}, {{"input", probabilities(g, {2, 3}, 0)}, {"target", probabilities(g, {3, 2}, 0)}});
    b.add(type, {}, {{"input", probabilities(g, {2, 3}, 0)}, {"target", probabilities(g, {2, 3}, 0)}, {"weight", uniform(g, {4}, 0, 1)}});
    b.add(type, {{"reduction", "batchmean"}}, {{"input", probabilities(g, {3}, 0)}, {"target", probabilities(g, {3}, 0)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
