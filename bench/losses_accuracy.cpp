// Accuracy of the production implementation (impl) and of LibTorch against the 256-bit reference, on the same random
// and adversarial cases per loss and dtype. Built with -DLOSSCHECK_BENCH=ON when LibTorch is found; run
// `build-bench/losses_accuracy [--cases N] [--seed S] [--loss a,b]`. Prints two markdown tables (outputs, gradients); see
// docs/performance.md.
//
// Errors, per element e with reference value r (the 256-bit value correctly rounded to the dtype, so itself within
// 0.5 ULP of the exact one) and got value g:
//   elementwise: |g - r| / ulp(r), ulp(r) the spacing of the dtype at r (at least the smallest subnormal);
//   normwise:    |g - r| / (eps max|r|), eps = ulp(1) of the dtype, max over the tensor's finite reference values.
// Every gradient the reference returns (and the target returns too) is pooled into the gradient statistics.
// "nonfinite": elements where the reference is finite and the target's value is not (excluded from the ULP
// statistics). "errors": cases the target rejected (the reference accepted all of them).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "losscheck/case.h"
#include "losscheck/dtype_traits.h"
#include "losscheck/impl.h"
#include "losscheck/libtorch.h"
#include "losscheck/reference.h"
#include "losscheck/rounded_case.h"

namespace {

using losscheck::dtype;
using losscheck::loss_case;
using losscheck::loss_result;
using losscheck::tensor;

double round_to(double v, dtype t) { return t == dtype::float32 ? static_cast<double>(static_cast<float>(v)) : v; }

int precision_bits(dtype t) { return losscheck::dtype_traits(t).significand_digits; }
int min_exponent(dtype t) { return losscheck::dtype_traits(t).min_normal_exponent; }

/// A half row's case: the class's float32 case with every float value rounded to the half dtype (finite values
/// beyond its range saturating at ±max: float16 ends at 65504, where the float32 classes' huge values would be inf).
loss_case to_half(const loss_case& c, dtype t) { return losscheck::with_dtype_rounded(c, t); }

const char* short_name(dtype t) {
  switch (t) {
    case dtype::float32: return "f32";
    case dtype::float64: return "f64";
    case dtype::bfloat16: return "bf16";
    case dtype::float16: return "f16";
    default: return "?";
  }
}

double ulp_of(double r, dtype t) {
  const double a = std::fabs(r);
  int e = a > 0 ? std::ilogb(a) : min_exponent(t);
  e = std::max(e, min_exponent(t));
  return std::ldexp(1.0, e - precision_bits(t) + 1);
}

/// Error samples of one (loss, dtype, class, target) and one kind (output or gradients).
struct samples {
  std::vector<double> elementwise;
  std::vector<double> normwise;
  long nonfinite = 0;

  void add(const tensor& ref, const tensor& got, dtype t) {
    if (ref.values.size() != got.values.size()) {
      nonfinite += static_cast<long>(ref.values.size());  // shape mismatch: counted as unusable
      return;
    }
    double max_ref = 0;
    for (double r : ref.values)
      if (std::isfinite(r)) max_ref = std::max(max_ref, std::fabs(r));
    const double norm_unit = max_ref > 0 ? std::ldexp(max_ref, 1 - precision_bits(t)) : ulp_of(0, t);
    for (std::size_t i = 0; i < ref.values.size(); ++i) {
      const double r = ref.values[i], g = got.values[i];
      if (!std::isfinite(r)) continue;
      if (!std::isfinite(g)) {
        ++nonfinite;
        continue;
      }
      const double d = std::fabs(g - r);
      elementwise.push_back(d / ulp_of(r, t));
      normwise.push_back(d / norm_unit);
    }
  }
};

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

std::string fmt_ulps(double u) {
  char buf[32];
  if (u == 0) return "0";
  if (u < 1000) std::snprintf(buf, sizeof buf, "%.3g", u);
  else std::snprintf(buf, sizeof buf, "%.1e", u);
  return buf;
}

struct row {
  std::string loss, type, cls, who;
  samples out, grad;
  long errors = 0;
  double ref_us_per_element = 0;
  long unsupported = 0;  ///< cases the target has no kernel for (LibTorch's half dtypes)
};

/// A class of cases: how to build case number `k` of a dtype.
struct case_class {
  std::string loss;
  std::string name;
  std::function<loss_case(std::mt19937_64&, dtype)> make;
};

tensor floats(dtype t, losscheck::shape_t shape, std::vector<double> v) {
  for (auto& x : v) x = round_to(x, t);
  return tensor::floats(t, std::move(shape), std::move(v));
}

loss_case base(const std::string& loss, dtype t, const std::string& red) {
  loss_case c;
  c.loss = loss;
  c.type = t;
  c.options["reduction"] = red;
  return c;
}

double normal(std::mt19937_64& rng, double sd = 1) { return std::normal_distribution<double>(0, sd)(rng); }
double unif(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }
double sign(std::mt19937_64& rng) { return rng() & 1 ? 1.0 : -1.0; }

constexpr std::int64_t rows = 32, cls = 100, elems = 2048, dim = 64;

std::vector<case_class> catalog() {
  std::vector<case_class> v;
  // cross_entropy, (32, 100), class indices
  auto ce = [](std::string red, std::function<double(std::mt19937_64&, dtype, bool)> logit) {
    return [red, logit](std::mt19937_64& rng, dtype t) {
      auto c = base("cross_entropy", t, red);
      std::vector<double> x(rows * cls);
      std::vector<std::int64_t> y(rows);
      for (std::int64_t i = 0; i < rows; ++i) {
        y[i] = static_cast<std::int64_t>(rng() % cls);
        for (std::int64_t j = 0; j < cls; ++j) x[i * cls + j] = logit(rng, t, j == y[i]);
      }
      c.inputs["input"] = floats(t, {rows, cls}, x);
      c.inputs["target"] = tensor::int64s({rows}, y);
      return c;
    };
  };
  v.push_back({"cross_entropy", "random N(0,3)", ce("none", [](auto& rng, dtype, bool) { return normal(rng, 3); })});
  v.push_back({"cross_entropy", "random, mean", ce("mean", [](auto& rng, dtype, bool) { return normal(rng, 3); })});
  v.push_back({"cross_entropy", "confidently correct (+15..60)", ce("none", [](auto& rng, dtype, bool hit) {
                 return hit ? unif(rng, 15, 60) : normal(rng, 1);
               })});
  v.push_back({"cross_entropy", "huge logits 1e3..1e4", ce("none", [](auto& rng, dtype, bool) {
                 return sign(rng) * unif(rng, 1e3, 1e4);
               })});
  // nll_loss, (32, 100) log-probabilities, with class weights
  auto nll = [](std::string red) {
    return [red](std::mt19937_64& rng, dtype t) {
      auto c = base("nll_loss", t, red);
      std::vector<double> x(rows * cls), w(cls);
      std::vector<std::int64_t> y(rows);
      for (auto& e : x) e = -unif(rng, 0, 10);
      for (auto& e : w) e = unif(rng, 0.1, 2);
      for (auto& e : y) e = static_cast<std::int64_t>(rng() % cls);
      c.inputs["input"] = floats(t, {rows, cls}, x);
      c.inputs["target"] = tensor::int64s({rows}, y);
      c.inputs["weight"] = floats(t, {cls}, w);
      return c;
    };
  };
  v.push_back({"nll_loss", "random, weighted", nll("none")});
  v.push_back({"nll_loss", "random, weighted mean", nll("mean")});
  // mse_loss, 2048 elements
  auto mse = [](std::string red, bool huge) {
    return [red, huge](std::mt19937_64& rng, dtype t) {
      auto c = base("mse_loss", t, red);
      // near overflow: |x - t| up to ~0.9 sqrt(max), so every square is finite and the sum is not
      const double big = t == dtype::float32 ? 1.6e19 : 1.2e154;
      std::vector<double> x(elems), y(elems);
      for (std::int64_t i = 0; i < elems; ++i) {
        x[i] = huge ? big * unif(rng, 0.2, 0.5) : normal(rng);
        y[i] = huge ? -big * unif(rng, 0.2, 0.5) : normal(rng);
      }
      c.inputs["input"] = floats(t, {elems}, x);
      c.inputs["target"] = floats(t, {elems}, y);
      return c;
    };
  };
  v.push_back({"mse_loss", "random N(0,1)", mse("none", false)});
  v.push_back({"mse_loss", "random, mean", mse("mean", false)});
  v.push_back({"mse_loss", "near overflow", mse("none", true)});
  v.push_back({"mse_loss", "near overflow, mean", mse("mean", true)});
  // binary_cross_entropy, 2048 elements
  auto bce = [](bool edge) {
    return [edge](std::mt19937_64& rng, dtype t) {
      auto c = base("binary_cross_entropy", t, "none");
      std::vector<double> x(elems), y(elems);
      for (std::int64_t i = 0; i < elems; ++i) {
        if (edge) {
          const double d = unif(rng, 0, 1e-7);
          x[i] = rng() & 1 ? d : 1 - d;  // within 1e-7 of 0 or 1 (1 - d rounds to 1 or 1 - 2^-24 in float32)
          const auto k = rng() % 3;
          y[i] = k == 0 ? 0.0 : k == 1 ? 1.0 : unif(rng, 0, 1);
        } else {
          x[i] = unif(rng, 0.001, 0.999);
          y[i] = unif(rng, 0, 1);
        }
      }
      c.inputs["input"] = floats(t, {elems}, x);
      c.inputs["target"] = floats(t, {elems}, y);
      return c;
    };
  };
  v.push_back({"binary_cross_entropy", "random", bce(false)});
  v.push_back({"binary_cross_entropy", "p within 1e-7 of 0 and 1", bce(true)});
  // binary_cross_entropy_with_logits, 2048 elements
  auto bcel = [](int kind) {
    return [kind](std::mt19937_64& rng, dtype t) {
      auto c = base("binary_cross_entropy_with_logits", t, "none");
      std::vector<double> x(elems), y(elems);
      for (std::int64_t i = 0; i < elems; ++i) {
        const double s = sign(rng);
        if (kind == 0) {
          x[i] = normal(rng, 4);
          y[i] = unif(rng, 0, 1);
        } else if (kind == 1) {  // confidently correct
          x[i] = s * unif(rng, 15, 40);
          y[i] = s > 0 ? 1 : 0;
        } else {
          x[i] = s * unif(rng, 1e3, 1e4);
          y[i] = rng() & 1 ? 1 : 0;
        }
      }
      c.inputs["input"] = floats(t, {elems}, x);
      c.inputs["target"] = floats(t, {elems}, y);
      return c;
    };
  };
  v.push_back({"binary_cross_entropy_with_logits", "random N(0,4)", bcel(0)});
  v.push_back({"binary_cross_entropy_with_logits", "confidently correct (15..40)", bcel(1)});
  v.push_back({"binary_cross_entropy_with_logits", "huge logits 1e3..1e4", bcel(2)});
  // kl_div, (32, 100): input log q, target p
  auto kl = [](std::string red, bool near) {
    return [red, near](std::mt19937_64& rng, dtype t) {
      auto c = base("kl_div", t, red);
      std::vector<double> x(rows * cls), y(rows * cls);
      const double delta = t == dtype::float32 ? 1e-4 : 1e-9;
      for (std::int64_t i = 0; i < rows; ++i) {
        double sq = 0, sp = 0;
        std::vector<double> q(cls), p(cls);
        for (std::int64_t j = 0; j < cls; ++j) {
          q[j] = std::exp(normal(rng));
          p[j] = near ? q[j] * (1 + delta * normal(rng)) : std::exp(normal(rng));
          sq += q[j];
          sp += p[j];
        }
        for (std::int64_t j = 0; j < cls; ++j) {
          x[i * cls + j] = std::log(q[j] / sq);
          y[i * cls + j] = p[j] / sp;
        }
      }
      c.inputs["input"] = floats(t, {rows, cls}, x);
      c.inputs["target"] = floats(t, {rows, cls}, y);
      return c;
    };
  };
  v.push_back({"kl_div", "random", kl("none", false)});
  v.push_back({"kl_div", "random, batchmean", kl("batchmean", false)});
  v.push_back({"kl_div", "nearly identical", kl("none", true)});
  v.push_back({"kl_div", "nearly identical, batchmean", kl("batchmean", true)});
  // cosine_embedding_loss, (32, 64)
  auto cos = [](int kind) {
    return [kind](std::mt19937_64& rng, dtype t) {
      auto c = base("cosine_embedding_loss", t, "none");
      std::vector<double> a(rows * dim), b(rows * dim), y(rows);
      const double rel = t == dtype::float32 ? 1e-3 : 1e-7;
      const double scale = kind == 2 ? (t == dtype::float32 ? 1e25 : 1e200) : 1;
      for (std::int64_t i = 0; i < rows * dim; ++i) {
        a[i] = normal(rng) * scale;
        b[i] = kind == 1 ? a[i] * (1 + rel * normal(rng)) * 3 : normal(rng) * scale;
      }
      for (auto& e : y) e = kind == 1 ? 1.0 : sign(rng);
      c.inputs["input1"] = floats(t, {rows, dim}, a);
      c.inputs["input2"] = floats(t, {rows, dim}, b);
      c.inputs["target"] = floats(t, {rows}, y);
      return c;
    };
  };
  v.push_back({"cosine_embedding_loss", "random", cos(0)});
  v.push_back({"cosine_embedding_loss", "nearly parallel, y = 1", cos(1)});
  v.push_back({"cosine_embedding_loss", "huge norm (1e25 / 1e200)", cos(2)});
  // l1_loss, smooth_l1_loss, huber_loss, 2048 elements: N(0,1) inputs (|x - t| on both sides of beta = delta = 1),
  // x and t within a few ULPs of each other (ties and cancellation), and values near overflow (mean)
  auto l1_family = [](std::string loss, std::string red, int regime, std::string option = "", double value = 0) {
    return [=](std::mt19937_64& rng, dtype t) {
      auto c = base(loss, t, red);
      if (!option.empty()) c.options[option] = value;
      const double big = t == dtype::float32 ? 1e38 : 1e307;
      std::vector<double> x(elems), y(elems);
      for (std::int64_t i = 0; i < elems; ++i) {
        x[i] = regime == 2 ? big * unif(rng, 0.5, 1.5) : normal(rng);
        y[i] = regime == 2 ? -big * unif(rng, 0.5, 1.5) : normal(rng);
        if (regime == 1) y[i] = x[i] * (1 + std::ldexp(normal(rng), t == dtype::float32 ? -22 : -50));
      }
      c.inputs["input"] = floats(t, {elems}, x);
      c.inputs["target"] = floats(t, {elems}, y);
      return c;
    };
  };
  v.push_back({"l1_loss", "random N(0,1)", l1_family("l1_loss", "none", 0)});
  v.push_back({"l1_loss", "random, mean", l1_family("l1_loss", "mean", 0)});
  v.push_back({"l1_loss", "near ties", l1_family("l1_loss", "none", 1)});
  v.push_back({"l1_loss", "near overflow, mean", l1_family("l1_loss", "mean", 2)});
  v.push_back({"smooth_l1_loss", "random N(0,1)", l1_family("smooth_l1_loss", "none", 0)});
  v.push_back({"smooth_l1_loss", "random, mean", l1_family("smooth_l1_loss", "mean", 0)});
  v.push_back({"smooth_l1_loss", "random, beta = 0.1", l1_family("smooth_l1_loss", "none", 0, "beta", 0.1)});
  v.push_back({"smooth_l1_loss", "near ties", l1_family("smooth_l1_loss", "none", 1)});
  v.push_back({"smooth_l1_loss", "near overflow, mean", l1_family("smooth_l1_loss", "mean", 2)});
  v.push_back({"huber_loss", "random N(0,1)", l1_family("huber_loss", "none", 0)});
  v.push_back({"huber_loss", "random, mean", l1_family("huber_loss", "mean", 0)});
  v.push_back({"huber_loss", "random, delta = 0.1", l1_family("huber_loss", "none", 0, "delta", 0.1)});
  v.push_back({"huber_loss", "near ties", l1_family("huber_loss", "none", 1)});
  v.push_back({"huber_loss", "near overflow, mean", l1_family("huber_loss", "mean", 2)});
  // soft_margin_loss, 2048 elements, ±1 labels
  auto soft = [](int kind) {
    return [kind](std::mt19937_64& rng, dtype t) {
      auto c = base("soft_margin_loss", t, "none");
      std::vector<double> x(elems), y(elems);
      for (std::int64_t i = 0; i < elems; ++i) {
        y[i] = sign(rng);
        x[i] = kind == 0 ? normal(rng, 4)
               : kind == 1 ? y[i] * unif(rng, 15, 40)      // confidently correct: y x in 15..40
                           : -y[i] * unif(rng, 50, 80);    // confidently wrong: -y x in 50..80 (below float32's exp overflow)
      }
      c.inputs["input"] = floats(t, {elems}, x);
      c.inputs["target"] = floats(t, {elems}, y);
      return c;
    };
  };
  v.push_back({"soft_margin_loss", "random N(0,4)", soft(0)});
  v.push_back({"soft_margin_loss", "confidently correct (15..40)", soft(1)});
  v.push_back({"soft_margin_loss", "confidently wrong (50..80)", soft(2)});
  // multilabel_soft_margin_loss, (32, 100), 0/1 targets, weights
  v.push_back({"multilabel_soft_margin_loss", "random N(0,4), weighted", [](std::mt19937_64& rng, dtype t) {
                 auto c = base("multilabel_soft_margin_loss", t, "none");
                 std::vector<double> x(rows * cls), y(rows * cls), w(cls);
                 for (auto& e : x) e = normal(rng, 4);
                 for (auto& e : y) e = rng() & 1 ? 1.0 : 0.0;
                 for (auto& e : w) e = unif(rng, 0.1, 2);
                 c.inputs["input"] = floats(t, {rows, cls}, x);
                 c.inputs["target"] = floats(t, {rows, cls}, y);
                 c.inputs["weight"] = floats(t, {cls}, w);
                 return c;
               }});
  // margin_ranking_loss, 2048 elements, ±1 labels, margin 0.5 (the target is differentiated too)
  v.push_back({"margin_ranking_loss", "random N(0,2), y = ±1", [](std::mt19937_64& rng, dtype t) {
                 auto c = base("margin_ranking_loss", t, "none");
                 c.options["margin"] = 0.5;
                 std::vector<double> x1(elems), x2(elems), y(elems);
                 for (std::int64_t i = 0; i < elems; ++i) {
                   x1[i] = normal(rng, 2);
                   x2[i] = normal(rng, 2);
                   y[i] = sign(rng);
                 }
                 c.inputs["input1"] = floats(t, {elems}, x1);
                 c.inputs["input2"] = floats(t, {elems}, x2);
                 c.inputs["target"] = floats(t, {elems}, y);
                 return c;
               }});
  // hinge_embedding_loss, 2048 elements, ±1 labels and other targets (both branches), margin 1
  v.push_back({"hinge_embedding_loss", "random N(0,2), y in {1, -1, 0}", [](std::mt19937_64& rng, dtype t) {
                 auto c = base("hinge_embedding_loss", t, "mean");
                 std::vector<double> x(elems), y(elems);
                 for (std::int64_t i = 0; i < elems; ++i) {
                   x[i] = normal(rng, 2);
                   const auto k = rng() % 3;
                   y[i] = k == 0 ? 1.0 : k == 1 ? -1.0 : 0.0;
                 }
                 c.inputs["input"] = floats(t, {elems}, x);
                 c.inputs["target"] = floats(t, {elems}, y);
                 return c;
               }});
  // triplet_margin_loss, (32, 64): random rows; positives close to the anchor (d(a, p) small against eps's share
  // and the hinge near margin); p = 3 with swap.
  auto triplet = [](int kind) {
    return [kind](std::mt19937_64& rng, dtype t) {
      auto c = base("triplet_margin_loss", t, "none");
      std::vector<double> a(rows * dim), p(rows * dim), n(rows * dim);
      for (std::int64_t i = 0; i < rows * dim; ++i) {
        a[i] = normal(rng);
        p[i] = kind == 1 ? a[i] + 1e-3 * normal(rng) : normal(rng);
        n[i] = normal(rng);
      }
      if (kind == 2) {
        c.options["p"] = 3.0;
        c.options["swap"] = true;
      }
      c.options["margin"] = kind == 1 ? 12.0 : 2.0;
      c.inputs["anchor"] = floats(t, {rows, dim}, a);
      c.inputs["positive"] = floats(t, {rows, dim}, p);
      c.inputs["negative"] = floats(t, {rows, dim}, n);
      return c;
    };
  };
  v.push_back({"triplet_margin_loss", "random", triplet(0)});
  v.push_back({"triplet_margin_loss", "positive near anchor", triplet(1)});
  v.push_back({"triplet_margin_loss", "p = 3, swap", triplet(2)});
  // triplet_margin_with_distance_loss, (32, 64): the cosine distance on random rows and on nearly parallel ones
  // (1 - cos cancels), with swap.
  auto with_distance = [](int kind) {
    return [kind](std::mt19937_64& rng, dtype t) {
      auto c = base("triplet_margin_with_distance_loss", t, "none");
      std::vector<double> a(rows * dim), p(rows * dim), n(rows * dim);
      for (std::int64_t i = 0; i < rows * dim; ++i) {
        a[i] = normal(rng);
        p[i] = kind == 1 ? 3 * a[i] * (1 + 1e-3 * normal(rng)) : normal(rng);
        n[i] = normal(rng);
      }
      c.options["distance_function"] = std::string("cosine");
      c.options["swap"] = true;
      c.options["margin"] = 1.5;
      c.inputs["anchor"] = floats(t, {rows, dim}, a);
      c.inputs["positive"] = floats(t, {rows, dim}, p);
      c.inputs["negative"] = floats(t, {rows, dim}, n);
      return c;
    };
  };
  v.push_back({"triplet_margin_with_distance_loss", "cosine, swap", with_distance(0)});
  v.push_back({"triplet_margin_with_distance_loss", "cosine, nearly parallel positive", with_distance(1)});
  // multi_margin_loss, (32, 100) scores, p = 1 and p = 2 with class weights
  auto mm = [](std::int64_t p, std::string red) {
    return [p, red](std::mt19937_64& rng, dtype t) {
      auto c = base("multi_margin_loss", t, red);
      c.options["p"] = p;
      std::vector<double> x(rows * cls), w(cls);
      std::vector<std::int64_t> y(rows);
      for (auto& e : x) e = normal(rng, 1);
      for (auto& e : w) e = unif(rng, 0.1, 2);
      for (auto& e : y) e = static_cast<std::int64_t>(rng() % cls);
      c.inputs["input"] = floats(t, {rows, cls}, x);
      c.inputs["target"] = tensor::int64s({rows}, y);
      c.inputs["weight"] = floats(t, {cls}, w);
      return c;
    };
  };
  v.push_back({"multi_margin_loss", "random N(0,1), p = 1, weighted", mm(1, "none")});
  v.push_back({"multi_margin_loss", "random N(0,1), p = 2, weighted mean", mm(2, "mean")});
  // multilabel_margin_loss, (32, 100) scores, lists of up to 10 targets ended by -1
  auto ml = [](std::string red) {
    return [red](std::mt19937_64& rng, dtype t) {
      auto c = base("multilabel_margin_loss", t, red);
      std::vector<double> x(rows * cls);
      std::vector<std::int64_t> y(rows * cls, -1);
      for (auto& e : x) e = normal(rng, 1);
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t listed = rng() % 10;
        for (std::size_t k = 0; k < listed; ++k) y[r * cls + k] = static_cast<std::int64_t>(rng() % cls);
      }
      c.inputs["input"] = floats(t, {rows, cls}, x);
      c.inputs["target"] = tensor::int64s({rows, cls}, y);
      return c;
    };
  };
  v.push_back({"multilabel_margin_loss", "random N(0,1), up to 10 targets", ml("none")});
  v.push_back({"multilabel_margin_loss", "random N(0,1), up to 10 targets, mean", ml("mean")});
  // poisson_nll_loss, 2048 elements: log-rates N(0,1) with Poisson-like counts; the same near the optimum x = log t
  // (where e^x and t x cancel) with full (the Stirling term)
  auto poisson = [](std::string red, bool optimum) {
    return [red, optimum](std::mt19937_64& rng, dtype t) {
      auto c = base("poisson_nll_loss", t, red);
      if (optimum) c.options["full"] = true;
      std::vector<double> x(elems), y(elems);
      for (std::int64_t i = 0; i < elems; ++i) {
        y[i] = static_cast<double>(rng() % 50);
        x[i] = optimum && y[i] > 0 ? std::log(y[i]) * (1 + 1e-3 * normal(rng)) : normal(rng);
      }
      c.inputs["input"] = floats(t, {elems}, x);
      c.inputs["target"] = floats(t, {elems}, y);
      return c;
    };
  };
  v.push_back({"poisson_nll_loss", "random N(0,1), counts 0..49", poisson("none", false)});
  v.push_back({"poisson_nll_loss", "near the optimum, full, mean", poisson("mean", true)});
  // gaussian_nll_loss, 2048 elements: N(0,1) mean and sample, variances over 1e-3..10 (some below eps = 1e-6)
  auto gaussian = [](std::string red) {
    return [red](std::mt19937_64& rng, dtype t) {
      auto c = base("gaussian_nll_loss", t, red);
      std::vector<double> x(elems), y(elems), w(elems);
      for (std::int64_t i = 0; i < elems; ++i) {
        x[i] = normal(rng);
        y[i] = normal(rng);
        w[i] = rng() % 20 == 0 ? unif(rng, 0, 1e-6) : std::exp(unif(rng, -7, 2.3));
      }
      c.inputs["input"] = floats(t, {elems}, x);
      c.inputs["target"] = floats(t, {elems}, y);
      c.inputs["var"] = floats(t, {elems}, w);
      return c;
    };
  };
  v.push_back({"gaussian_nll_loss", "random, var 1e-3..10 and below eps", gaussian("none")});
  v.push_back({"gaussian_nll_loss", "random, var 1e-3..10 and below eps, mean", gaussian("mean")});
  // ctc_loss: T = 50, N = 8, C = 20, S = 12: log-softmax of N(0,1) logits (or of peaked ones, x 6: alignments
  // dominated by few paths), labels 1..19 with repeats, input lengths 40..50, mean
  auto ctc = [](std::string red, double peak) {
    return [red, peak](std::mt19937_64& rng, dtype t) {
      auto c = base("ctc_loss", t, red);
      constexpr std::int64_t T = 50, N = 8, C = 20, S = 12;
      std::vector<double> x(static_cast<std::size_t>(T * N * C));
      for (auto& xv : x) xv = peak * normal(rng);
      for (std::size_t r = 0; r < x.size() / C; ++r) {
        double m = x[r * C], z = 0;
        for (std::int64_t k = 1; k < C; ++k) m = std::max(m, x[r * C + k]);
        for (std::int64_t k = 0; k < C; ++k) z += std::exp(x[r * C + k] - m);
        for (std::int64_t k = 0; k < C; ++k) x[r * C + k] = x[r * C + k] - m - std::log(z);
      }
      std::vector<std::int64_t> y(static_cast<std::size_t>(N * S)), il(N), tl(N);
      for (std::size_t i = 0; i < y.size(); ++i)
        y[i] = i % S > 0 && rng() % 4 == 0 ? y[i - 1] : static_cast<std::int64_t>(1 + rng() % (C - 1));
      for (std::int64_t b = 0; b < N; ++b) il[b] = 40 + static_cast<std::int64_t>(rng() % 11), tl[b] = 4 + static_cast<std::int64_t>(rng() % 9);
      c.inputs["log_probs"] = floats(t, {T, N, C}, x);
      c.inputs["targets"] = tensor::int64s({N, S}, y);
      c.inputs["input_lengths"] = tensor::int64s({N}, il);
      c.inputs["target_lengths"] = tensor::int64s({N}, tl);
      return c;
    };
  };
  v.push_back({"ctc_loss", "T=50 N=8 C=20, log-softmax of N(0,1)", ctc("none", 1.0)});
  v.push_back({"ctc_loss", "T=50 N=8 C=20, peaked log-softmax, mean", ctc("mean", 6.0)});
  return v;
}

void accumulate(row& r, const loss_case& c, const loss_result& ref, const loss_result& got) {
  if (got.unsupported) {
    ++r.unsupported;
    return;
  }
  if (!got.ok()) {
    ++r.errors;
    return;
  }
  r.out.add(*ref.output, *got.output, c.type);
  for (const auto& [name, g] : ref.grads) {
    auto it = got.grads.find(name);
    if (it != got.grads.end()) r.grad.add(g, it->second, c.type);
  }
}

void print_table(const std::vector<row>& rows_, bool gradients) {
  std::printf("\n| loss | dtype | class | target | max | p99 | median | normwise max | normwise p99 | nonfinite |%s\n",
              gradients ? "" : " errors | ref µs/elem |");
  std::printf("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |%s\n", gradients ? "" : " ---: | ---: |");
  for (const auto& r : rows_) {
    const samples& s = gradients ? r.grad : r.out;
    if (r.unsupported > 0 && s.elementwise.empty() && s.nonfinite == 0) {  // no kernel: no numbers
      std::printf("| %s | %s | %s | %s | no kernel | | | | | |%s\n", r.loss.c_str(), r.type.c_str(), r.cls.c_str(),
                  r.who.c_str(), gradients ? "" : " | |");
      continue;
    }
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %ld |", r.loss.c_str(), r.type.c_str(), r.cls.c_str(),
                r.who.c_str(), fmt_ulps(quantile(s.elementwise, 1.0)).c_str(),
                fmt_ulps(quantile(s.elementwise, 0.99)).c_str(), fmt_ulps(quantile(s.elementwise, 0.5)).c_str(),
                fmt_ulps(quantile(s.normwise, 1.0)).c_str(), fmt_ulps(quantile(s.normwise, 0.99)).c_str(),
                s.nonfinite);
    if (!gradients) {
      if (r.who == "impl") std::printf(" %ld | %.2f |", r.errors, r.ref_us_per_element);
      else std::printf(" %ld | |", r.errors);
    }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  int cases = 3;
  unsigned long seed = 1;
  std::string only;  // --loss a,b: only these losses' rows
  std::vector<dtype> dtypes = {dtype::float32, dtype::float64};  // --dtype a,b
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--cases") cases = std::atoi(argv[i + 1]);
    else if (a == "--seed") seed = std::strtoul(argv[i + 1], nullptr, 10);
    else if (a == "--loss") only = "," + std::string(argv[i + 1]) + ",";
    else if (a == "--dtype") {
      dtypes.clear();
      std::string list = argv[i + 1];
      for (std::size_t at = 0; at <= list.size();) {
        const std::size_t end = std::min(list.find(',', at), list.size());
        const auto t = losscheck::parse_dtype(list.substr(at, end - at));
        if (!t || *t == dtype::int64) {
          std::fprintf(stderr, "losses_accuracy: unknown dtype '%s'\n", list.substr(at, end - at).c_str());
          return 2;
        }
        dtypes.push_back(*t);
        at = end + 1;
      }
    } else {
      std::fprintf(stderr, "usage: losses_accuracy [--cases N] [--seed S] [--loss a,b] [--dtype float32,float64,bfloat16,float16]\n");
      return 2;
    }
  }
  std::vector<row> table;
  for (const auto& cc : catalog()) {
    if (!only.empty() && only.find("," + cc.loss + ",") == std::string::npos) continue;
    for (dtype t : dtypes) {
      row impl_row{cc.loss, short_name(t), cc.name, "impl", {}, {}, 0, 0};
      row torch_row = impl_row;
      torch_row.who = "LibTorch";
      std::mt19937_64 rng(seed);
      double ref_seconds = 0, ref_elements = 0;
      for (int k = 0; k < cases; ++k) {
        loss_case c = is_half(t) ? to_half(cc.make(rng, dtype::float32), t) : cc.make(rng, t);
        c.id = std::to_string(k);
        const auto start = std::chrono::steady_clock::now();
        const loss_result ref = losscheck::reference::evaluate(c);
        ref_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        for (const auto& [name, in] : c.inputs) ref_elements += static_cast<double>(in.numel());
        if (!ref.ok()) {
          std::fprintf(stderr, "%s / %s: the reference rejects the case: %s\n", cc.loss.c_str(), cc.name.c_str(),
                       ref.error ? ref.error->c_str() : "?");
          return 1;
        }
        accumulate(impl_row, c, ref, losscheck::impl::evaluate(c));
        accumulate(torch_row, c, ref, losscheck::libtorch::evaluate(c));
      }
      impl_row.ref_us_per_element = 1e6 * ref_seconds / ref_elements;
      table.push_back(std::move(impl_row));
      table.push_back(std::move(torch_row));
    }
  }
  std::printf("Outputs: error in ULPs of each element's own value (normwise: of max|ref|); %d cases per row, seed %lu.\n",
              cases, seed);
  std::printf("ref µs/elem: the 256-bit reference's time per input element (forward and backward).\n");
  print_table(table, false);
  std::printf("\nGradients (all gradients the reference returns, pooled): error in ULPs of each element's own value "
              "(normwise: of max|ref| of its tensor).\n");
  print_table(table, true);
  return 0;
}
