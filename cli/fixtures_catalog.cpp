// The fixture catalog: every loss × option × shape × dtype × value regime, plus the inputs torch rejects. This file
// is the generic part -- the case builder, the value makers every loss draws from (fixtures_catalog/support.h) and
// fixture_catalog(), which calls the loss's own cases (fixtures_catalog/<loss>.cpp) through a table indexed by
// loss_record::index.

#include <fmt/format.h>

#include <array>
#include <stdexcept>

#include "fixtures.h"
#include "fixtures_catalog/support.h"
#include "losscheck/dtype_traits.h"
#include "losscheck/problem.h"

namespace losscheck::cli {
namespace catalog {

std::vector<options> reduction_sets(bool batchmean) {
  std::vector<options> r{
      {},
      {{"reduction", "mean"}},
      {{"reduction", "sum"}},
      {{"reduction", "none"}},
      {{"reduction", "elementwise_mean"}},
      {{"size_average", false}},
      {{"reduce", false}},
      {{"size_average", true}, {"reduce", true}, {"reduction", "sum"}},
      {{"size_average", std::monostate{}}, {"reduce", false}, {"reduction", "mean"}},
      {{"size_average", false}, {"reduce", true}, {"reduction", "none"}},
  };
  if (batchmean) {
    r.push_back({{"reduction", "batchmean"}});
    r.push_back({{"reduction", "batchmean"}, {"size_average", false}});  // functional.py: sum, then / size(0)
    r.push_back({{"reduction", "batchmean"}, {"reduce", false}});        // none, then / size(0)
  }
  return r;
}

namespace {
bool is_none(const loss_case& c) {
  try {
    return std::visit([](const auto& q) { return q.red == reduction::none; }, resolve_problem(c));
  } catch (const std::exception&) {
    return false;
  }
}
}  // namespace

void builder::add(dtype type, options o, inputs in, bool random_grad) {
  loss_case c;
  c.id = fmt::format("\"{}/{}\"", loss_, out_.size());
  c.loss = loss_;
  c.type = type;
  c.options = std::move(o);
  for (auto& [name, t] : in) {
    if (t.is_floating()) t.type = type;
    c.inputs.emplace(name, std::move(t));
  }
  if (random_grad) {
    try {
      const auto shape = output_shape(resolve_problem(c));
      if (is_none(c) || g_.chance(0.3)) {
        tensor go = tensor::zeros(type, shape);
        for (auto& v : go.values) v = g_.chance(0.1) ? g_.pick(std::vector<double>{0.0, 1.0, -1.0}) : g_.uniform(-2, 2);
        c.grad_output = std::move(go);
      }
    } catch (const std::exception&) {
      // an invalid case: no grad_output
    }
  }
  out_.push_back(std::move(c));
}

tensor floats(shape_t shape, std::vector<double> v) { return tensor::floats(dtype::float64, std::move(shape), std::move(v)); }

namespace {
double logit(splitmix64& g, regime r) {
  switch (r) {
    case regime::ordinary: return g.uniform(-3, 3);
    case regime::large: return (g.chance(0.5) ? -1 : 1) * g.uniform(50, 1000);
    case regime::tiny: return g.uniform(-1, 1) * 0x1p-12;
    case regime::mixed: return g.chance(0.3) ? (g.chance(0.5) ? -1 : 1) * g.uniform(20, 200) : g.uniform(-3, 3);
  }
  return 0;
}
}  // namespace

tensor logits(splitmix64& g, const shape_t& shape, regime r) {
  tensor t = tensor::zeros(dtype::float64, shape);
  for (auto& v : t.values) v = logit(g, r);
  return t;
}

tensor probabilities(splitmix64& g, const shape_t& shape, double edges) {
  // float32's unit roundoff u and 1 - u, the float below 1 (edges in both dtypes)
  constexpr double u = dtype_traits(dtype::float32).unit_roundoff;
  static const std::vector<double> edge{0.0, 1.0, u, 1 - u, splitmix64::f32(1e-7), 1 - 0x1p-12, 0x1p-60};
  tensor t = tensor::zeros(dtype::float64, shape);
  for (auto& v : t.values) v = g.chance(edges) ? g.pick(edge) : g.uniform(0, 1);
  return t;
}

tensor uniform(splitmix64& g, const shape_t& shape, double lo, double hi) {
  tensor t = tensor::zeros(dtype::float64, shape);
  for (auto& v : t.values) v = g.uniform(lo, hi);
  return t;
}

tensor bce_targets(splitmix64& g, const shape_t& shape, int kind) {
  tensor t = tensor::zeros(dtype::float64, shape);
  for (auto& v : t.values) {
    if (kind == 0) v = g.chance(0.2) ? g.pick(std::vector<double>{0.0, 1.0}) : g.uniform(0, 1);
    else if (kind == 1) v = g.chance(0.5) ? 1.0 : 0.0;
    else v = g.pick(std::vector<double>{-1.0, 2.0, 1.5, g.uniform(-1, 2)});
  }
  return t;
}

tensor class_targets(splitmix64& g, const shape_t& shape, std::int64_t classes, std::optional<std::int64_t> ignore,
                     double ignore_share) {
  const auto n = checked_numel(shape);
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = (ignore && g.chance(ignore_share)) ? *ignore : g.index(classes);
  return tensor::int64s(shape, std::move(v));
}

shape_t trailing_one(shape_t shape) {
  shape.back() = 1;
  return shape;
}

namespace {
struct class_shape {
  shape_t input;
  shape_t target;
};
const std::vector<class_shape> class_shapes{
    {{4}, {}},         {{3, 4}, {3}},   {{2, 3, 2}, {2, 2}}, {{2, 3, 2, 2}, {2, 2, 2}},
    {{1, 5}, {1}},     {{0, 3}, {0}},   {{4, 1}, {4}},
};

/// ignore_index kinds: absent, negative, in range, >= C. Returns the option value (or nothing) and the index used.
std::optional<std::int64_t> ignore_of(int kind, std::int64_t classes, options& o) {
  switch (kind) {
    case 0: return std::nullopt;
    case 1: o["ignore_index"] = std::int64_t{-1}; return -1;
    case 2: o["ignore_index"] = std::int64_t{classes > 1 ? 1 : 0}; return classes > 1 ? 1 : 0;
    default: o["ignore_index"] = classes + 1; return classes + 1;
  }
}
}  // namespace

void class_index_cases(builder& b, splitmix64& g, class_index_family family) {
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::mixed};
  const std::vector<double> smoothing{0.0, 0.1, 0.5, 1.0};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& s : class_shapes) {
        options o = red;
        const std::int64_t C = s.input.size() == 1 ? s.input[0] : s.input[1];
        const int ignore_kind = k % 4;
        const bool weighted = (k / 4) % 2 == 1;
        const regime r = regimes[static_cast<std::size_t>((k / 3) % 3)];
        const double eps = family.label_smoothing ? smoothing[static_cast<std::size_t>((k / 2) % 4)] : 0.0;
        ++k;
        const auto ignore = ignore_of(ignore_kind, C, o);
        if (family.label_smoothing && eps > 0) o["label_smoothing"] = eps;
        inputs in{{"input", logits(g, s.input, r)}, {"target", class_targets(g, s.target, C, ignore, 0.3)}};
        if (family.log_probabilities && k % 2 == 0) {  // log-probabilities, as nll_loss expects (it does not check)
          auto& x = in["input"].values;
          for (auto& v : x) v = -std::fabs(v);
        }
        if (weighted) {
          tensor w = uniform(g, {C}, 0.25, 3);
          if (k % 3 == 0) w.values[0] = 0;
          in["weight"] = std::move(w);
        }
        b.add(type, std::move(o), std::move(in));
      }
  // every ignore_index kind × weight × smoothing on one batched shape, every target ignored, zero weights
  for (dtype type : dtypes) {
    for (int ignore_kind = 0; ignore_kind < 4; ++ignore_kind)
      for (int weighted = 0; weighted < 2; ++weighted)
        for (double eps : family.label_smoothing ? smoothing : std::vector<double>{0.0}) {
          options o{{"reduction", g.pick(std::vector<std::string>{"mean", "sum", "none"})}};
          const auto ignore = ignore_of(ignore_kind, 4, o);
          if (eps > 0) o["label_smoothing"] = eps;
          inputs in{{"input", logits(g, {5, 4}, regime::ordinary)}, {"target", class_targets(g, {5}, 4, ignore, 0.4)}};
          if (weighted) in["weight"] = uniform(g, {4}, 0.25, 3);
          b.add(type, std::move(o), std::move(in));
        }
    for (const char* red : {"mean", "sum", "none"}) {
      b.add(type, {{"reduction", red}, {"ignore_index", std::int64_t{2}}},
            {{"input", logits(g, {3, 4}, regime::ordinary)}, {"target", tensor::int64s({3}, {2, 2, 2})}});
      b.add(type, {{"reduction", red}},
            {{"input", logits(g, {3, 4}, regime::ordinary)}, {"target", tensor::int64s({3}, {0, 1, 0})},
             {"weight", floats({4}, {0, 0, 1, 1})}});
    }
    // errors: targets out of bounds (>= C, negative and not ignored), weight of the wrong size, target shape
    b.add(type, {}, {{"input", logits(g, {2, 4}, regime::ordinary)}, {"target", tensor::int64s({2}, {1, 4})}});
    b.add(type, {}, {{"input", logits(g, {2, 4}, regime::ordinary)}, {"target", tensor::int64s({2}, {-1, 0})}});
    b.add(type, {{"ignore_index", std::int64_t{-1}}}, {{"input", logits(g, {2, 4}, regime::ordinary)}, {"target", tensor::int64s({2}, {-1, 7})}});
    b.add(type, {}, {{"input", logits(g, {2, 4}, regime::ordinary)}, {"target", tensor::int64s({2}, {1, 2})}, {"weight", uniform(g, {3}, 0.5, 1)}});
    b.add(type, {}, {{"input", logits(g, {2, 4}, regime::ordinary)}, {"target", tensor::int64s({3}, {1, 2, 0})}});
    if (family.label_smoothing)
      b.add(type, {{"label_smoothing", 1.5}}, {{"input", logits(g, {2, 4}, regime::ordinary)}, {"target", tensor::int64s({2}, {1, 2})}});
  }
}

namespace {
/// Each loss's cases, in loss_catalog() order.
using cases_fn = std::vector<loss_case> (*)(splitmix64&);
constexpr std::array<cases_fn, LOSSCHECK_LOSS_COUNT> cases_of{
#define LOSSCHECK_X(name) &name##_cases,
    LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X
};
}  // namespace

}  // namespace catalog

std::vector<loss_case> fixture_catalog(const std::string& loss) {
  const loss_record* record = find_loss(loss);
  if (!record) throw std::invalid_argument(fmt::format("unknown loss '{}' (valid losses: {})", loss, loss_names()));
  // One generator per loss, seeded from the loss's name, so that adding cases to one loss leaves the others alone.
  std::uint64_t seed = fixture_seed;
  for (unsigned char ch : loss) seed = seed * 131 + ch;
  catalog::splitmix64 g(seed);
  return catalog::cases_of.at(record->index)(g);
}

}  // namespace losscheck::cli
