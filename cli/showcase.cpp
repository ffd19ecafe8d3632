// The main job until the audit exists: a fixed set of cases over all seven losses and their options, evaluated by
// impl (float32 and float64) and by the reference, with the error of impl in ULPs of its dtype.

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "commands.h"
#include "losscheck/dtype_traits.h"
#include "losscheck/impl.h"
#include "losscheck/json.h"
#include "losscheck/reference.h"

namespace losscheck::cli {
namespace {

/// splitmix64: a tiny portable generator, so the showcase is the same on every machine.
class generator {
 public:
  explicit generator(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi) on a grid of 2^-20 steps: exactly representable in float32 for |values| < 8.
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * std::ldexp(static_cast<double>(next() >> 44), -20);
  }
  std::int64_t index(std::int64_t n) { return static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n)); }

 private:
  std::uint64_t state_;
};

struct showcase_case {
  std::string title;
  loss_case c;
};

tensor floats(generator& g, shape_t shape, double lo, double hi) {
  tensor t = tensor::zeros(dtype::float64, std::move(shape));
  for (auto& v : t.values) v = g.uniform(lo, hi);
  return t;
}

tensor classes(generator& g, shape_t shape, std::int64_t c) {
  const auto n = checked_numel(shape);
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = g.index(c);
  return tensor::int64s(std::move(shape), std::move(v));
}

tensor probabilities(generator& g, std::int64_t rows, std::int64_t c) {
  tensor t = floats(g, {rows, c}, 0.0, 1.0);
  for (std::int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (std::int64_t k = 0; k < c; ++k) s += t.values[static_cast<std::size_t>(r * c + k)];
    for (std::int64_t k = 0; k < c; ++k) t.values[static_cast<std::size_t>(r * c + k)] /= s;
  }
  return t;
}

loss_case make(std::string loss, std::map<std::string, option_value> options, std::map<std::string, tensor> inputs) {
  loss_case c;
  c.loss = std::move(loss);
  c.options = std::move(options);
  c.inputs = std::move(inputs);
  return c;
}

std::vector<showcase_case> showcase_cases() {
  generator g(20261128);
  std::vector<showcase_case> out;
  auto add = [&](std::string title, loss_case c) { out.push_back({std::move(title), std::move(c)}); };
  for (const char* red : {"none", "mean", "sum"}) {
    add(fmt::format("mse_loss {}", red), make("mse_loss", {{"reduction", red}}, {{"input", floats(g, {4, 5}, -3, 3)}, {"target", floats(g, {4, 5}, -3, 3)}}));
    add(fmt::format("binary_cross_entropy {} weight", red),
        make("binary_cross_entropy", {{"reduction", red}},
             {{"input", floats(g, {4, 3}, 0.01, 0.99)}, {"target", floats(g, {4, 3}, 0, 1)}, {"weight", floats(g, {3}, 0.5, 2)}}));
    add(fmt::format("binary_cross_entropy_with_logits {} pos_weight", red),
        make("binary_cross_entropy_with_logits", {{"reduction", red}},
             {{"input", floats(g, {4, 3}, -6, 6)}, {"target", floats(g, {4, 3}, 0, 1)}, {"pos_weight", floats(g, {3}, 0.5, 3)}}));
    add(fmt::format("cross_entropy {} weight ignore_index=1", red),
        make("cross_entropy", {{"reduction", red}, {"ignore_index", std::int64_t{1}}},
             {{"input", floats(g, {6, 4}, -4, 4)}, {"target", classes(g, {6}, 4)}, {"weight", floats(g, {4}, 0.5, 2)}}));
    add(fmt::format("cross_entropy {} label_smoothing=0.1 K-dim", red),
        make("cross_entropy", {{"reduction", red}, {"label_smoothing", 0.1}},
             {{"input", floats(g, {2, 3, 4}, -4, 4)}, {"target", classes(g, {2, 4}, 3)}}));
    add(fmt::format("cross_entropy {} probabilities", red),
        make("cross_entropy", {{"reduction", red}}, {{"input", floats(g, {3, 5}, -4, 4)}, {"target", probabilities(g, 3, 5)}}));
    add(fmt::format("nll_loss {} weight", red),
        make("nll_loss", {{"reduction", red}}, {{"input", floats(g, {5, 4}, -5, 0)}, {"target", classes(g, {5}, 4)}, {"weight", floats(g, {4}, 0.5, 2)}}));
    add(fmt::format("kl_div {}", red),
        make("kl_div", {{"reduction", red}}, {{"input", floats(g, {3, 4}, -4, 0)}, {"target", probabilities(g, 3, 4)}}));
    add(fmt::format("cosine_embedding_loss {} margin=0.2", red),
        make("cosine_embedding_loss", {{"reduction", red}, {"margin", 0.2}},
             {{"input1", floats(g, {4, 6}, -2, 2)}, {"input2", floats(g, {4, 6}, -2, 2)},
              {"target", tensor::int64s({4}, {1, -1, 1, -1})}}));
  }
  add("kl_div batchmean log_target", make("kl_div", {{"reduction", "batchmean"}, {"log_target", true}},
                                           {{"input", floats(g, {3, 4}, -4, 0)}, {"target", floats(g, {3, 4}, -4, 0)}}));
  add("cross_entropy unbatched (C)", make("cross_entropy", {}, {{"input", floats(g, {7}, -3, 3)}, {"target", tensor::int64s({}, {2})}}));
  add("binary_cross_entropy_with_logits x=+-30", make("binary_cross_entropy_with_logits", {{"reduction", "none"}},
      {{"input", tensor::floats(dtype::float64, {4}, {30, -30, 30, -30})}, {"target", tensor::floats(dtype::float64, {4}, {1, 0, 0, 1})}}));
  add("binary_cross_entropy clamp at x=0,1", make("binary_cross_entropy", {{"reduction", "none"}},
      {{"input", tensor::floats(dtype::float64, {4}, {0, 0, 1, 1})}, {"target", tensor::floats(dtype::float64, {4}, {0, 1, 0, 1})}}));
  add("cross_entropy out-of-bounds target (error)",
      make("cross_entropy", {}, {{"input", floats(g, {2, 4}, -1, 1)}, {"target", tensor::int64s({2}, {1, 5})}}));
  return out;
}

/// Worst error of `got` against `ref` (same shape), in ULPs of `type` measured against the tensor's scale
/// max|ref| (normwise): |got - ref| / ulp(max|ref|). NaN/inf must match exactly.
double normwise_ulps(const tensor& got, const tensor& ref, dtype type) {
  if (got.shape != ref.shape || got.values.size() != ref.values.size()) return std::numeric_limits<double>::infinity();
  double scale = 0;
  for (double r : ref.values)
    if (std::isfinite(r)) scale = std::max(scale, std::fabs(r));
  const int digits = dtype_traits(type).significand_digits;
  const double ulp = scale > 0 ? std::ldexp(1.0, std::ilogb(scale) - digits + 1) : std::numeric_limits<double>::denorm_min();
  double worst = 0;
  for (std::size_t i = 0; i < ref.values.size(); ++i) {
    const double a = got.values[i], b = ref.values[i];
    if (std::isnan(a) || std::isnan(b) || std::isinf(a) || std::isinf(b)) {
      const bool same = (std::isnan(a) && std::isnan(b)) || a == b;
      if (!same) return std::numeric_limits<double>::infinity();
      continue;
    }
    worst = std::max(worst, std::fabs(a - b) / ulp);
  }
  return worst;
}

}  // namespace

int showcase(std::ostream& out, unsigned precision_bits) {
  // A screening bound for the showcase, not the property suite's tolerance model: a few ULPs of the tensor's
  // scale covers the rounding of these small, well-conditioned cases (sums of <= 30 terms).
  constexpr double bound_ulps = 8;
  out << fmt::format("losscheck showcase: impl (float32, float64) against the {}-bit reference\n", precision_bits);
  out << fmt::format("errors in ULPs of the dtype at the scale of each tensor (max |reference|); bound {} ULPs\n\n", bound_ulps);
  out << fmt::format("{:<50} {:>8} {:>16} {:>10} {:>10}  {}\n", "case", "dtype", "output", "out ULPs", "grad ULPs", "verdict");
  int failures = 0, count = 0;
  for (auto& sc : showcase_cases()) {
    for (dtype type : {dtype::float32, dtype::float64}) {
      loss_case c = sc.c;
      c.type = type;
      for (auto& [name, t] : c.inputs)
        if (t.is_floating()) {
          t.type = type;
          if (type == dtype::float32)
            for (auto& v : t.values) v = static_cast<double>(static_cast<float>(v));
        }
      const auto got = impl::evaluate(c);
      const auto ref = reference::evaluate(c, precision_bits);
      ++count;
      std::string verdict, output, out_err = "-", grad_err = "-";
      if (ref.error || got.error) {
        const bool agree = ref.error && got.error;
        verdict = agree ? "ok (both reject)" : "MISMATCH";
        output = "error";
        if (!agree) {
          ++failures;
          verdict += fmt::format(": impl {} / reference {}", got.error.value_or("accepts"), ref.error.value_or("accepts"));
        }
      } else {
        const double oe = normwise_ulps(*got.output, *ref.output, type);
        double ge = 0;
        bool grads_match = got.grads.size() == ref.grads.size();
        for (const auto& [name, g] : ref.grads) {
          auto it = got.grads.find(name);
          if (it == got.grads.end()) grads_match = false;
          else ge = std::max(ge, normwise_ulps(it->second, g, type));
        }
        output = got.output->values.size() == 1 ? format_float(got.output->values[0], type) : format_shape(got.output->shape);
        out_err = fmt::format("{:.2f}", oe);
        grad_err = fmt::format("{:.2f}", ge);
        const bool ok = grads_match && oe <= bound_ulps && ge <= bound_ulps;
        verdict = ok ? "ok" : "MISMATCH";
        failures += ok ? 0 : 1;
      }
      out << fmt::format("{:<50} {:>8} {:>16} {:>10} {:>10}  {}\n", sc.title, to_string(type), output, out_err, grad_err, verdict);
    }
  }
  out << fmt::format("\n{} evaluations, {} agree, {} mismatch\n", count, count - failures, failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace losscheck::cli
