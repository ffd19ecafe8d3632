// The fixture catalog: every loss × option × shape × dtype × value regime of issue 4, plus the inputs torch rejects.
// Deterministic: a fixed seed, splitmix64 (no std distributions), values on grids exactly representable in float32
// (so a float32 and a float64 case hold the same numbers), and fixed iteration orders.

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

#include "fixtures.h"
#include "losscheck/dtype_traits.h"
#include "losscheck/problem.h"

namespace losscheck::cli {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// splitmix64 (Steele, Lea, Flood 2014): portable and the same everywhere.
class splitmix64 {
 public:
  explicit splitmix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// In [0, 1) on a grid of 2^-20.
  double unit() { return std::ldexp(static_cast<double>(next() >> 44), -20); }
  /// In [lo, hi), rounded to float32 (exact: a 2^-20 grid scaled by hi - lo, then rounded once).
  double uniform(double lo, double hi) { return f32(lo + (hi - lo) * unit()); }
  std::int64_t index(std::int64_t n) { return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n)); }
  bool chance(double p) { return unit() < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<std::size_t>(index(static_cast<std::int64_t>(v.size())))]; }
  static double f32(double v) { return static_cast<double>(static_cast<float>(v)); }

 private:
  std::uint64_t state_;
};

using options = std::map<std::string, option_value>;
using inputs = std::map<std::string, tensor>;

/// The reduction option sets every loss is run with: each reduction, the deprecated alias, and the legacy flags
/// (which override `reduction`; a missing flag counts as true; null counts as absent).
std::vector<options> reduction_sets(bool kl) {
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
  if (kl) {
    r.push_back({{"reduction", "batchmean"}});
    r.push_back({{"reduction", "batchmean"}, {"size_average", false}});  // functional.py: sum, then / size(0)
    r.push_back({{"reduction", "batchmean"}, {"reduce", false}});        // none, then / size(0)
  }
  return r;
}

class builder {
 public:
  builder(std::string loss, splitmix64& g) : loss_(std::move(loss)), g_(g) {}

  /// Adds a case; float tensors take `type`; a `none` case gets a random grad_output, a reduced one sometimes a
  /// random scalar (valid cases only: the shape comes from losscheck's resolution of the case).
  void add(dtype type, options o, inputs in, bool random_grad = true) {
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
  std::vector<loss_case> take() { return std::move(out_); }

 private:
  static bool is_none(const loss_case& c) {
    try {
      return std::visit([](const auto& q) { return q.red == reduction::none; }, resolve_problem(c));
    } catch (const std::exception&) {
      return false;
    }
  }
  std::string loss_;
  splitmix64& g_;
  std::vector<loss_case> out_;
};

tensor floats(shape_t shape, std::vector<double> v) { return tensor::floats(dtype::float64, std::move(shape), std::move(v)); }

// ---- value regimes ----
enum class regime { ordinary, large, tiny, mixed };
double logit(splitmix64& g, regime r) {
  switch (r) {
    case regime::ordinary: return g.uniform(-3, 3);
    case regime::large: return (g.chance(0.5) ? -1 : 1) * g.uniform(50, 1000);
    case regime::tiny: return g.uniform(-1, 1) * 0x1p-12;
    case regime::mixed: return g.chance(0.3) ? (g.chance(0.5) ? -1 : 1) * g.uniform(20, 200) : g.uniform(-3, 3);
  }
  return 0;
}

tensor logits(splitmix64& g, const shape_t& shape, regime r) {
  tensor t = tensor::zeros(dtype::float64, shape);
  for (auto& v : t.values) v = logit(g, r);
  return t;
}

/// Probabilities in [0, 1]; with `edges`, some are 0, 1 or next to them.
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

/// Targets for the BCE losses: probabilities (with edges), zeros and ones, or values outside [0, 1] (accepted).
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

/// `shape` with its last dimension 1: broadcasts to `shape` ((N, 1) for (N, C)).
shape_t trailing_one(shape_t shape) {
  shape.back() = 1;
  return shape;
}

const std::vector<dtype> dtypes{dtype::float32, dtype::float64};

// ---- mse_loss ----
std::vector<loss_case> mse_loss_cases(splitmix64& g) {
  builder b("mse_loss", g);
  const std::vector<std::pair<shape_t, shape_t>> shapes{{{}, {}},       {{5}, {5}},       {{2, 3}, {2, 3}},
                                                        {{2, 3, 2}, {2, 3, 2}}, {{1, 4}, {1, 4}}, {{0, 3}, {0, 3}},
                                                        {{2, 3}, {3}},  {{1, 3}, {2, 1}}};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::tiny, regime::mixed};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& [si, st] : shapes) {
        const regime r = regimes[static_cast<std::size_t>(k++ % 4)];
        b.add(type, red, {{"input", logits(g, si, r)}, {"target", logits(g, st, r)}});
      }
  for (dtype type : dtypes) {
    // exact zeros of the difference, and non-finite values
    b.add(type, {{"reduction", "none"}}, {{"input", floats({4}, {1.5, -2, 0, 3})}, {"target", floats({4}, {1.5, -2, 0, -3})}});
    b.add(type, {{"reduction", "none"}}, {{"input", floats({4}, {inf, -inf, nan, 1})}, {"target", floats({4}, {1, 1, 0, inf})}});
    b.add(type, {{"reduction", "sum"}}, {{"input", floats({3}, {inf, 0, 1})}, {"target", floats({3}, {0, 0, 1})}});
    // errors
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", logits(g, {4}, regime::ordinary)}});
    b.add(type, {{"reduction", "bogus"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", logits(g, {3}, regime::ordinary)}});
    b.add(type, {{"reduction", "batchmean"}}, {{"input", logits(g, {3}, regime::ordinary)}, {"target", logits(g, {3}, regime::ordinary)}});
  }
  return b.take();
}

// ---- binary_cross_entropy ----
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

// ---- binary_cross_entropy_with_logits ----
std::vector<loss_case> binary_cross_entropy_with_logits_cases(splitmix64& g) {
  builder b("binary_cross_entropy_with_logits", g);
  const std::vector<shape_t> shapes{{}, {5}, {2, 3}, {2, 3, 2}, {1, 4}, {0, 3}};
  const std::vector<regime> regimes{regime::ordinary, regime::large, regime::mixed, regime::tiny};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reduction_sets(false))
      for (const auto& shape : shapes) {
        const int weight_kind = k % 3, pos_kind = (k / 3) % 3, target_kind = (k / 2) % 3;
        const regime r = regimes[static_cast<std::size_t>((k / 5) % 4)];
        ++k;
        inputs in{{"input", logits(g, shape, r)}, {"target", bce_targets(g, shape, target_kind)}};
        if (weight_kind == 1) in["weight"] = uniform(g, shape, 0, 3);
        else if (weight_kind == 2 && shape.size() >= 2) in["weight"] = uniform(g, trailing_one(shape), 0.5, 2);
        if (pos_kind == 1 && !shape.empty()) in["pos_weight"] = uniform(g, {shape.back()}, 0.25, 4);
        else if (pos_kind == 2) in["pos_weight"] = uniform(g, shape, 0, 3);
        b.add(type, red, std::move(in));
      }
  for (dtype type : dtypes) {
    // saturated logits: float32 log(1 + e^-20) rounds to 0 in LibTorch (exact 2.06e-9)
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({8}, {20, -20, 30, -30, 100, -100, 0, 17})}, {"target", floats({8}, {1, 0, 0, 1, 1, 0, 0.5, 1})}});
    b.add(type, {{"reduction", "none"}},
          {{"input", floats({2, 3}, {20, -20, 40, -40, 0, 88})}, {"target", floats({2, 3}, {1, 0, 1, 1, 0, 0})},
           {"pos_weight", floats({3}, {3, 0.5, 2})}});
    // errors: target shape, pos_weight and weight that do not broadcast
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", probabilities(g, {2, 2}, 0)}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", probabilities(g, {2, 3}, 0)}, {"pos_weight", uniform(g, {4}, 0, 1)}});
    b.add(type, {}, {{"input", logits(g, {2, 3}, regime::ordinary)}, {"target", probabilities(g, {2, 3}, 0)}, {"weight", uniform(g, {2}, 0, 1)}});
  }
  return b.take();
}

// ---- cross_entropy and nll_loss ----
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

void class_index_cases(builder& b, splitmix64& g, bool ce) {
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
        const double eps = ce ? smoothing[static_cast<std::size_t>((k / 2) % 4)] : 0.0;
        ++k;
        const auto ignore = ignore_of(ignore_kind, C, o);
        if (ce && eps > 0) o["label_smoothing"] = eps;
        inputs in{{"input", logits(g, s.input, r)}, {"target", class_targets(g, s.target, C, ignore, 0.3)}};
        if (!ce && k % 2 == 0) {  // log-probabilities, as nll_loss expects (it does not check)
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
        for (double eps : ce ? smoothing : std::vector<double>{0.0}) {
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
    if (ce) b.add(type, {{"label_smoothing", 1.5}}, {{"input", logits(g, {2, 4}, regime::ordinary)}, {"target", tensor::int64s({2}, {1, 2})}});
  }
}

/// Probability targets of `kind`: softmax of random values, one-hot, with zeros, unnormalized.
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

void class_probability_cases(builder& b, splitmix64& g) {
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

std::vector<loss_case> cross_entropy_cases(splitmix64& g) {
  builder b("cross_entropy", g);
  class_index_cases(b, g, true);
  class_probability_cases(b, g);
  return b.take();
}

std::vector<loss_case> nll_loss_cases(splitmix64& g) {
  builder b("nll_loss", g);
  class_index_cases(b, g, false);
  return b.take();
}

// ---- kl_div ----
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

// ---- cosine_embedding_loss ----
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

}  // namespace

std::vector<loss_case> fixture_catalog(const std::string& loss) {
  // One generator per loss, seeded from the loss's name, so that adding cases to one loss leaves the others alone.
  std::uint64_t seed = fixture_seed;
  for (unsigned char ch : loss) seed = seed * 131 + ch;
  splitmix64 g(seed);
  if (loss == "mse_loss") return mse_loss_cases(g);
  if (loss == "binary_cross_entropy") return binary_cross_entropy_cases(g);
  if (loss == "binary_cross_entropy_with_logits") return binary_cross_entropy_with_logits_cases(g);
  if (loss == "cross_entropy") return cross_entropy_cases(g);
  if (loss == "nll_loss") return nll_loss_cases(g);
  if (loss == "kl_div") return kl_div_cases(g);
  if (loss == "cosine_embedding_loss") return cosine_embedding_loss_cases(g);
  throw std::invalid_argument(fmt::format("unknown loss '{}' (valid losses: {})", loss, loss_names()));
}

}  // namespace losscheck::cli
