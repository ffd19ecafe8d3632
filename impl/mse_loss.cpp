// mse_loss: L = (x - t)^2, dL/dx = 2 (x - t), dL/dt = -2 (x - t) (torch: Loss.cpp mse_loss / mse_loss_backward).
#include "losscheck/impl/mse_loss.h"

#include <cmath>
#include <type_traits>

#include "accumulate.h"
#include "case_io.h"
#include "losses.h"
#include "fast_elementwise.h"
#include "reduction.h"

namespace losscheck::impl {
namespace {

/// x - t as an unevaluated sum hi + lo with hi = fl(x - t) (Knuth's TwoSum; lo = 0 when hi is not finite). For
/// float inputs computed in double the difference is nearly always exact already (lo = 0).
struct difference {
  double hi;
  double lo;
};
difference exact_difference(double x, double t) {
  const double hi = x - t;
  if (!std::isfinite(hi)) return {hi, 0.0};
  const double shifted = hi - x;
  return {hi, (x - (hi - shifted)) + (-t - shifted)};
}

// (x - t)^2 = hi (hi + 2 lo) (+ lo^2, below the last bit): within about one ULP even where x - t rounds, and no
// intermediate overflows unless the square does.
double squared(difference d) { return d.hi * (d.hi + 2.0 * d.lo); }

// dL/dx = 2 (x - t) g, where g already holds the reduction's 1/numel. An x - t that overflows although x and t are
// finite is halved first: ((x/2 - t/2) g) 4, finite whenever the exact gradient is.
double input_gradient(difference d, double x, double t, double g) {
  if (!std::isfinite(d.hi) && std::isfinite(x) && std::isfinite(t)) return ((0.5 * x - 0.5 * t) * g) * 4.0;
  if (d.lo == 0 || !std::isfinite(g)) return 2.0 * g * d.hi;  // also inf/NaN patterns exactly as torch's
  return 2.0 * g * d.hi + 2.0 * g * d.lo;
}

// The mean of (x - t)^2 when sum (x - t)^2 overflows double although every x - t is finite (float64 only: float
// inputs cannot overflow in double). Squares are scaled by 2^-1080 (powers of two: exact but for terms far below the
// largest, which cannot matter), summed, divided by numel and scaled back; inf only when the exact mean overflows.
template <class T>
double overflow_safe_mean(const mse_loss_args<T>& args, double plain_mean) {
  constexpr int half_scale = 540;
  const double down = std::ldexp(1.0, -half_scale);
  sum_accumulator<T> sum;
  for (std::int64_t i = 0; i < args.numel; ++i) {
    auto d = exact_difference(static_cast<double>(args.input[i]), static_cast<double>(args.target[i]));
    if (!std::isfinite(d.hi)) return plain_mean;  // an infinite or NaN difference: the plain result is exact
    sum.add(squared({d.hi * down, d.lo * down}));
  }
  return std::ldexp(sum.value() / static_cast<double>(args.numel), 2 * half_scale);
}

template <class T>
T reduce_sum(const mse_loss_args<T>& args, double sum) {
  if (args.red == reduction::sum) return static_cast<T>(sum);
  const double mean = sum / static_cast<double>(args.numel);  // empty: 0 / 0 = NaN, as torch
  if constexpr (std::is_same_v<T, double>)
    if (std::isinf(mean)) return overflow_safe_mean(args, mean);
  return static_cast<T>(mean);
}

/// What the fast lanes need (reduction and upstream gradient resolved).
template <class T, class G>
struct fast_args {
  const T* input;
  const T* target;
  const T* grad_output;  ///< per element (none), or nullptr: the scalar g
  double divisor;        ///< of the per-element grad_output
  double g;              ///< the scalar upstream gradient
  T* output;             ///< per-element losses (none), or nullptr
  G* grad_input;
  G* grad_target;
  bool stream;  ///< write the gradients with non-temporal stores (vector_math.h streamable)
};

// Fast lanes over finite x, t (and g): with x - t = hi + lo (TwoSum),
//   L = hi (hi + 2 lo),   dL/dx = 2 g hi + 2 g lo,   dL/dt = -dL/dx
// the per-element code's values for such operands. `slow` handles blocks with an inf or NaN (or an overflowing x - t).
// float32 in the AVX-512 build (isa.h's dispatch_wide): the same forms 8 lanes at a time (run_blocks_wide), the loss
// sum given the two halves in order: the 4-lane results bit for bit.
template <class Build, class T, class G, class Acc, class Slow>
LOSSCHECK_INLINE void fast_body(Build, const fast_args<T, G>& a, std::int64_t begin, std::int64_t end, Acc* sum,
                                const Slow& slow) {
  using namespace simd;
  auto step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
    prefetch_ahead(i, a.input, a.target, a.grad_output);
    const vd x = load(a.input + i);
    const vd t = load(a.target + i);
    const vd hi = x - t;
    const vd shifted = hi - x;
    const vd lo = (x - (hi - shifted)) + (-t - shifted);
    vd bad = hi - hi;
    if (a.output) store(a.output + i, hi * (hi + splat(2.0) * lo));
    if (acc) acc->add(hi * (hi + splat(2.0) * lo));
    if (a.grad_input || a.grad_target) {
      vd g = splat(a.g);
      if (a.grad_output) {
        g = load(a.grad_output + i) / splat(a.divisor);
        bad += g - g;
      }
      const vd two_g = splat(2.0) * g;
      const vd gx = two_g * hi + two_g * lo;
      if (a.stream) {
        if (a.grad_input) store_stream(a.grad_input + i, gx);
        if (a.grad_target) store_stream(a.grad_target + i, -gx);
      } else {
        if (a.grad_input) store(a.grad_input + i, gx);
        if (a.grad_target) store(a.grad_target + i, -gx);
      }
    }
    return bad;
  };
  if constexpr (sizeof(T) == 4 && std::is_same_v<Build, avx512_build>) {
    auto wide_step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
      prefetch_ahead(i, a.input, a.target, a.grad_output);
      const vd8 x = load8(a.input + i);
      const vd8 t = load8(a.target + i);
      const vd8 hi = x - t;
      const vd8 shifted = hi - x;
      const vd8 lo = (x - (hi - shifted)) + (-t - shifted);
      vd8 bad = hi - hi;
      const vd8 loss = hi * (hi + splat8(2.0) * lo);
      if (a.output) store8(a.output + i, loss);
      if (acc) acc->add(loss);  // lanes 0-3, then 4-7
      if (a.grad_input || a.grad_target) {
        vd8 g = splat8(a.g);
        if (a.grad_output) {
          g = load8(a.grad_output + i) / splat8(a.divisor);
          bad += g - g;
        }
        const vd8 two_g = splat8(2.0) * g;
        const vd8 gx = two_g * hi + two_g * lo;
        if (a.stream) {
          if (a.grad_input) store_stream8(a.grad_input + i, gx);
          if (a.grad_target) store_stream8(a.grad_target + i, -gx);
        } else {
          if (a.grad_input) store8(a.grad_input + i, gx);
          if (a.grad_target) store8(a.grad_target + i, -gx);
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

// L = (x - t)^2
template <class T>
void mse_loss_forward(const mse_loss_args<T>& args, T* output) {
  mse_loss_forward_backward<T, T>(args, nullptr, output, nullptr, nullptr);
}

// L = (x - t)^2;  dL/dx = 2 (x - t) g;  dL/dt = -dL/dx   (g = grad_output, / numel for mean). One fused sweep.
template <class T, class G>
void mse_loss_forward_backward(const mse_loss_args<T>& args, const T* grad_output, T* output, G* grad_input,
                               G* grad_target) {
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.numel));
  const bool backward = grad_input || grad_target;
  // The per-element code: writes element i's outputs, returns its loss term.
  auto element = [&](std::int64_t i) {
    const double x = static_cast<double>(args.input[i]);
    const double t = static_cast<double>(args.target[i]);
    const difference d = exact_difference(x, t);
    if (output && none) output[i] = static_cast<T>(squared(d));
    if (backward) {
      const G gx = static_cast<G>(input_gradient(d, x, t, upstream.at(i)));
      if (grad_input) grad_input[i] = gx;
      if (grad_target) grad_target[i] = -gx;  // mse_loss_backward(grad, target, input): 2 (t - x) g, exactly -gx
    }
    return squared(d);
  };
  // the upstream gradient when it is one scalar (a reduced loss, or `none` without grad_output)
  const double g = none && grad_output ? 0.0 : upstream.at(0);
  if (none || std::isfinite(g)) {  // the fast lanes, in chunks (parallel.h)
    // Gradients beyond the caches bypass them (the chunk starts are multiples of the block, so aligned as the base).
    const bool stream = (grad_input || grad_target) && (!grad_input || simd::streamable(grad_input, args.numel)) &&
                        (!grad_target || simd::streamable(grad_target, args.numel));
    const fast_args<T, G> a{args.input, args.target, none ? grad_output : nullptr,
                            reduction_divisor(args.red, args.numel), g, none ? output : nullptr,
                            grad_input, grad_target, stream};
    simd::lane_accumulator<T> sums[2];
    const bool reduce = output && !none;
    simd::run_fast_path<std::is_same_v<T, float>>(  // float32: an AVX-512 build too
        args.numel, reduce ? sums : nullptr,
        [&](auto build, int, std::int64_t begin, std::int64_t end, auto* sum) __attribute__((always_inline)) {
          fast_body(build, a, begin, end, sum, element);
        });
    if (stream) simd::stream_fence();
    sums[0].merge(sums[1]);
    if (reduce) output[0] = reduce_sum(args, sums[0].value());
    return;
  }
  sum_accumulator<T> sum;
  for (std::int64_t i = 0; i < args.numel; ++i) sum.add(element(i));
  if (output && !none) output[0] = reduce_sum(args, sum.value());
}

template void mse_loss_forward(const mse_loss_args<float>&, float*);
template void mse_loss_forward(const mse_loss_args<double>&, double*);
template void mse_loss_forward_backward(const mse_loss_args<float>&, const float*, float*, float*, float*);
template void mse_loss_forward_backward(const mse_loss_args<float>&, const float*, float*, double*, double*);
template void mse_loss_forward_backward(const mse_loss_args<double>&, const double*, double*, double*, double*);

namespace detail {

loss_result mse_loss(const mse_loss_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = broadcast_values<T>(*p.input, p.shape);
    const auto target = broadcast_values<T>(*p.target, p.shape);
    const auto grad_output = grad_output_values<T>(ctx);
    const mse_loss_args<T> args{input.data(), target.data(), checked_numel(p.shape), p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> grad_input(input.size()), grad_target(target.size());
    mse_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data(), grad_target.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = sum_to_shape<T>(ctx.type, grad_input, p.shape, p.input->shape);
    r.grads["target"] = sum_to_shape<T>(ctx.type, grad_target, p.shape, p.target->shape);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
