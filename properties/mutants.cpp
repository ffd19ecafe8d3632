// The mutant catalog. Most mutants wrap the correct impl and alter the case or the result to simulate the mistake
// exactly (e.g. evaluating 'batchmean' when asked for 'mean'); a few are small kernels of their own (naive
// log-sum-exp, unclamped BCE logs), computed in the case dtype so that they overflow where the real mistake does.

#include "mutants.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "losscheck/impl.h"
#include "losscheck/problem.h"
#include "support.h"

namespace losscheck::properties {
namespace {

using transform = std::function<loss_result(const loss_case&)>;

class mutant_target final : public target {
 public:
  mutant_target(std::string name, std::string loss, transform f) : name_(std::move(name)), loss_(std::move(loss)), f_(std::move(f)) {}
  std::string name() const override { return "mutant:" + name_; }
  loss_result evaluate(const loss_case& c) override {
    if (c.loss != loss_) return impl::evaluate(c);
    loss_result r = impl::evaluate(c);
    if (!r.ok()) return r;  // the mistakes are in the arithmetic, not in validation
    try {
      loss_result m = f_(c);
      m.id = c.id;
      return m;
    } catch (const std::exception& e) {
      return loss_result::failure(c.id, e.what());
    }
  }

 private:
  std::string name_, loss_;
  transform f_;
};

double rnd(long double v, dtype t) { return round_long(v, t); }

std::string red_of(const loss_case& c) { return properties::detail::effective_reduction(c); }

loss_case set(loss_case c, const std::string& option, option_value v) {
  c.options[option] = std::move(v);
  return c;
}

/// The none output of `c` via the impl (grad_output dropped).
tensor none_of(const loss_case& c) {
  loss_case n = properties::detail::with_reduction(c, "none");
  return *impl::evaluate(n).output;
}

/// Replaces the reduced output of `r` by Σ none / divisor (divisor 0 → sum).
loss_result reduce_with(const loss_case& c, loss_result r, const std::function<long double(const loss_case&)>& divisor) {
  const std::string red = red_of(c);
  if (red == "none") return r;
  long double s = 0;
  for (double v : none_of(c).values) s += v;
  if (red != "sum") s /= divisor(c);
  r.output->values[0] = rnd(s, c.type);
  return r;
}

/// Scales every gradient of r.
loss_result scale_grads(loss_result r, double f, dtype t, const std::string& only = "") {
  for (auto& [n, g] : r.grads)
    if (only.empty() || n == only)
      for (auto& v : g.values) v = rnd(static_cast<long double>(v) * f, t);
  return r;
}

/// The impl's result with its grads evaluated for grad_output = ones (grad_output ignored).
loss_result ignore_grad_output(const loss_case& c) {
  loss_case d = c;
  d.grad_output.reset();
  loss_result r = impl::evaluate(d);
  return r;
}

/// Class-index cross_entropy forward of a mistaken kind, per position, then reduced; gradients from the impl.
struct ce_variant {
  bool no_max_shift = false;      // log Σ exp x without subtracting the max (in the case dtype)
  bool eps_not_over_c = false;    // smoothing term ε·Σ(−w lsm) instead of ε/C·Σ
  bool leak_ignored = false;      // ignored rows still get the smoothing term
  bool mean_counts_ignored = false;  // mean divides by the number of positions, ignored ones included
  bool mean_unweighted = false;   // mean divides by the count of non-ignored positions, not Σ w[y]
};
loss_result ce_mutant(const loss_case& c, const ce_variant& v) {
  loss_result r = impl::evaluate(c);
  const problem pr = resolve_problem(c);
  const auto* q = std::get_if<cross_entropy_problem>(&pr);
  if (!q || q->probability_target) {
    if (v.no_max_shift && q) {  // probability targets: the same naive lse
    } else {
      return r;
    }
  }
  const auto& L = q->layout;
  const tensor& x = *q->input;
  const double eps = q->label_smoothing > 0 ? q->label_smoothing : 0.0;
  const bool f32 = c.type == dtype::float32;
  std::vector<long double> none(static_cast<std::size_t>(L.batch * L.inner));
  long double den = 0;
  for (std::int64_t b = 0; b < L.batch; ++b)
    for (std::int64_t k = 0; k < L.inner; ++k) {
      auto at = [&](std::int64_t j) { return static_cast<std::size_t>((b * L.classes + j) * L.inner + k); };
      const auto pos = static_cast<std::size_t>(b * L.inner + k);
      long double m = -INFINITY;
      for (std::int64_t j = 0; j < L.classes; ++j) m = std::max<long double>(m, x.values[at(j)]);
      if (v.no_max_shift) m = 0;
      long double s = 0;
      for (std::int64_t j = 0; j < L.classes; ++j) {
        const long double e = f32 ? static_cast<long double>(std::exp(static_cast<float>(x.values[at(j)] - m)))
                                  : static_cast<long double>(std::exp(x.values[at(j)] - m));
        s += e;
      }
      const long double lse = m + (f32 ? static_cast<long double>(std::log(static_cast<float>(s))) : std::log(static_cast<double>(s)));
      auto w = [&](std::int64_t j) -> long double { return q->weight ? q->weight->values[static_cast<std::size_t>(j)] : 1.0L; };
      if (q->probability_target) {
        long double l = 0;
        for (std::int64_t j = 0; j < L.classes; ++j) {
          const long double t = q->target->values[at(j)] * (1 - eps) + eps / static_cast<long double>(L.classes);
          l -= w(j) * t * (x.values[at(j)] - lse);
        }
        none[pos] = l;
        den += 1;
        continue;
      }
      const std::int64_t y = q->target->ints[pos];
      const bool ignored = y == q->ignore_index;
      long double smooth = 0;
      for (std::int64_t j = 0; j < L.classes; ++j) smooth -= w(j) * (x.values[at(j)] - lse);
      const long double spread = v.eps_not_over_c ? eps : eps / static_cast<long double>(L.classes);
      if (ignored) {
        none[pos] = v.leak_ignored ? spread * smooth : 0;
      } else {
        none[pos] = (1 - eps) * -w(y) * (x.values[at(y)] - lse) + spread * smooth;
        den += v.mean_unweighted ? 1 : w(y);
      }
      if (ignored && v.mean_counts_ignored) den += 1;
      if (!ignored && v.mean_counts_ignored && v.mean_unweighted) {}
    }
  if (q->red == reduction::none) {
    for (std::size_t i = 0; i < none.size(); ++i) r.output->values[i] = rnd(none[i], c.type);
    return r;
  }
  long double s = 0;
  for (auto l : none) s += l;
  if (q->red == reduction::mean) s /= den;
  r.output->values[0] = rnd(s, c.type);
  return r;
}

/// An elementwise forward of its own (none values from `f(i)`), reduced like torch; gradients from the impl.
loss_result elementwise_mutant(const loss_case& c, const std::function<long double(std::size_t)>& f) {
  loss_result r = impl::evaluate(c);
  const auto none = none_of(c);
  std::vector<long double> v(none.values.size());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = f(i);
  const std::string red = red_of(c);
  if (red == "none") {
    for (std::size_t i = 0; i < v.size(); ++i) r.output->values[i] = rnd(v[i], c.type);
    return r;
  }
  long double s = 0;
  for (auto e : v) s += e;
  if (red == "mean") s /= static_cast<long double>(v.size());
  if (red == "batchmean") s /= properties::detail::batchmean_divisor(c);
  r.output->values[0] = rnd(s, c.type);
  return r;
}

/// Value of input `name` at element i of the (non-broadcast) none output.
double at(const loss_case& c, const char* name, std::size_t i) {
  const tensor* t = c.input(name);
  if (!t) return 1.0;
  const auto shape = properties::detail::output_shape_of(properties::detail::with_reduction(c, "none"));
  broadcast_walker w(t->shape, shape);
  for (std::size_t k = 0; k < i; ++k) w.next();
  return t->values[static_cast<std::size_t>(w.offset())];
}

}  // namespace

std::vector<mutant> mutant_catalog() {
  std::vector<mutant> out;
  auto add = [&](std::string name, std::string loss, std::string doc, transform f) {
    auto t = std::make_unique<mutant_target>(name, loss, std::move(f));
    out.push_back({std::move(name), std::move(loss), std::move(doc), std::move(t)});
  };
  const auto impl_of = [](const loss_case& c) { return impl::evaluate(c); };

  // mse_loss
  add("mse_loss_mean_divides_by_batch_size", "mse_loss", "mean divides the sum by input.size(0) instead of numel",
      [](const loss_case& c) {
        return reduce_with(c, impl::evaluate(c), [](const loss_case& d) { return properties::detail::batchmean_divisor(d); });
      });
  add("mse_loss_ignores_grad_output", "mse_loss", "backward uses ones instead of grad_output", ignore_grad_output);
  add("mse_loss_gradient_without_factor_2", "mse_loss", "dL/dx = (x − t)·g (the 2 of the square forgotten)",
      [](const loss_case& c) { return scale_grads(impl::evaluate(c), 0.5, c.type); });
  add("mse_loss_target_gradient_wrong_sign", "mse_loss", "dL/dt = +2(x − t)·g",
      [](const loss_case& c) { return scale_grads(impl::evaluate(c), -1.0, c.type, "target"); });
  add("mse_loss_accumulates_float64_sums_in_float32", "mse_loss",
      "a float64 sum/mean accumulated in float32 (precision lost on the sum)", [](const loss_case& c) {
        loss_result r = impl::evaluate(c);
        const std::string red = red_of(c);
        if (c.type != dtype::float64 || red == "none") return r;
        float s = 0;
        for (double v : none_of(c).values) s += static_cast<float>(v);
        r.output->values[0] = red == "sum" ? s : static_cast<double>(s) / static_cast<double>(none_of(c).values.size());
        return r;
      });

  // binary_cross_entropy
  add("binary_cross_entropy_without_log_clamp", "binary_cross_entropy",
      "−w(y log x + (1−y) log(1−x)) without torch's clamp of the logs at −100 (x ∈ {0,1} gives inf or NaN)",
      [](const loss_case& c) {
        return elementwise_mutant(c, [&](std::size_t i) {
          const long double x = at(c, "input", i), y = at(c, "target", i), w = at(c, "weight", i);
          return -w * (y * std::log(x) + (1 - y) * std::log1p(-x));
        });
      });
  add("binary_cross_entropy_gradient_without_eps_clamp", "binary_cross_entropy",
      "dL/dx = g·w(x − y)/(x(1 − x)) without max(·, 1e-12): inf/NaN at x ∈ {0,1}", [](const loss_case& c) {
        loss_result r = impl::evaluate(c);
        auto& g = r.grads["input"].values;
        const tensor& x = c.inputs.at("input");
        for (std::size_t i = 0; i < g.size(); ++i) {
          const double d = std::max(x.values[i] * (1 - x.values[i]), 1e-12);
          g[i] = rnd(static_cast<long double>(g[i]) * d / (x.values[i] * (1 - x.values[i])), c.type);
        }
        return r;
      });
  add("binary_cross_entropy_ignores_weight", "binary_cross_entropy", "the weight input is dropped",
      [](const loss_case& c) {
        loss_case d = c;
        d.inputs.erase("weight");
        loss_result r = impl::evaluate(d);
        return r;
      });

  // binary_cross_entropy_with_logits
  add("binary_cross_entropy_with_logits_naive_softplus", "binary_cross_entropy_with_logits",
      "(1−y)x + log(1 + exp(−x)) in the dtype, no max shift: overflows for x ≲ −89 (float32) / −710", [](const loss_case& c) {
        return elementwise_mutant(c, [&](std::size_t i) -> long double {
          const double x = at(c, "input", i), y = at(c, "target", i), w = at(c, "weight", i);
          const double pw = at(c, "pos_weight", i);
          const double sp = c.type == dtype::float32 ? static_cast<double>(std::log(1.0f + std::exp(static_cast<float>(-x))))
                                                     : std::log(1.0 + std::exp(-x));
          return static_cast<long double>(w) * ((1 - y) * x + (1 + (pw - 1) * y) * sp);
        });
      });
  add("binary_cross_entropy_with_logits_ignores_pos_weight", "binary_cross_entropy_with_logits",
      "pos_weight is dropped", [](const loss_case& c) {
        loss_case d = c;
        d.inputs.erase("pos_weight");
        return impl::evaluate(d);
      });
  add("binary_cross_entropy_with_logits_gradient_wrong_sign", "binary_cross_entropy_with_logits",
      "dL/dx = (y − σ(x))·g·w", [](const loss_case& c) { return scale_grads(impl::evaluate(c), -1.0, c.type, "input"); });

  // cross_entropy
  add("cross_entropy_without_max_shift", "cross_entropy", "log Σ exp x computed without subtracting the max (overflow)",
      [](const loss_case& c) { return ce_mutant(c, {.no_max_shift = true}); });
  add("cross_entropy_smoothing_with_eps_not_eps_over_c", "cross_entropy",
      "label smoothing adds ε·Σ(−w log p) instead of ε/C·Σ", [](const loss_case& c) { return ce_mutant(c, {.eps_not_over_c = true}); });
  add("cross_entropy_smoothing_leaks_into_ignored_rows", "cross_entropy",
      "ignored rows still get the ε/C smoothing term", [](const loss_case& c) { return ce_mutant(c, {.leak_ignored = true}); });
  add("cross_entropy_mean_counts_ignored_rows", "cross_entropy",
      "mean's denominator counts ignored positions", [](const loss_case& c) { return ce_mutant(c, {.mean_counts_ignored = true}); });
  add("cross_entropy_mean_ignores_weights", "cross_entropy",
      "plain mean over non-ignored positions where torch takes Σ w[y]·l / Σ w[y]",
      [](const loss_case& c) { return ce_mutant(c, {.mean_unweighted = true}); });
  add("cross_entropy_probability_mean_divides_by_numel", "cross_entropy",
      "probability targets: mean divides by N·C·d (numel) instead of N·d", [](const loss_case& c) {
        loss_result r = impl::evaluate(c);
        const problem p = resolve_problem(c);
        const auto& q = std::get<cross_entropy_problem>(p);
        if (q.probability_target && q.red == reduction::mean) {
          r.output->values[0] = rnd(static_cast<long double>(r.output->values[0]) / q.layout.classes, c.type);
          r = scale_grads(r, 1.0 / static_cast<double>(q.layout.classes), c.type);
        }
        return r;
      });
  add("cross_entropy_ignores_grad_output", "cross_entropy", "backward uses ones instead of grad_output", ignore_grad_output);

  // nll_loss
  add("nll_loss_mean_counts_ignored_rows", "nll_loss", "mean divides by the number of targets, ignored ones included",
      [](const loss_case& c) {
        return reduce_with(c, impl::evaluate(c), [](const loss_case& d) {
          return static_cast<long double>(d.inputs.at("target").numel());
        });
      });
  add("nll_loss_only_ignores_minus_100", "nll_loss", "ignore_index is hard-coded to −100 (other values not skipped)",
      [](const loss_case& c) { loss_case d = c; d.options.erase("ignore_index"); return impl::evaluate(d); });
  add("nll_loss_gradient_wrong_sign", "nll_loss", "dL/dx[y] = +w[y]·g",
      [](const loss_case& c) { return scale_grads(impl::evaluate(c), -1.0, c.type); });
  add("nll_loss_ignores_weight", "nll_loss", "the class weight is dropped (plain mean)",
      [](const loss_case& c) { loss_case d = c; d.inputs.erase("weight"); return impl::evaluate(d); });

  // kl_div
  add("kl_div_mean_is_batchmean", "kl_div", "reduction 'mean' divides by input.size(0) (batchmean)", [](const loss_case& c) {
    return red_of(c) == "mean" ? impl::evaluate(set(c, "reduction", std::string("batchmean"))) : impl::evaluate(c);
  });
  add("kl_div_batchmean_is_mean", "kl_div", "reduction 'batchmean' divides by numel (mean)", [](const loss_case& c) {
    return red_of(c) == "batchmean" ? impl::evaluate(set(c, "reduction", std::string("mean"))) : impl::evaluate(c);
  });
  add("kl_div_zero_log_zero_is_nan", "kl_div", "t·log t − t·x computed naively: t = 0 gives 0·(−inf) = NaN, not 0",
      [](const loss_case& c) {
        const bool log_target = c.options.count("log_target") && std::get<bool>(c.options.at("log_target"));
        if (log_target) return impl::evaluate(c);
        return elementwise_mutant(c, [&](std::size_t i) -> long double {
          const long double x = at(c, "input", i), t = at(c, "target", i);
          return t * std::log(t) - t * x;
        });
      });
  add("kl_div_ignores_log_target", "kl_div", "log_target=True is treated as False",
      [](const loss_case& c) { return impl::evaluate(set(c, "log_target", false)); });
  add("kl_div_ignores_grad_output", "kl_div", "backward uses ones instead of grad_output", ignore_grad_output);

  // cosine_embedding_loss
  add("cosine_embedding_loss_eps_clamps_the_norm_product", "cosine_embedding_loss",
      "cos = x1·x2 / max(‖x1‖‖x2‖, 1e-12) instead of √((Σx1² + 1e-12)(Σx2² + 1e-12))", [](const loss_case& c) {
        const tensor& a = c.inputs.at("input1");
        const tensor& b = c.inputs.at("input2");
        const auto d = static_cast<std::size_t>(a.shape.back());
        const double margin = c.options.count("margin") ? std::get<double>(c.options.at("margin")) : 0.0;
        return elementwise_mutant(c, [&](std::size_t i) -> long double {
          const std::size_t ra = a.dim() == 1 ? 0 : i, rb = b.dim() == 1 || b.shape[0] == 1 ? 0 : i;
          long double dot = 0, na = 0, nb = 0;
          for (std::size_t j = 0; j < d; ++j) {
            const long double x = a.values[ra * d + j], y = b.values[rb * d + j];
            dot += x * y, na += x * x, nb += y * y;
          }
          const long double cs = dot / std::max(std::sqrt(na * nb), 1e-12L);
          const tensor& t = c.inputs.at("target");
          const std::size_t ti = t.dim() == 0 || t.shape[0] == 1 ? 0 : i;
          const double yv = t.is_floating() ? t.values[ti] : static_cast<double>(t.ints[ti]);
          return yv == 1 ? 1 - cs : yv == -1 ? std::max(0.0L, cs - margin) : 0.0L;
        });
      });
  add("cosine_embedding_loss_ignores_margin", "cosine_embedding_loss", "margin is hard-coded to 0",
      [](const loss_case& c) { loss_case d = c; d.options.erase("margin"); return impl::evaluate(d); });
  add("cosine_embedding_loss_mean_skips_other_targets", "cosine_embedding_loss",
      "mean counts only rows with y = ±1 (torch counts every row)", [](const loss_case& c) {
        return reduce_with(c, impl::evaluate(c), [](const loss_case& d) {
          const tensor& t = d.inputs.at("target");
          long double n = 0;
          if (t.is_floating()) for (double y : t.values) n += (y == 1 || y == -1);
          else for (auto y : t.ints) n += (y == 1 || y == -1);
          return n == 0 ? 1.0L : n;
        });
      });
  add("cosine_embedding_loss_gradient_half", "cosine_embedding_loss", "input2's gradient off by a factor 1/2",
      [](const loss_case& c) { return scale_grads(impl::evaluate(c), 0.5, c.type, "input2"); });

  // l1_loss (and the gradient rewrite that smooth_l1_loss and huber_loss reuse)
  // The impl's result with each element's input gradient replaced by dx(d, g) and the target's by dt(d, g), d = x − t
  // and g the element's incoming gradient (grad_output[i], or grad_output / numel for mean); cases whose input and
  // target shapes differ (broadcast gradients are sums) are left to the impl.
  using gradient_rule = std::function<long double(long double d, long double g)>;
  const auto pointwise_gradients = [](const loss_case& c, const gradient_rule& dx, const gradient_rule& dt) {
    loss_result r = impl::evaluate(c);
    const tensor& x = c.inputs.at("input");
    const tensor& t = c.inputs.at("target");
    if (x.shape != t.shape || !r.grads.count("input") || !r.grads.count("target")) return r;
    const std::string red = red_of(c);
    const auto n = x.values.size();
    for (std::size_t i = 0; i < n; ++i) {
      long double g = c.grad_output ? c.grad_output->values[red == "none" ? i : 0] : 1.0L;
      if (red == "mean") g /= static_cast<long double>(n);
      const long double d = static_cast<long double>(x.values[i]) - t.values[i];
      r.grads["input"].values[i] = rnd(dx(d, g), c.type);
      r.grads["target"].values[i] = rnd(dt(d, g), c.type);
    }
    return r;
  };
  add("l1_loss_gradient_sign_of_zero_is_one", "l1_loss", "dL/dx = g at x = t (sign(0) = 1; torch's sgn(0) = 0)",
      [pointwise_gradients](const loss_case& c) {
        const auto sg = [](long double d) -> long double { return d >= 0 ? 1 : d < 0 ? -1 : 0; };
        return pointwise_gradients(c, [&](long double d, long double g) { return sg(d) * g; },
                                   [&](long double d, long double g) { return -sg(d) * g; });
      });
  add("l1_loss_gradient_of_nan_difference_is_nan", "l1_loss",
      "dL/dx = sign(x − t)·g with sign(NaN) = NaN (torch's sgn(NaN) = 0: the gradient is 0)",
      [pointwise_gradients](const loss_case& c) {
        const auto sg = [](long double d) -> long double { return d > 0 ? 1 : d < 0 ? -1 : d == 0 ? 0 : d; };
        return pointwise_gradients(c, [&](long double d, long double g) { return sg(d) * g; },
                                   [&](long double d, long double g) { return -(sg(d) * g); });
      });
  add("l1_loss_mean_divides_by_batch_size", "l1_loss", "mean divides the sum by input.size(0) instead of numel",
      [](const loss_case& c) {
        return reduce_with(c, impl::evaluate(c), [](const loss_case& d) { return properties::detail::batchmean_divisor(d); });
      });
  add("l1_loss_ignores_grad_output", "l1_loss", "backward uses ones instead of grad_output", ignore_grad_output);

  // smooth_l1_loss (beta as the case gives it, rounded to the dtype as torch does; absent: 1)
  const auto number_option = [](const loss_case& c, const char* name) {  // absent: torch's default 1.0
    const auto it = c.options.find(name);
    if (it == c.options.end()) return 1.0;
    if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
    return std::get<double>(it->second);
  };
  const auto option_of = [number_option](const loss_case& c, const char* name) {
    return static_cast<long double>(rnd(number_option(c, name), c.type));
  };
  add("smooth_l1_loss_quadratic_part_not_divided_by_beta", "smooth_l1_loss",
      "L = 0.5 d² where |d| < beta (the 1/beta forgotten; huber's quadratic part)", [option_of](const loss_case& c) {
        const long double b = option_of(c, "beta");
        return elementwise_mutant(c, [&](std::size_t i) -> long double {
          const long double z = std::fabs(static_cast<long double>(at(c, "input", i)) - at(c, "target", i));
          return z < b ? 0.5L * z * z : z - 0.5L * b;
        });
      });
  add("smooth_l1_loss_linear_part_without_half_beta", "smooth_l1_loss", "L = |d| where |d| >= beta (the − beta/2 "
      "forgotten)", [option_of](const loss_case& c) {
        const long double b = option_of(c, "beta");
        return elementwise_mutant(c, [&](std::size_t i) -> long double {
          const long double z = std::fabs(static_cast<long double>(at(c, "input", i)) - at(c, "target", i));
          return z < b ? 0.5L * z * z / b : z;
        });
      });
  add("smooth_l1_loss_gradient_not_divided_by_beta", "smooth_l1_loss", "dL/dx = d·g where |d| < beta (the 1/beta "
      "forgotten)", [option_of, pointwise_gradients](const loss_case& c) {
        const long double b = option_of(c, "beta");
        const auto s = [b](long double e) -> long double { return e <= -b ? -1 : e >= b ? 1 : e; };
        return pointwise_gradients(c, [&](long double d, long double g) { return s(d) * g; },
                                   [&](long double d, long double g) { return s(-d) * g; });
      });
  add("smooth_l1_loss_beta_0_ties_get_zero_gradient", "smooth_l1_loss",
      "at beta = 0 a tie x = t gets the gradient 0 (abs's sgn; torch's smooth_l1_loss_backward gives −g to both)",
      [option_of, pointwise_gradients](const loss_case& c) {
        const long double b = option_of(c, "beta");
        const auto s = [b](long double e) -> long double {
          if (b == 0 && e == 0) return 0;
          return e <= -b ? -1 : e >= b ? 1 : e / b;
        };
        return pointwise_gradients(c, [&](long double d, long double g) { return s(d) * g; },
                                   [&](long double d, long double g) { return s(-d) * g; });
      });

  add("smooth_l1_loss_computed_as_huber_loss", "smooth_l1_loss",
      "huber_loss(delta = beta) instead (beta times torch's smooth_l1_loss: the other convention)",
      [number_option](const loss_case& c) {
        const double beta = number_option(c, "beta");
        if (!(beta > 0)) return impl::evaluate(c);
        loss_case h = c;
        h.loss = "huber_loss";
        h.options.erase("beta"), h.options.erase("size_average"), h.options.erase("reduce");
        h.options["reduction"] = red_of(c);
        h.options["delta"] = beta;
        loss_result r = impl::evaluate(h);
        r.id = c.id;
        return r;
      });
  // huber_loss (delta as the case gives it, rounded to the dtype as torch does; absent: 1)
  add("huber_loss_linear_part_without_delta_factor", "huber_loss",
      "L = |d| − 0.5 delta where |d| >= delta (smooth_l1's linear part: the factor delta forgotten)",
      [option_of](const loss_case& c) {
        const long double b = option_of(c, "delta");
        return elementwise_mutant(c, [&](std::size_t i) -> long double {
          const long double z = std::fabs(static_cast<long double>(at(c, "input", i)) - at(c, "target", i));
          return z < b ? 0.5L * z * z : z - 0.5L * b;
        });
      });
  add("huber_loss_quadratic_part_divided_by_delta", "huber_loss",
      "L = 0.5 d² / delta where |d| < delta (smooth_l1's quadratic part)", [option_of](const loss_case& c) {
        const long double b = option_of(c, "delta");
        return elementwise_mutant(c, [&](std::size_t i) -> long double {
          const long double z = std::fabs(static_cast<long double>(at(c, "input", i)) - at(c, "target", i));
          return z < b ? 0.5L * z * z / b : b * (z - 0.5L * b);
        });
      });
  add("huber_loss_gradient_without_delta_factor", "huber_loss", "dL/dx = ±g where |d| >= delta (the factor delta "
      "forgotten)", [option_of, pointwise_gradients](const loss_case& c) {
        const long double b = option_of(c, "delta");
        const auto h = [b](long double e) -> long double { return e <= -b ? -1 : e >= b ? 1 : e; };
        return pointwise_gradients(c, [&](long double d, long double g) { return h(d) * g; },
                                   [&](long double d, long double g) { return h(-d) * g; });
      });
  add("huber_loss_computed_as_smooth_l1_loss", "huber_loss",
      "smooth_l1_loss(beta = delta) instead (torch's huber_loss divided by delta: the other convention)",
      [number_option](const loss_case& c) {
        loss_case s = c;
        s.loss = "smooth_l1_loss";
        s.options.erase("delta");
        s.options["beta"] = number_option(c, "delta");
        loss_result r = impl::evaluate(s);
        r.id = c.id;
        return r;
      });
  // soft_margin_loss
  add("soft_margin_loss_margin_sign_flipped", "soft_margin_loss", "L = log(1 + exp(+y x)): the sign of the margin flipped",
      [](const loss_case& c) {
        return elementwise_mutant(c, [&](std::size_t i) -> long double {
          const long double z = static_cast<long double>(at(c, "target", i)) * at(c, "input", i);
          return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
        });
      });
  add("soft_margin_loss_gradient_wrong_sign", "soft_margin_loss", "dL/dx = +y σ(-y x)·g",
      [](const loss_case& c) { return scale_grads(impl::evaluate(c), -1.0, c.type, "input"); });
  add("soft_margin_loss_mean_divides_by_batch_size", "soft_margin_loss",
      "mean divides the sum by input.size(0) instead of numel", [](const loss_case& c) {
        return reduce_with(c, impl::evaluate(c), [](const loss_case& d) { return properties::detail::batchmean_divisor(d); });
      });

  // hinge_embedding_loss
  add("hinge_embedding_loss_ignores_other_targets", "hinge_embedding_loss",
      "a target neither 1 nor -1 contributes 0 (torch takes both branches: max(0, margin - x) + x)",
      [](const loss_case& c) {
        const auto it = c.options.find("margin");
        const double margin = it != c.options.end() && std::holds_alternative<double>(it->second) ? std::get<double>(it->second) : 1.0;
        const tensor& y = c.inputs.at("target");
        const auto shape = properties::detail::output_shape_of(properties::detail::with_reduction(c, "none"));
        broadcast_walker w(y.shape, shape);
        std::vector<double> labels(static_cast<std::size_t>(checked_numel(shape)));
        for (auto& v : labels) {
          const auto o = static_cast<std::size_t>(w.offset());
          v = y.type == dtype::int64 ? static_cast<double>(y.ints[o]) : y.values[o];
          w.next();
        }
        return elementwise_mutant(c, [&](std::size_t i) -> long double {
          const long double x = at(c, "input", i);
          if (labels[i] == 1) return x;
          if (labels[i] == -1) return margin - x < 0 ? 0.0L : margin - x;
          return 0.0L;
        });
      });
  add("hinge_embedding_loss_ignores_margin", "hinge_embedding_loss", "margin is hard-coded to 1",
      [](const loss_case& c) { loss_case d = c; d.options.erase("margin"); return impl::evaluate(d); });
  add("hinge_embedding_loss_no_gradient_at_the_kink", "hinge_embedding_loss",
      "the clamp passes no gradient at margin - x = 0 (torch's clamp_min passes it)", [](const loss_case& c) {
        loss_result r = impl::evaluate(c);
        const auto it = c.options.find("margin");
        const double margin = it != c.options.end() && std::holds_alternative<double>(it->second) ? std::get<double>(it->second) : 1.0;
        loss_case d = c;
        for (auto& x : d.inputs["input"].values)
          if (x == margin) x = c.type == dtype::float32 ? static_cast<double>(std::nextafter(static_cast<float>(x), INFINITY))
                                                        : std::nextafter(x, INFINITY);
        r.grads = impl::evaluate(d).grads;
        return r;
      });

  // margin_ranking_loss
  add("margin_ranking_loss_target_sign_flipped", "margin_ranking_loss", "max(0, y (x1 − x2) + margin): the sign of y flipped",
      [](const loss_case& c) {
        loss_case d = c;
        tensor& y = d.inputs["target"];
        for (auto& v : y.values) v = -v;
        for (auto& v : y.ints) v = -v;
        loss_result r = impl::evaluate(d);
        if (r.grads.count("target"))
          for (auto& v : r.grads["target"].values) v = -v;  // d/dy of the mistaken formula
        return r;
      });
  add("margin_ranking_loss_ignores_margin", "margin_ranking_loss", "margin is hard-coded to 0",
      [](const loss_case& c) { loss_case d = c; d.options.erase("margin"); return impl::evaluate(d); });
  add("margin_ranking_loss_no_gradient_at_the_kink", "margin_ranking_loss",
      "the clamp passes no gradient at -y (x1 − x2) + margin = 0 (torch's clamp_min passes it)", [](const loss_case& c) {
        loss_result r = impl::evaluate(c);
        const auto it = c.options.find("margin");
        const double margin = it != c.options.end() && std::holds_alternative<double>(it->second) ? std::get<double>(it->second) : 0.0;
        loss_case d = c;
        d.options["margin"] = std::nextafter(margin, -INFINITY);  // exact kinks fall just below 0; nothing else moves
        r.grads = impl::evaluate(d).grads;
        return r;
      });
  add("margin_ranking_loss_target_gradient_wrong_sign", "margin_ranking_loss", "dL/dy = +(x1 − x2)·g where active",
      [](const loss_case& c) { return scale_grads(impl::evaluate(c), -1.0, c.type, "target"); });

  // multilabel_soft_margin_loss
  add("multilabel_soft_margin_loss_sums_classes", "multilabel_soft_margin_loss",
      "each row sums its classes instead of averaging them (no division by C), forward and backward",
      [](const loss_case& c) {
        const auto classes = static_cast<double>(c.inputs.at("input").shape.back());
        loss_result r = impl::evaluate(c);
        for (auto& v : r.output->values) v = rnd(static_cast<long double>(v) * classes, c.type);
        return scale_grads(r, classes, c.type);
      });
  add("multilabel_soft_margin_loss_mean_over_all_terms", "multilabel_soft_margin_loss",
      "mean divides the sum of all terms by their number (rows × the summed dimension) instead of rows × C: wrong "
      "where a target or weight of more dimensions than the input moves the summed dimension",
      [](const loss_case& c) {
        loss_result r = impl::evaluate(c);
        const problem pr = resolve_problem(c);
        const auto& q = std::get<multilabel_soft_margin_loss_problem>(pr);
        if (q.red != reduction::mean) return r;
        const double k = static_cast<double>(q.shape[static_cast<std::size_t>(q.class_dim)]);
        const double f = static_cast<double>(q.classes) / k;
        r.output->values[0] = rnd(static_cast<long double>(r.output->values[0]) * f, c.type);
        return scale_grads(r, f, c.type);
      });
  add("multilabel_soft_margin_loss_ignores_weight", "multilabel_soft_margin_loss", "the weight input is dropped",
      [](const loss_case& c) {
        loss_case d = c;
        d.inputs.erase("weight");
        loss_result r = impl::evaluate(d);
        if (c.input("weight")) r.grads["weight"] = tensor::zeros(c.type, c.inputs.at("weight").shape);
        return r;
      });
  add("multilabel_soft_margin_loss_target_gradient_wrong_sign", "multilabel_soft_margin_loss", "dL/dy = +w x·G",
      [](const loss_case& c) { return scale_grads(impl::evaluate(c), -1.0, c.type, "target"); });
  // triplet_margin_loss
  add("triplet_margin_loss_ignores_swap", "triplet_margin_loss", "swap is ignored (always d(a, n))",
      [](const loss_case& c) { loss_case d = c; d.options.erase("swap"); return impl::evaluate(d); });
  add("triplet_margin_loss_eps_added_to_the_norm", "triplet_margin_loss",
      "d(x, y) = ‖x − y‖_p + eps instead of ‖x − y + eps‖_p", [](const loss_case& c) {
        const auto opt = [&](const char* name, double fallback) {
          return c.options.count(name) ? std::get<double>(c.options.at(name)) : fallback;
        };
        const long double p = opt("p", 2.0), eps = opt("eps", 1e-6), margin = opt("margin", 1.0);
        const bool swap = c.options.count("swap") && std::get<bool>(c.options.at("swap"));
        const tensor& a = c.inputs.at("anchor");
        const std::size_t d = a.shape.empty() ? 1 : static_cast<std::size_t>(a.shape.back());
        auto value = [&](const char* name, std::size_t r, std::size_t k) {
          const auto& v = c.inputs.at(name).values;
          return static_cast<long double>(v[(v.size() == d ? 0 : r) * d + k]);
        };
        return elementwise_mutant(c, [&](std::size_t r) -> long double {
          auto dist = [&](const char* x, const char* y) {
            long double s = 0;
            for (std::size_t k = 0; k < d; ++k) s += std::pow(std::fabs(value(x, r, k) - value(y, r, k)), p);
            return std::pow(s, 1 / p) + eps;
          };
          long double dn = dist("anchor", "negative");
          if (swap) dn = std::min(dn, dist("positive", "negative"));
          return std::max(0.0L, margin + dist("anchor", "positive") - dn);
        });
      });
  add("triplet_margin_loss_margin_sign_flipped", "triplet_margin_loss", "d(a, p) − d(a, n) − margin",
      [](const loss_case& c) {
        loss_case d = c;
        d.options["margin"] = -(c.options.count("margin") ? std::get<double>(c.options.at("margin")) : 1.0);
        return impl::evaluate(d);
      });
  add("triplet_margin_loss_negative_gradient_half", "triplet_margin_loss", "negative's gradient off by a factor 1/2",
      [](const loss_case& c) { return scale_grads(impl::evaluate(c), 0.5, c.type, "negative"); });
  // triplet_margin_with_distance_loss
  add("triplet_margin_with_distance_loss_ignores_swap", "triplet_margin_with_distance_loss",
      "swap is ignored (always d(a, n))",
      [](const loss_case& c) { loss_case d = c; d.options.erase("swap"); return impl::evaluate(d); });
  add("triplet_margin_with_distance_loss_ignores_distance_function", "triplet_margin_with_distance_loss",
      "the pairwise distance whatever distance_function names",
      [](const loss_case& c) { loss_case d = c; d.options.erase("distance_function"); return impl::evaluate(d); });
  add("triplet_margin_with_distance_loss_margin_sign_flipped", "triplet_margin_with_distance_loss",
      "d(a, p) − d(a, n) − margin", [](const loss_case& c) {
        loss_case d = c;
        d.options["margin"] = -(c.options.count("margin") ? std::get<double>(c.options.at("margin")) : 1.0);
        return impl::evaluate(d);
      });
  add("triplet_margin_with_distance_loss_anchor_gradient_half", "triplet_margin_with_distance_loss",
      "anchor's gradient off by a factor 1/2",
      [](const loss_case& c) { return scale_grads(impl::evaluate(c), 0.5, c.type, "anchor"); });
  // multi_margin_loss
  {
    // The pieces of a multi_margin_loss case the mutants below read: C, the margin in the dtype, p, and the gradient
    // ĝ reaching row n (grad_output, / N for mean).
    struct mm {
      const tensor& x;
      const tensor& y;
      const tensor* w;
      std::int64_t C;
      long double m;
      std::int64_t p;
      std::string red;
      const loss_case& c;
      explicit mm(const loss_case& k)
          : x(k.inputs.at("input")), y(k.inputs.at("target")), w(k.input("weight")),
            C(x.dim() == 0 ? 1 : x.shape.back()), m(rnd(k.options.count("margin") ? std::get<double>(k.options.at("margin")) : 1.0, k.type)),
            p(k.options.count("p") ? std::get<std::int64_t>(k.options.at("p")) : 1), red(red_of(k)), c(k) {}
      long double z(std::size_t n, std::size_t j) const {
        return m - x.values[n * static_cast<std::size_t>(C) + static_cast<std::size_t>(y.ints[n])] + x.values[n * static_cast<std::size_t>(C) + j];
      }
      long double upstream(std::size_t n) const {
        const long double g = c.grad_output ? c.grad_output->values[red == "none" ? n : 0] : 1.0L;
        return red == "mean" ? g / static_cast<long double>(y.ints.size()) : g;
      }
    };
    add("multi_margin_loss_not_divided_by_c", "multi_margin_loss",
        "Σ_j w[y] max(0, z_j)^p without the division by C (output and gradients C times torch's)", [](const loss_case& c) {
          loss_result r = impl::evaluate(c);
          if (!r.ok()) return r;
          const long double C = static_cast<long double>(mm(c).C);
          for (auto& v : r.output->values) v = rnd(C * v, c.type);
          return scale_grads(r, static_cast<double>(C), c.type);
        });
    add("multi_margin_loss_weight_of_each_class", "multi_margin_loss",
        "each term j weighted by w[j] instead of the target's w[y] (forward; gradients the impl's)", [](const loss_case& c) {
          loss_result r = impl::evaluate(c);
          if (!r.ok() || !c.input("weight")) return r;
          const mm k(c);
          return elementwise_mutant(c, [&](std::size_t n) -> long double {
            long double s = 0;
            for (std::size_t j = 0; j < static_cast<std::size_t>(k.C); ++j) {
              if (static_cast<std::int64_t>(j) == k.y.ints[n]) continue;
              const long double z = k.z(n, j);
              if (z > 0) s += k.w->values[j] * (k.p == 1 ? z : z * z);
            }
            return s / static_cast<long double>(k.C);
          });
        });
    add("multi_margin_loss_kink_counts_as_active", "multi_margin_loss",
        "p = 1: a term with z = 0 exactly passes the gradient w[y] / C (tests z ≥ 0, torch tests z > 0)", [](const loss_case& c) {
          loss_result r = impl::evaluate(c);
          if (!r.ok()) return r;
          const mm k(c);
          if (k.p != 1) return r;
          auto& g = r.grads["input"].values;
          const auto C = static_cast<std::size_t>(k.C);
          for (std::size_t n = 0; n < k.y.ints.size(); ++n) {
            const auto yn = static_cast<std::size_t>(k.y.ints[n]);
            const long double w = k.w ? k.w->values[yn] : 1.0L;
            for (std::size_t j = 0; j < C; ++j) {
              if (j == yn || k.z(n, j) != 0) continue;
              const long double s = w / static_cast<long double>(C) * k.upstream(n);
              g[n * C + j] = rnd(g[n * C + j] + s, c.type);
              g[n * C + yn] = rnd(g[n * C + yn] - s, c.type);
            }
          }
          return r;
        });
    add("multi_margin_loss_p2_gradient_without_factor_2", "multi_margin_loss",
        "p = 2: dL/dx = w[y] z / C (the 2 of the square forgotten)", [](const loss_case& c) {
          loss_result r = impl::evaluate(c);
          return r.ok() && mm(c).p == 2 ? scale_grads(r, 0.5, c.type) : r;
        });
  }
  // multilabel_margin_loss
  {
    // A row's targets as a mutant may misread them.
    struct ml {
      static std::vector<std::int64_t> rewritten(const loss_case& c, bool past_minus_1, bool dedupe) {
        const tensor& x = c.inputs.at("input");
        const std::int64_t C = x.dim() == 0 ? 1 : x.shape.back();
        std::vector<std::int64_t> y = c.inputs.at("target").ints;
        for (std::size_t r = 0; C > 0 && r * static_cast<std::size_t>(C) < y.size(); ++r) {
          std::vector<std::int64_t> row;
          bool ended = false;
          for (std::int64_t k = 0; k < C; ++k) {
            const auto v = y[r * static_cast<std::size_t>(C) + static_cast<std::size_t>(k)];
            if (v < 0) ended = true;
            if (v < 0 || (ended && !past_minus_1)) continue;
            if (dedupe && std::find(row.begin(), row.end(), v) != row.end()) continue;
            row.push_back(v);
          }
          row.resize(static_cast<std::size_t>(C), -1);
          std::copy(row.begin(), row.end(), y.begin() + static_cast<std::ptrdiff_t>(r * static_cast<std::size_t>(C)));
        }
        return y;
      }
    };
    add("multilabel_margin_loss_reads_past_the_first_minus_1", "multilabel_margin_loss",
        "every class index of a target row counts, also those after its first -1", [](const loss_case& c) {
          loss_result r = impl::evaluate(c);
          if (!r.ok()) return r;
          loss_case d = c;
          d.inputs["target"].ints = ml::rewritten(c, true, false);
          return impl::evaluate(d);
        });
    add("multilabel_margin_loss_counts_a_repeated_target_once", "multilabel_margin_loss",
        "the targets as a set: a class listed twice counts once (torch counts each entry)", [](const loss_case& c) {
          loss_result r = impl::evaluate(c);
          if (!r.ok()) return r;
          loss_case d = c;
          d.inputs["target"].ints = ml::rewritten(c, false, true);
          return impl::evaluate(d);
        });
    add("multilabel_margin_loss_not_divided_by_c", "multilabel_margin_loss",
        "Σ over pairs without the division by C (output and gradients C times torch's)", [](const loss_case& c) {
          loss_result r = impl::evaluate(c);
          if (!r.ok()) return r;
          const tensor& x = c.inputs.at("input");
          const long double C = static_cast<long double>(x.dim() == 0 ? 1 : x.shape.back());
          for (auto& v : r.output->values) v = rnd(C * v, c.type);
          return scale_grads(r, static_cast<double>(C), c.type);
        });
    add("multilabel_margin_loss_target_gradient_wrong_sign", "multilabel_margin_loss",
        "dL/dx[t] = +a_t / C at the targets (the pairs' -1 forgotten)", [](const loss_case& c) {
          loss_result r = impl::evaluate(c);
          if (!r.ok()) return r;
          const tensor& x = c.inputs.at("input");
          const std::int64_t C = x.dim() == 0 ? 1 : x.shape.back();
          const auto& y = c.inputs.at("target").ints;
          auto& g = r.grads["input"].values;
          for (std::size_t r0 = 0; r0 * static_cast<std::size_t>(C) < y.size(); ++r0) {
            std::vector<bool> listed(static_cast<std::size_t>(C), false);
            for (std::int64_t k = 0; k < C && y[r0 * static_cast<std::size_t>(C) + static_cast<std::size_t>(k)] >= 0; ++k)
              listed[static_cast<std::size_t>(y[r0 * static_cast<std::size_t>(C) + static_cast<std::size_t>(k)])] = true;
            for (std::int64_t i = 0; i < C; ++i)
              if (listed[static_cast<std::size_t>(i)]) g[r0 * static_cast<std::size_t>(C) + static_cast<std::size_t>(i)] *= -1;
          }
          return r;
        });
  }
  // poisson_nll_loss
  {
    const auto flag = [](const loss_case& c, const char* name, bool fallback) {
      const auto it = c.options.find(name);
      return it == c.options.end() || !std::holds_alternative<bool>(it->second) ? fallback : std::get<bool>(it->second);
    };
    add("poisson_nll_loss_stirling_term_for_every_target", "poisson_nll_loss",
        "full=True adds t log t - t + log(2 pi t) / 2 for every target, not only where t > 1 (torch masks t <= 1)",
        [flag](const loss_case& c) {
          if (!flag(c, "full", false)) return impl::evaluate(c);
          const tensor none = none_of(c);
          return elementwise_mutant(c, [&](std::size_t i) -> long double {
            const long double l = none.values[i], t = at(c, "target", i);
            return t > 1 ? l : l + (t * std::log(t) - t + std::log(2 * 3.14159265358979323846264338327950288L * t) / 2);
          });
        });
    add("poisson_nll_loss_log_without_eps", "poisson_nll_loss",
        "log_input=False: x - t log(x) (eps left out: x = 0 gives inf, not x - t log(eps))", [flag](const loss_case& c) {
          if (flag(c, "log_input", true)) return impl::evaluate(c);
          return impl::evaluate(set(c, "eps", 0.0));
        });
    add("poisson_nll_loss_ignores_full", "poisson_nll_loss", "full=True is treated as False (no Stirling term)",
        [](const loss_case& c) { return impl::evaluate(set(c, "full", false)); });
  }
  // gaussian_nll_loss
  {
    const auto eps_of = [](const loss_case& c) {
      const auto it = c.options.find("eps");
      const double eps = it == c.options.end() || !std::holds_alternative<double>(it->second) ? 1e-6 : std::get<double>(it->second);
      return rnd(eps, c.type);
    };
    add("gaussian_nll_loss_eps_added_to_var", "gaussian_nll_loss",
        "v = var + eps instead of max(var, eps) (forward and gradients of that formula)", [eps_of](const loss_case& c) {
          loss_case d = c;
          const double eps = eps_of(c);
          for (auto& v : d.inputs["var"].values) v = rnd(static_cast<long double>(v) + eps, c.type);
          d.options["eps"] = 0.0;
          return impl::evaluate(d);
        });
    add("gaussian_nll_loss_var_gradient_zero_where_clamped", "gaussian_nll_loss",
        "dL/dvar = 0 where var < eps (the clamp differentiated; torch's clamp under no_grad passes the gradient)",
        [eps_of](const loss_case& c) {
          loss_result r = impl::evaluate(c);
          const double eps = eps_of(c);
          auto it = r.grads.find("var");
          if (it == r.grads.end()) return r;
          const auto& var = c.inputs.at("var").values;
          for (std::size_t j = 0; j < var.size() && j < it->second.values.size(); ++j)
            if (var[j] < eps) it->second.values[j] = 0;
          return r;
        });
    add("gaussian_nll_loss_full_adds_log_2pi", "gaussian_nll_loss",
        "full=True adds log(2 pi) instead of log(2 pi) / 2", [](const loss_case& c) {
          const auto it = c.options.find("full");
          if (it == c.options.end() || !std::holds_alternative<bool>(it->second) || !std::get<bool>(it->second))
            return impl::evaluate(c);
          const tensor none = none_of(c);
          return elementwise_mutant(c, [&](std::size_t i) -> long double {
            return none.values[i] + std::log(2 * 3.14159265358979323846264338327950288L) / 2;
          });
        });
  }
  // ctc_loss
  {
    add("ctc_loss_mean_without_target_lengths", "ctc_loss",
        "mean = Σ loss_b / N (each loss not divided by max(target_length, 1)), with the matching gradient",
        [](const loss_case& c) {
          if (detail::effective_reduction(c) != "mean") return impl::evaluate(c);
          const auto& tl = c.inputs.at("target_lengths").ints;
          const auto n = static_cast<long double>(tl.size());
          loss_case none = detail::with_reduction(c, "none");
          const double g = c.grad_output ? c.grad_output->values[0] : 1.0;
          none.grad_output = detail::rounded(c.type, detail::output_shape_of(none),
                                             std::vector<long double>(tl.size(), g / n));
          loss_result r = impl::evaluate(none);
          if (!r.ok()) return r;
          long double s = 0;
          for (double v : r.output->values) s += v;
          r.output = detail::rounded(c.type, {}, {s / n});
          return r;
        });
    add("ctc_loss_ignores_zero_infinity", "ctc_loss", "zero_infinity=True is treated as False (inf losses, NaN gradients)",
        [](const loss_case& c) { return impl::evaluate(set(c, "zero_infinity", false)); });
    add("ctc_loss_blank_fixed_to_0", "ctc_loss", "the blank option is ignored: the blank is label 0", [](const loss_case& c) {
      const auto it = c.options.find("blank");
      if (it == c.options.end()) return impl::evaluate(c);
      return impl::evaluate(set(c, "blank", std::int64_t{0}));
    });
  }
  (void)impl_of;
  return out;
}

}  // namespace losscheck::properties
