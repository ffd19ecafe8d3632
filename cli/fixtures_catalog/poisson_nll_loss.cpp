// The fixture cases of poisson_nll_loss: every reduction (legacy flags included; 'elementwise_mean' alone is an
// error here) × shapes (equal, 0-D, N = 1, empty, broadcasting both ways) × log_input absent/true/false × full
// absent/false/true × eps; the Stirling mask at t = 1, targets 0 and negative (NaN target gradient with full),
// log(0 + eps) and eps = 0; the inputs torch rejects.

#include "support.h"

namespace losscheck::cli::catalog {

namespace {

/// Counts 0..8, a quarter of them non-integers (t + 0.5), in float32-exact values.
tensor poisson_counts(splitmix64& g, const shape_t& shape) {
  tensor t = uniform(g, shape, 0, 1);
  for (auto& v : t.values) {
    v = static_cast<double>(g.index(9));
    if (g.chance(0.25)) v += 0.5;
  }
  return t;
}

}  // namespace

std::vector<loss_case> poisson_nll_loss_cases(splitmix64& g) {
  builder b("poisson_nll_loss", g);
  const std::vector<std::pair<shape_t, shape_t>> shapes{{{}, {}},         {{5}, {5}},       {{2, 3}, {2, 3}},
                                                        {{2, 3, 2}, {2, 3, 2}}, {{1, 4}, {1, 4}}, {{0, 3}, {0, 3}},
                                                        {{2, 3}, {3}},    {{3}, {2, 3}}};
  std::vector<options> reductions;
  for (auto& r : reduction_sets(false))
    if (!(r.size() == 1 && r.count("reduction") && std::get<std::string>(r.at("reduction")) == "elementwise_mean"))
      reductions.push_back(r);
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reductions)
      for (const auto& [si, st] : shapes) {
        options o = red;
        const int li = k % 3, fu = (k / 3) % 3;  // absent, true/false, ...
        const bool eps = (k / 9) % 4 == 3;
        ++k;
        const bool log_input = li != 2;
        if (li == 1) o["log_input"] = true;
        if (li == 2) o["log_input"] = false;
        if (fu == 1) o["full"] = false;
        if (fu == 2) o["full"] = true;
        if (eps) o["eps"] = 0.25;
        tensor x = log_input ? uniform(g, si, -3, 3) : uniform(g, si, 0, 6);
        b.add(type, std::move(o), {{"input", std::move(x)}, {"target", poisson_counts(g, st)}});
      }
  for (dtype type : dtypes) {
    // the Stirling term's mask: t <= 1 adds exactly 0 (t = 1 included), t > 1 adds it; t = 0 and t < 0 give the
    // target gradient NaN (torch's masked 0 · log t)
    const tensor t6 = floats({7}, {0, 0.5, 1, 1.5, 2, 10, -1});
    b.add(type, {{"reduction", "none"}, {"full", true}}, {{"input", floats({7}, {0.5, -1, 0, 1, 2, 0.25, 1})}, {"target", t6}});
    b.add(type, {{"reduction", "sum"}, {"full", true}, {"log_input", false}},
          {{"input", floats({7}, {0.5, 1, 0, 1, 2, 8, 1})}, {"target", t6}});
    b.add(type, {{"reduction", "mean"}, {"full", true}}, {{"input", floats({4}, {0, 1, 2, -2})}, {"target", floats({4}, {1, 1.0625, 3, 7})}});
    // log(input + eps) at input 0 (log eps), eps = 0 (log 0 = -inf: inf loss, -inf gradient; t = 0 gives NaN)
    b.add(type, {{"reduction", "none"}, {"log_input", false}}, {{"input", floats({3}, {0, 0, 1e-3})}, {"target", floats({3}, {0, 2, 1})}});
    b.add(type, {{"reduction", "none"}, {"log_input", false}, {"eps", 0.0}},
          {{"input", floats({3}, {0, 0, 1})}, {"target", floats({3}, {2, 0, 3})}});
    // errors: shapes that do not broadcast, the deprecated alias and an unknown reduction (functional.py compares the
    // string itself)
    b.add(type, {}, {{"input", uniform(g, {2, 3}, -1, 1)}, {"target", poisson_counts(g, {4})}});
    b.add(type, {{"reduction", "elementwise_mean"}}, {{"input", uniform(g, {3}, -1, 1)}, {"target", poisson_counts(g, {3})}});
    b.add(type, {{"reduction", "batchmean"}}, {{"input", uniform(g, {3}, -1, 1)}, {"target", poisson_counts(g, {3})}});
  }
  return b.take();
}

}  // namespace losscheck::cli::catalog
