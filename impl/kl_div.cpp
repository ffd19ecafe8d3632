// kl_div (torch: Loss.cpp kl_div, a composite of xlogy/exp/mul whose gradients are autograd's; batchmean is
// torch/nn/functional.py's division of the sum by input.size(0)).
#include "losscheck/impl/kl_div.h"

#include <cmath>
#include <type_traits>
#include <vector>

#include "accumulate.h"
#include "case_io.h"
#include "losses.h"
#include "double_double_math.h"
#include "fast_elementwise.h"
#include "reduction.h"
#include "vector_math_float.h"

namespace losscheck::impl {
namespace {

/// torch.xlogy(a, b): NaN if b is NaN, else 0 if a == 0, else a log b.
double xlogy(double a, double b) {
  if (std::isnan(b)) return NAN;
  return a == 0 ? 0.0 : a * std::log(b);
}

// L = xlogy(t, t) - t x. For finite x and t > 0 it is evaluated as t (log t - x), which does not lose the digits that
// t log t - t x does when log t is close to x; other values follow torch's expression (t = 0 gives 0, t < 0 NaN,
// t = inf with finite x NaN).
double pointwise_loss(double x, double t) {
  if (t > 0 && std::isfinite(t) && std::isfinite(x)) return t * (std::log(t) - x);
  return xlogy(t, t) - t * x;
}

// dL/dt = g (log t + 1 - x), summed with one rounding for finite t > 0, x and g. Elsewhere autograd's own sum of
// its three paths (derivatives.yaml: xlogy's self gets xlogy(grad, other) masked to 0 where self == 0, its other gets
// grad * self / other; the product t x gives -grad * x): xlogy(g, t) [0 at t = 0] + g t / t - g x, NaN at t = 0
// through 0/0 and 0 for g = 0 even where log t is NaN.
double target_gradient(double x, double t, double g) {
  if (t > 0 && std::isfinite(t) && std::isfinite(x) && std::isfinite(g)) return g * sum3(std::log(t), 1.0, -x);
  const double from_self = t == 0 ? 0.0 : xlogy(g, t);
  return from_self + g * t / t - g * x;
}

// float64, log_target = false: log t - x as hi + lo (double_double_math.h: error < 2^-102 max(|log t|, |x|)), so that
// the term t (log t - x) and the gradient g (log t + 1 - x) keep their digits where x = log q is close to log t.
// Lanes where the double-double forms do not apply (t <= 0, t >= 2^500, |x| >= 2^500, non-finite) are garbage.

/// L = t (log t - x) as hi + lo (TwoProduct: |error| < 2^-104 |L| + t |error of log t - x|), d = log t - x.
LOSSCHECK_INLINE simd::vdd loss_lanes(simd::vd t, const simd::vdd& d) {
  const simd::vdd p = two_product(t, d.hi);
  return quick_two_sum(p.hi, p.lo + t * d.lo);
}

/// (log t + 1 - x) rounded once (hi + lo + 1 by TwoSum, the remainder added before the one rounding), d = log t - x.
LOSSCHECK_INLINE simd::vd log_plus_one_lanes(const simd::vdd& d) {
  const simd::vdd s = two_sum(d.hi, simd::splat(1.0));
  return s.hi + (s.lo + d.lo);
}

/// A loss term as hi + lo (lo = 0 where it is computed in double only).
struct term {
  double hi = 0.0;
  double lo = 0.0;
};

/// float64 L = t (log t - x) and dL/dt / g = log t + 1 - x for finite x and t > 0, the lanes' forms through lane 0
/// (with t scaled by 2^-512 for t >= 2^500); double's t (log t - x) and sum3 where |x| >= 2^500 (no cancellation).
void accurate_forms(double x, double t, term& loss, double& log_plus_one) {
  if (!(std::fabs(x) < 0x1p500)) {
    loss = {t * (std::log(t) - x), 0.0};
    log_plus_one = sum3(std::log(t), 1.0, -x);
    return;
  }
  const simd::vdd d = simd::log_minus1_dd(t, x);
  log_plus_one = log_plus_one_lanes(d)[0];
  const double scale = t >= 0x1p500 ? 0x1p512 : 1.0;
  const simd::vdd l = loss_lanes(simd::splat(t / scale), d);
  loss = {l.hi[0] * scale, l.lo[0] * scale};
}

// log_target: L = e^t (t - x). For finite t and x it is exact arithmetic's value even where e^t overflows: 0 when
// t = x (torch's inf * 0 = NaN is an artefact of the overflow), +-inf otherwise; other values follow torch.
double pointwise_log_target_loss(double x, double t) {
  if (std::isfinite(t) && std::isfinite(x) && t == x) return 0.0;
  return std::exp(t) * (t - x);
}

// log_target: dL/dx = -e^t g, 0 for g = 0 with finite t (not torch's overflow artefact inf * 0 = NaN).
double log_target_input_gradient(double t, double g) {
  if (g == 0 && std::isfinite(t)) return 0.0;
  return -(std::exp(t) * g);
}

// log_target: dL/dt = g (t - x) e^t + g e^t (autograd's sum of the two paths) = g e^t (t - x + 1), summed with one
// rounding, for finite t, x and g (an overflowing e^t then gives the exact result's signed infinity, or 0 where
// g (t - x + 1) = 0, not torch's inf - inf = NaN); torch's expression otherwise (t = -inf: 0 * -inf = NaN).
double log_target_gradient(double x, double t, double g) {
  const double e = std::exp(t);
  if (std::isfinite(t) && std::isfinite(x) && std::isfinite(g)) {
    const double factor = sum3(t, -x, 1.0);
    return g == 0 || factor == 0 ? 0.0 : g * e * factor;
  }
  return g * (t - x) * e + g * e;
}

/// What the fast lanes need (reduction and upstream gradient resolved).
template <class T, class G>
struct fast_args {
  const T* input;
  const T* target;
  const T* grad_output;  ///< per element (none), or nullptr: the scalar g
  double g;              ///< the scalar upstream gradient
  T* output;             ///< per-element losses (none), or nullptr
  G* grad_input;
  G* grad_target;
};

// Fast lanes (log_target = false) for finite x and g and finite t > 0 (t = 0 too when grad_target is not wanted:
// its loss is xlogy(0, 0) - 0 x = 0), the per-element code's forms:
//   L = t (log t - x),   dL/dx = -(t g),   dL/dt = g (log t + 1 - x)
// float32 (computed in double, then rounded to float): log t - x as hi + lo from the division-free table log of
// vector_math_float.h (log_minus_float_lanes_of: the large parts added error-free, |error| < 2^-54.3 + 2^-105 (|s| +
// |hi|) absolute, so no cancellation penalty where x is close to log t), the loss t (hi + lo), the gradient's
// (hi + 1) + lo with hi + 1's rounding error added back (TwoSum). float64: log t - x in double-double (accurate_forms), for t and |x| < 2^500;
// the loss term's lo part is added to the compensated sum's compensation, so sums keep the digits too.
// float32 in the AVX-512 build (isa.h's dispatch_wide): the same forms 8 lanes at a time (run_blocks_wide), each
// element's operations the same and the loss sum given the two halves in order, so the results are the 4-lane ones.
template <class Build, class T, class G, class Acc, class Slow>
LOSSCHECK_INLINE void fast_body(Build, const fast_args<T, G>& a, std::int64_t begin, std::int64_t end, Acc* sum,
                                const Slow& slow) {
  using namespace simd;
  constexpr bool wide = std::is_same_v<T, double>;
  auto step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
    prefetch_ahead(i, a.input, a.target, a.grad_output);
    const vd x = load(a.input + i);
    const vd t = load(a.target + i);
    const vi zero = t == splat(0.0);
    vi ok = ((t > splat(0.0)) | (a.grad_target ? splat_int(0) : zero)) & (t < splat(__builtin_inf())) &
            (x - x == splat(0.0));
    [[maybe_unused]] vd d_hi, d_lo;  // float32: log t - x as hi + lo
    [[maybe_unused]] vdd d;
    if constexpr (wide) {
      ok &= (t < splat(0x1p500)) & (abs(x) < splat(0x1p500));
      d = log_minus_lanes(t, x);
    } else {
      log_minus_float_lanes_of(t, x, d_hi, d_lo);
    }
    if (a.output || acc) {
      if constexpr (wide) {
        const vdd loss = loss_lanes(t, d);
        const vd hi = select(zero, splat(0.0), loss.hi);
        if (a.output) store(a.output + i, hi);
        if (acc) {
          acc->add(hi);
          acc->compensation += select(zero, splat(0.0), loss.lo);
        }
      } else {
        const vd loss = select(zero, splat(0.0), t * (d_hi + d_lo));
        if (a.output) store(a.output + i, loss);
        if (acc) acc->add(loss);
      }
    }
    if (a.grad_input || a.grad_target) {
      vd g = splat(a.g);
      if (a.grad_output) {
        g = load(a.grad_output + i);
        ok &= g - g == splat(0.0);
      }
      if (a.grad_input) store(a.grad_input + i, -(t * g));
      if (a.grad_target) {
        if constexpr (wide) {
          store(a.grad_target + i, g * log_plus_one_lanes(d));
        } else {
          // (hi + 1) + lo with the rounding error of hi + 1 added back (Knuth's TwoSum)
          const vdd s1 = two_sum(d_hi, splat(1.0));
          store(a.grad_target + i, g * (s1.hi + (s1.lo + d_lo)));
        }
      }
    }
    return select(ok, splat(0.0), splat(1.0));
  };
  if constexpr (!wide && std::is_same_v<Build, avx512_build>) {
    auto wide_step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
      prefetch_ahead(i, a.input, a.target, a.grad_output);
      const vd8 zero8 = splat8(0.0);
      const vd8 x = load8(a.input + i);
      const vd8 t = load8(a.target + i);
      const vi8l zero = t == zero8;
      // 0 exactly where the 4-lane step's `ok` holds (x finite, t finite and > 0, or 0 when grad_target is not
      // wanted), NaN or positive elsewhere: a sum of single comparisons (GCC 12 compiles an AND or OR of two
      // comparisons lane by lane here, outside a function with the AVX-512 target)
      vd8 bad = (x - x) + (t - t) + select_lanes(t < zero8, splat8(1.0), zero8);
      if (a.grad_target) bad += select_lanes(zero, splat8(1.0), zero8);
      vd8 d_hi, d_lo;
      log_minus_float_lanes_of(t, x, d_hi, d_lo);
      if (a.output || acc) {
        const vd8 loss = select_lanes(zero, zero8, t * (d_hi + d_lo));
        if (a.output) store8(a.output + i, loss);
        if (acc) acc->add(loss);
      }
      if (a.grad_input || a.grad_target) {
        vd8 g = splat8(a.g);
        if (a.grad_output) {
          g = load8(a.grad_output + i);
          bad += g - g;
        }
        if (a.grad_input) store8(a.grad_input + i, -(t * g));
        if (a.grad_target) {
          const double_double_of<vd8> s1 = two_sum(d_hi, splat8(1.0));
          store8(a.grad_target + i, g * (s1.hi + (s1.lo + d_lo)));
        }
      }
      return low4(bad) + high4(bad);
    };
    run_blocks_wide(begin, end, sum, wide_step, step, slow);
  } else {
    run_blocks(begin, end, sum, step, slow);
  }
}

}  // namespace

// L = t (log t - x)   or, with log_target, L = e^t (t - x)
template <class T>
void kl_div_forward(const kl_div_args<T>& args, T* output) {
  kl_div_forward_backward<T, T>(args, nullptr, output, nullptr, nullptr);
}

// log_target = false:  L = xlogy(t, t) - t x;  dL/dx = -t g;      dL/dt = g (log t + 1 - x)
// log_target = true:   L = e^t (t - x);       dL/dx = -e^t g;    dL/dt = g e^t (t - x + 1)
// (g = grad_output, / numel for mean, / batch_size for batchmean and legacy_batchmean.) One fused sweep.
template <class T, class G>
void kl_div_forward_backward(const kl_div_args<T>& args, const T* grad_output, T* output, G* grad_input,
                             G* grad_target) {
  const bool none = args.red == reduction::none;
  // functional.py: `reduced / input.size()[0]` after a legacy-flag reduction when reduction='batchmean' was given.
  const double legacy_divisor = args.legacy_batchmean ? static_cast<double>(args.batch_size) : 1.0;
  const double divisor = reduction_divisor(args.red, args.numel, args.batch_size) * legacy_divisor;
  const upstream_gradient<T> upstream(args.red, grad_output, divisor);
  // The per-element code: writes element i's outputs, returns its loss term (float64, log_target = false: as hi + lo,
  // accurate_forms, for finite x, g and t > 0).
  auto element_term = [&](std::int64_t i) {
    const double x = static_cast<double>(args.input[i]);
    const double t = static_cast<double>(args.target[i]);
    const double g = upstream.at(i);
    term loss;
    double log_plus_one = 0.0;
    const bool accurate = std::is_same_v<T, double> && !args.log_target && t > 0 && std::isfinite(t) &&
                          std::isfinite(x) && std::isfinite(g);
    if (accurate) accurate_forms(x, t, loss, log_plus_one);
    if (output) {
      if (!accurate) loss.hi = args.log_target ? pointwise_log_target_loss(x, t) : pointwise_loss(x, t);
      if (none) output[i] = static_cast<T>(loss.hi / legacy_divisor);
    } else {
      loss = {};
    }
    if (grad_input) grad_input[i] = static_cast<G>(args.log_target ? log_target_input_gradient(t, g) : -(t * g));
    if (grad_target)
      grad_target[i] = static_cast<G>(accurate          ? g * log_plus_one
                                      : args.log_target ? log_target_gradient(x, t, g)
                                                        : target_gradient(x, t, g));
    return loss;
  };
  auto finish = [&](double total) {
    if (output && !none) output[0] = static_cast<T>(total / divisor);  // empty mean: 0 / 0 = NaN
  };
  // the upstream gradient when it is one scalar (a reduced loss, or `none` without grad_output)
  const double g = none && grad_output ? 0.0 : upstream.at(0);
  if (!args.log_target && !args.legacy_batchmean && (none || std::isfinite(g))) {  // fast lanes, chunks (parallel.h)
    const fast_args<T, G> a{args.input, args.target, none ? grad_output : nullptr, g, none ? output : nullptr,
                            grad_input, grad_target};
    simd::lane_accumulator<T> sums[2];
    // the lo parts of the terms of the per-element code (tails and redone blocks; never redone themselves)
    struct alignas(64) padded {
      double lo = 0.0;
    } tail_lo[2];
    const bool reduce = output && !none;
    simd::run_fast_path<std::is_same_v<T, float>>(  // float32: an AVX-512 build too
        args.numel, reduce ? sums : nullptr,
        [&](auto build, int c, std::int64_t begin, std::int64_t end, auto* sum) __attribute__((always_inline)) {
          auto element = [&, c](std::int64_t i) {
            const term loss = element_term(i);
            tail_lo[c].lo += loss.lo;
            return loss.hi;
          };
          fast_body(build, a, begin, end, sum, element);
        });
    if constexpr (std::is_same_v<T, double>) sums[0].add_scalar(tail_lo[0].lo + tail_lo[1].lo);
    sums[0].merge(sums[1]);
    finish(sums[0].value());
    return;
  }
  sum_accumulator<T> sum;
  for (std::int64_t i = 0; i < args.numel; ++i) {
    const term loss = element_term(i);
    sum.add(loss.hi);
    if (loss.lo != 0) sum.add(loss.lo);
  }
  finish(sum.value());
}

template void kl_div_forward(const kl_div_args<float>&, float*);
template void kl_div_forward(const kl_div_args<double>&, double*);
template void kl_div_forward_backward(const kl_div_args<float>&, const float*, float*, float*, float*);
template void kl_div_forward_backward(const kl_div_args<float>&, const float*, float*, double*, double*);
template void kl_div_forward_backward(const kl_div_args<double>&, const double*, double*, double*, double*);

namespace detail {

loss_result kl_div(const kl_div_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = broadcast_values<T>(*p.input, p.shape);
    const auto target = broadcast_values<T>(*p.target, p.shape);
    const auto grad_output = grad_output_values<T>(ctx);
    const kl_div_args<T> args{input.data(), target.data(), checked_numel(p.shape), p.red,
                              p.log_target, p.batch_size,  p.legacy_batchmean};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> grad_input(input.size()), grad_target(target.size());
    kl_div_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data(), grad_target.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = sum_to_shape<T>(ctx.type, grad_input, p.shape, p.input->shape);
    r.grads["target"] = sum_to_shape<T>(ctx.type, grad_target, p.shape, p.target->shape);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
