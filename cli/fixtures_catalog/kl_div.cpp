// The fixture cases of kl_div: every reduction (batchmean with and without the legacy flags) × shapes × log_target
// absent/false/true × regimes; zeros and negative targets, -inf log-targets; the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

std::vector<loss_case> kl_div_cases(splitmix64& g) {
  builder b("kl_div", g);
  const std::vector<std::pair<shape_t, shape_t>> shapes{{{}, {}},         {{5}, {5}},       {{2, 3}, {2, 3}},
                                                        {{2, 3, 2}, {2, 3, 2}}, {{1, 4}, {1, 4}}, {{0, 3}, {0, 3}},
                                                        {{2, 3}, {3}}};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(true))
      for (const auto& [si, st] : shapes) {
        options o = red;
        const int lt = k % 3;  // absent, false, true
        const bool large = (k / 3) % 4 == 3;
        ++k;
        if (lt == 1) o["log_target"] = false;
        if (lt == 2) o["log_target"] = true;
        tensor x = large ? logits(g, si, regime::mixed) : uniform(g, si, -6, 0);
        tensor t = probabilities(g, st, 0.3);
        if (lt == 2)
          for (auto& v : t.values) v = v > 0 ? splitmix64::f32(std::log(v)) : -100.0;
        b.add(type, std::move(o), {{"input", std::move(x)}, {"target", std::move(t)}});
      }
  for (dtype type : dtypes) {
    // zeros and negative targets (0 log 0 = 0; t < 0 gives NaN), -inf log-targets
    b.add(type, {{"reduction", "none"}}, {{"input", floats({4}, {-1, -2, -0.5, 0})}, {"target", floats({4}, {0, 0.5, -0.25, 1})}});
    b.add(type, {{"reduction", "none"}, {"log_target", true}},
          {{"input", floats({4}, {-1, -2, -0.5, 0})}, {"target", floats({4}, {-inf, -0.5, 0, -100})}});
    b.add(type, {{"reduction", "sum"}}, {{"input", floats({3}, {-1, -2, -0.5})}, {"target", floats({3}, {0, 0, 0})}});
    // errors: shapes that do not broadcast, an unknown reduction
    b.add(type, {}, {{"input", uniform(g, {2, 3}, -2, 0)}, {"target", probabilities(g, {4}, 0)}});
    b.add(type, {{"reduction", "average"}}, {{"input", uniform(g, {3}, -2, 0)}, {"target", probabilities(g, {3}, 0)}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
