// The fixture cases of gaussian_nll_loss: every reduction (no legacy flags; 'elementwise_mean' is an error here) ×
// input/target/var shapes (var of the input's shape, without its last dimension, with a last dimension of 1; the
// target broadcasting both ways; a 0-D input with a (1) var) × full × eps; var at, below and around eps (the clamp,
// whose gradient passes as the identity), -0 and 0; the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> gaussian_nll_loss_cases(splitmix64& g) {
  builder b("gaussian_nll_loss", g);
  struct gaussian_shapes {
    shape_t input, target, var;
  };
  const std::vector<gaussian_shapes> shapes{
      {{}, {}, {}},          {{5}, {5}, {5}},          {{5}, {5}, {}},          {{5}, {5}, {1}},
      {{2, 3}, {2, 3}, {2, 3}}, {{2, 3}, {2, 3}, {2}},    {{2, 3}, {2, 3}, {2, 1}}, {{2, 3, 2}, {2, 3, 2}, {2, 3}},
      {{0, 3}, {0, 3}, {0}},  {{2, 3}, {3}, {2, 1}},    {{3}, {2, 3}, {3}},      {{}, {}, {1}}};
  const std::vector<options> reductions{{}, {{"reduction", "none"}}, {{"reduction", "sum"}}, {{"reduction", "mean"}}};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reductions)
      for (const auto& s : shapes) {
        options o = red;
        const int fu = k % 3;  // absent, false, true
        const bool eps = (k / 3) % 4 == 3;
        ++k;
        if (fu == 1) o["full"] = false;
        if (fu == 2) o["full"] = true;
        if (eps) o["eps"] = 0.25;
        tensor var = uniform(g, s.var, 0.125, 4);
        for (auto& v : var.values)
          if (g.chance(0.15)) v = 0;
        b.add(type, std::move(o),
              {{"input", uniform(g, s.input, -3, 3)}, {"target", uniform(g, s.target, -3, 3)}, {"var", std::move(var)}});
      }
  for (dtype type : dtypes) {
    // the clamp at eps = 1e-6 (as the dtype holds it): 0, -0, below, at and above it; full's constant
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({6}, {0.5, -1, 0.25, 1, 2, 0})}, {"target", floats({6}, {0, 0, 0.25, 0.5, 1, 0})},
           {"var", floats({6}, {0, -0.0, 1e-7, 1e-6, 2e-6, 0.5})}});
    b.add(type, {{"reduction", "sum"}, {"full", true}},
          {{"input", floats({4}, {0.5, -1, 0.25, 3})}, {"target", floats({4}, {0, 1, 0.25, -2})},
           {"var", floats({4}, {1, 0.5, 2, 1e-7})}});
    // eps larger than some variances
    b.add(type, {{"reduction", "mean"}, {"eps", 0.5}},
          {{"input", floats({2, 2}, {0.5, -1, 0.25, 3})}, {"target", floats({2, 2}, {0, 1, 0.25, -2})},
           {"var", floats({2}, {0.25, 2})}});
    // errors: a negative variance (a value check), var of the wrong size, the deprecated alias, a target that does not
    // broadcast
    b.add(type, {}, {{"input", uniform(g, {3}, -1, 1)}, {"target", uniform(g, {3}, -1, 1)}, {"var", floats({3}, {1, -0.5, 2})}});
    b.add(type, {}, {{"input", uniform(g, {2, 3}, -1, 1)}, {"target", uniform(g, {2, 3}, -1, 1)}, {"var", uniform(g, {3}, 0.5, 1)}});
    b.add(type, {}, {{"input", uniform(g, {2, 3}, -1, 1)}, {"target", uniform(g, {2, 3}, -1, 1)}, {"var", uniform(g, {2, 3, 1}, 0.5, 1)}});
    b.add(type, {{"reduction", "elementwise_mean"}},
          {{"input", uniform(g, {3}, -1, 1)}, {"target", uniform(g, {3}, -1, 1)}, {"var", uniform(g, {3}, 0.5, 1)}});
    b.add(type, {}, {{"input", uniform(g, {2, 3}, -1, 1)}, {"target", uniform(g, {4}, -1, 1)}, {"var", uniform(g, {2, 3}, 0.5, 1)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
