// binary_cross_entropy (torch: Loss.cpp binary_cross_entropy_out_cpu / binary_cross_entropy_backward_out_cpu, and
// binary_cross_entropy_target_backward in FunctionsManual.cpp).
#include "losscheck/impl/binary_cross_entropy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "accumulate.h"
#include "case_io.h"
#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losses.h"
#include "fast_elementwise.h"
#include "vector_math_float.h"
#include "reduction.h"

namespace losscheck::impl {
namespace {

/// torch clamps both logs at -100 before multiplying them by y and 1 - y (Loss.cpp), so x = 0 with y = 0 gives 0
/// (not 0 * -inf = NaN) and x = 0 with y = 1 gives 100.
constexpr double log_clamp = -100.0;

/// torch's lower bound of x (1 - x) in the input gradient: EPSILON = 1e-12 held as a float in Loss.cpp, so both
/// float32 and float64 cases clamp at 1e-12f = 9.999999960041972e-13 (checked against LibTorch 1.13.1).
constexpr double denominator_floor = static_cast<double>(1e-12f);

// -logit(x) = log((1 - x) / x) = log(1 - x) - log x. On [1/4, 3/4] it is log1p((1 - 2x) / x), where 1 - 2x is exact
// and no digits cancel; below, log1p(-x) - log x (no cancellation: -log x > 1.38 > -log1p(-x); (1 - x) / x would
// overflow for subnormal x); above, log((1 - x) / x) with 1 - x exact. x = 0 gives inf, x = 1 -inf.
double negative_logit(double x) {
  if (x < 0.25) return std::log1p(-x) - std::log(x);
  if (x <= 0.75) return std::log1p((1.0 - 2.0 * x) / x);
  return std::log((1.0 - x) / x);
}

// L = (y - 1) max(log(1 - x), -100) - y max(log x, -100), in torch's order of terms (x = y = 1 gives -0). For y in
// [0, 1] both terms are >= 0: no cancellation; log1p(-x) keeps the digits that log(1 - x) loses for small x. A finite
// target outside [0, 1] (torch accepts any) is evaluated as y (L1 - L0) - L1 instead, which does not lose everything
// to two huge opposite products (x = 0.5, y = 1e30 gives log 2, not 0); L1 - L0 is -logit(x) where nothing is clamped.
double unweighted_loss(double x, double y) {
  const double log_complement = std::max(std::log1p(-x), log_clamp);
  const double log_x = std::max(std::log(x), log_clamp);
  if ((y >= 0 && y <= 1) || !std::isfinite(y)) return (y - 1.0) * log_complement - y * log_x;
  const bool clamped = log_complement == log_clamp || log_x == log_clamp;
  return y * (clamped ? log_complement - log_x : negative_logit(x)) - log_complement;
}

/// What the fast lanes need (reduction and upstream gradient resolved).
template <class T>
struct fast_args {
  const T* input;
  const T* target;
  const T* weight;       ///< or nullptr
  const T* grad_output;  ///< per element (none), or nullptr: the scalar g
  double g;              ///< the scalar upstream gradient
  T* output;             ///< per-element losses (none), or nullptr
  T* grad_input;
  T* grad_target;
};

/// The smallest x whose log is above torch's clamp -100 (e^-100 = 3.7e-44): below it the lanes defer to the
/// per-element code.
constexpr double unclamped_floor = 1e-43;

// Fast lanes for x in [1e-43, 1) (no log clamped) and y in [0, 1], finite w and g, the per-element formulas:
//   L     = w ((y - 1) log1p(-x) - y log x)
//   dL/dx = g (x - y) / max((1 - x) x, 1e-12f) w
//   dL/dy = g (-logit x) w,  -logit x = log1p(-x) - log x (x < 1/4), log1p((1 - 2x) / x) (x <= 3/4), log((1 - x) / x)
// with the vector log and log1p (vector_math.h; for float32 the loss's logs are vector_math_float.h's division-free
// log in its short form, relative error < 2^-30, so the float loss is within 0.5 + 1/64 ULP). Other
// operands go to the per-element code, block by block.
// float32 in the AVX-512 build (isa.h's dispatch_wide): the same forms 8 lanes at a time (run_blocks_wide), the loss
// sum given the two halves in order: the 4-lane results bit for bit.
template <class Build, class T, class Acc, class Slow>
LOSSCHECK_INLINE void fast_body(Build, const fast_args<T>& a, std::int64_t begin, std::int64_t end, Acc* sum,
                                const Slow& slow) {
  using namespace simd;
  auto step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
    prefetch_ahead(i, a.input, a.target, a.weight, a.grad_output);
    const vd x = load(a.input + i);
    const vd y = load(a.target + i);
    vi ok = (x >= splat(unclamped_floor)) & (x < splat(1.0)) & (y >= splat(0.0)) & (y <= splat(1.0));
    const vd w = a.weight ? load(a.weight + i) : splat(1.0);
    if (a.weight) ok &= w - w == splat(0.0);
    vd log_complement, log_x;
    if constexpr (sizeof(T) == 4) {
      // float32: the short division-free log of vector_math_float.h (relative error < 2^-30; the two terms do not
      // cancel). log(1 - x) = log(u) + c with u = fl(1 - x) and c = -x - (u - 1) its rounding error (u - 1 exact):
      // c != 0 only for x < 2^-29, where u > 1 - 2^-29 and log(u + c) - log(u) = c / u = c (1 + 2^-29).
      const vd u = splat(1.0) - x;
      log_complement = log_float_lanes<true>(u) + (-x - (u - splat(1.0)));
      log_x = log_float_lanes<true>(x);
    } else {
      log_complement = log1p_lanes(-x);
      log_x = log_lanes(x);
    }
    if (a.output || acc) {
      const vd loss = ((y - splat(1.0)) * log_complement - y * log_x) * w;
      if (a.output) store(a.output + i, loss);
      if (acc) acc->add(loss);
    }
    if (a.grad_input || a.grad_target) {
      vd g = splat(a.g);
      if (a.grad_output) {
        g = load(a.grad_output + i);
        ok &= g - g == splat(0.0);
      }
      if (a.grad_input)
        store(a.grad_input + i, g * (x - y) / max((splat(1.0) - x) * x, splat(static_cast<double>(1e-12f))) * w);
      if (a.grad_target) {
        const vd middle = log1p_lanes((splat(1.0) - splat(2.0) * x) / x);
        const vd upper = log_lanes((splat(1.0) - x) / x);
        const vd negative_logit = select(x < splat(0.25), log_complement - log_x,
                                         select(x <= splat(0.75), middle, upper));
        store(a.grad_target + i, g * negative_logit * w);
      }
    }
    return select(ok, splat(0.0), splat(1.0));
  };
  if constexpr (sizeof(T) == 4 && std::is_same_v<Build, avx512_build>) {
    auto wide_step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
      prefetch_ahead(i, a.input, a.target, a.weight, a.grad_output);
      const vd8 zero = splat8(0.0), one = splat8(1.0);
      const vd8 x = load8(a.input + i);
      const vd8 y = load8(a.target + i);
      // 0 exactly where the 4-lane step's `ok` holds, positive or NaN elsewhere: a sum of single comparisons (GCC 12
      // compiles an AND of two comparisons lane by lane here, outside a function with the AVX-512 target)
      vd8 bad = select_lanes(x >= splat8(unclamped_floor), zero, one) + select_lanes(x < one, zero, one) +
                select_lanes(y >= zero, zero, one) + select_lanes(y <= one, zero, one);
      const vd8 w = a.weight ? load8(a.weight + i) : one;
      if (a.weight) bad += w - w;
      const vd8 u = one - x;
      const vd8 log_complement = log_float_lanes_of<true>(u) + (-x - (u - one));
      const vd8 log_x = log_float_lanes_of<true>(x);
      if (a.output || acc) {
        const vd8 loss = ((y - one) * log_complement - y * log_x) * w;
        if (a.output) store8(a.output + i, loss);
        if (acc) acc->add(loss);
      }
      if (a.grad_input || a.grad_target) {
        vd8 g = splat8(a.g);
        if (a.grad_output) {
          g = load8(a.grad_output + i);
          bad += g - g;
        }
        if (a.grad_input) {
          const vd8 d = (one - x) * x, floor = splat8(static_cast<double>(1e-12f));
          store8(a.grad_input + i, g * (x - y) / select_lanes(d > floor, d, floor) * w);
        }
        if (a.grad_target) {
          const vd8 middle = log1p_lanes_of((one - splat8(2.0) * x) / x);
          const vd8 upper = log_lanes_of((one - x) / x);
          const vd8 above = select_lanes(x <= splat8(0.75), middle, upper);
          const vd8 negative_logit = select_lanes(x < splat8(0.25), log_complement - log_x, above);
          store8(a.grad_target + i, g * negative_logit * w);
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

template <class T>
std::int64_t binary_cross_entropy_invalid_input(const T* input, std::int64_t numel) {
  for (std::int64_t i = 0; i < numel; ++i)
    if (!(input[i] >= 0 && input[i] <= 1)) return i;
  return -1;
}

// L = -w [y max(log x, -100) + (1 - y) max(log(1 - x), -100)]
template <class T>
void binary_cross_entropy_forward(const binary_cross_entropy_args<T>& args, T* output) {
  binary_cross_entropy_forward_backward<T>(args, nullptr, output, nullptr, nullptr);
}

// L     = -w [y max(log x, -100) + (1 - y) max(log(1 - x), -100)]
// dL/dx = g w (x - y) / max(x (1 - x), 1e-12)
// dL/dy = g w (log(1 - x) - log x)
// (g = grad_output, / numel for mean.) One fused sweep.
template <class T>
void binary_cross_entropy_forward_backward(const binary_cross_entropy_args<T>& args, const T* grad_output, T* output,
                                           T* grad_input, T* grad_target) {
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.numel));
  // The per-element code: writes element i's outputs, returns its loss term.
  auto element = [&](std::int64_t i) {
    const double x = static_cast<double>(args.input[i]);
    const double y = static_cast<double>(args.target[i]);
    const double w = args.weight ? static_cast<double>(args.weight[i]) : 1.0;
    double loss = 0.0;
    if (output) {
      loss = unweighted_loss(x, y) * w;
      if (none) output[i] = static_cast<T>(loss);
    }
    const double g = upstream.at(i);
    if (grad_input) {
      const double denominator = std::max((1.0 - x) * x, denominator_floor);
      grad_input[i] = static_cast<T>(g * (x - y) / denominator * w);
    }
    if (grad_target) grad_target[i] = static_cast<T>(g * negative_logit(x) * w);
    return loss;
  };
  auto finish = [&](double total) {
    if (output && !none)
      output[0] = static_cast<T>(args.red == reduction::sum ? total : total / static_cast<double>(args.numel));
  };
  // the upstream gradient when it is one scalar (a reduced loss, or `none` without grad_output)
  const double g = none && grad_output ? 0.0 : upstream.at(0);
  if (none || std::isfinite(g)) {                 // the fast lanes, in chunks (parallel.h)
    const fast_args<T> a{args.input, args.target, args.weight, none ? grad_output : nullptr, g,
                         none ? output : nullptr, grad_input, grad_target};
    simd::lane_accumulator<T> sums[2];
    const bool reduce = output && !none;
    simd::run_fast_path<std::is_same_v<T, float>>(  // float32: an AVX-512 build too
        args.numel, reduce ? sums : nullptr,
        [&](auto build, int, std::int64_t begin, std::int64_t end, auto* sum) __attribute__((always_inline)) {
          fast_body(build, a, begin, end, sum, element);
        });
    sums[0].merge(sums[1]);
    finish(sums[0].value());
    return;
  }
  sum_accumulator<T> sum;
  for (std::int64_t i = 0; i < args.numel; ++i) sum.add(element(i));
  finish(sum.value());
}

template std::int64_t binary_cross_entropy_invalid_input(const float*, std::int64_t);
template std::int64_t binary_cross_entropy_invalid_input(const double*, std::int64_t);
template void binary_cross_entropy_forward(const binary_cross_entropy_args<float>&, float*);
template void binary_cross_entropy_forward(const binary_cross_entropy_args<double>&, double*);
template void binary_cross_entropy_forward_backward(const binary_cross_entropy_args<float>&, const float*, float*,
                                                    float*, float*);
template void binary_cross_entropy_forward_backward(const binary_cross_entropy_args<double>&, const double*, double*,
                                                    double*, double*);

namespace detail {

loss_result binary_cross_entropy(const binary_cross_entropy_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = typed_values<T>(*p.input);
    const auto numel = static_cast<std::int64_t>(input.size());
    if (const auto bad = binary_cross_entropy_invalid_input(input.data(), numel); bad >= 0) {
      const double value = p.input->values[static_cast<std::size_t>(bad)];
      // the shortest decimal of the dtype; nan/inf unquoted (format_float quotes them for JSON)
      const auto text = std::isfinite(value) ? format_float(value, ctx.type) : fmt::format("{}", value);
      throw loss_error(fmt::format(
          "binary_cross_entropy: all elements of input should be between 0 and 1, got input[{}] = {}", bad, text));
    }
    const auto target = typed_values<T>(*p.target);
    const auto weight = p.weight ? broadcast_values<T>(*p.weight, p.target->shape) : std::vector<T>{};
    const auto grad_output = grad_output_values<T>(ctx);
    const binary_cross_entropy_args<T> args{input.data(), target.data(), data_or_null(weight), numel, p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<T> grad_input(input.size()), grad_target(input.size());
    binary_cross_entropy_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data(),
                                          grad_target.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = result_tensor(ctx.type, p.input->shape, grad_input);
    r.grads["target"] = result_tensor(ctx.type, p.target->shape, grad_target);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
