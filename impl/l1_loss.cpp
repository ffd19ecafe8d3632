// l1_loss: L = |x - t|, dL/dx = sgn(x - t), dL/dt = -dL/dx with torch's sgn (0 at a zero or NaN difference;
// docs/torch-quirks.md "l1_loss").
#include "losscheck/impl/l1_loss.h"

#include <cmath>

#include "accumulate.h"
#include "case_io.h"
#include "fast_elementwise.h"
#include "losses.h"
#include "reduction.h"

namespace losscheck::impl {
namespace {

/// torch's sgn of a real difference: 1 above 0, -1 below, 0 at ±0 and for NaN.
double torch_sign(double d) { return d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0; }

// The mean of |x - t| when the sum overflows double although the mean may not (float64 only: float inputs cannot
// overflow in double). x and t are scaled by 2^-64 (exact but for subnormal results, far below a sum that
// overflowed), their differences summed, the sum divided by numel and scaled back; inf only when the exact mean
// overflows. This also covers an x - t that overflows although x and t are finite.
template <class T>
double overflow_safe_mean(const l1_loss_args<T>& args, double plain_mean) {
  constexpr int scale = 64;
  sum_accumulator<T> sum;
  for (std::int64_t i = 0; i < args.numel; ++i) {
    const double x = static_cast<double>(args.input[i]), t = static_cast<double>(args.target[i]);
    if (!std::isfinite(x) || !std::isfinite(t)) return plain_mean;  // inf or NaN: the plain result is exact
    sum.add(std::fabs(std::ldexp(x, -scale) - std::ldexp(t, -scale)));
  }
  return std::ldexp(sum.value() / static_cast<double>(args.numel), scale);
}

template <class T>
T reduce_sum(const l1_loss_args<T>& args, double sum) {
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

// Fast lanes over finite x, t (and g): with d = fl(x - t) (exact for float inputs in double),
//   L = |d|,   dL/dx = g sgn(d),   dL/dt = -dL/dx
// sgn(d) from two comparisons (the sign of fl(x - t) is that of x - t, and it is 0 exactly when x = t).
// `slow` handles blocks with an inf or NaN.
template <class T, class G, class Acc, class Slow>
LOSSCHECK_INLINE void fast_body(const fast_args<T, G>& a, std::int64_t begin, std::int64_t end, Acc* sum,
                                const Slow& slow) {
  using namespace simd;
  auto step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
    prefetch_ahead(i, a.input, a.target, a.grad_output);
    const vd x = load(a.input + i);
    const vd t = load(a.target + i);
    const vd d = x - t;
    vd bad = d - d;
    const vd l = abs(d);
    if (a.output) store(a.output + i, l);
    if (acc) acc->add(l);
    if (a.grad_input || a.grad_target) {
      vd g = splat(a.g);
      if (a.grad_output) {
        g = load(a.grad_output + i) / splat(a.divisor);
        bad += g - g;
      }
      const vd s = select(d > splat(0.0), splat(1.0), splat(0.0)) - select(d < splat(0.0), splat(1.0), splat(0.0));
      const vd gx = g * s;
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
  run_blocks(begin, end, sum, step, slow);
}

}  // namespace

// L = |x - t|
template <class T>
void l1_loss_forward(const l1_loss_args<T>& args, T* output) {
  l1_loss_forward_backward<T, T>(args, nullptr, output, nullptr, nullptr);
}

// L = |x - t|;  dL/dx = sgn(x - t) g;  dL/dt = -dL/dx   (g = grad_output, / numel for mean). One fused sweep.
template <class T, class G>
void l1_loss_forward_backward(const l1_loss_args<T>& args, const T* grad_output, T* output, G* grad_input,
                              G* grad_target) {
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.numel));
  const bool backward = grad_input || grad_target;
  // The per-element code: writes element i's outputs, returns its loss term.
  auto element = [&](std::int64_t i) {
    const double d = static_cast<double>(args.input[i]) - static_cast<double>(args.target[i]);
    const double l = std::fabs(d);
    if (output && none) output[i] = static_cast<T>(l);
    if (backward) {
      const G gx = static_cast<G>(upstream.at(i) * torch_sign(d));  // g·0 = NaN for g = ±inf or NaN, as torch's
      if (grad_input) grad_input[i] = gx;
      if (grad_target) grad_target[i] = -gx;
    }
    return l;
  };
  // the upstream gradient when it is one scalar (a reduced loss, or `none` without grad_output)
  const double g = none && grad_output ? 0.0 : upstream.at(0);
  if (none || std::isfinite(g)) {  // the fast lanes, in chunks (parallel.h)
    const bool stream = (grad_input || grad_target) && (!grad_input || simd::streamable(grad_input, args.numel)) &&
                        (!grad_target || simd::streamable(grad_target, args.numel));
    const fast_args<T, G> a{args.input, args.target, none ? grad_output : nullptr,
                            reduction_divisor(args.red, args.numel), g, none ? output : nullptr,
                            grad_input, grad_target, stream};
    simd::lane_accumulator<T> sums[2];
    const bool reduce = output && !none;
    simd::run_fast_path(args.numel, reduce ? sums : nullptr,
                        [&](auto, int, std::int64_t begin, std::int64_t end, auto* sum) __attribute__((always_inline)) {
                          fast_body(a, begin, end, sum, element);
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

template void l1_loss_forward(const l1_loss_args<float>&, float*);
template void l1_loss_forward(const l1_loss_args<double>&, double*);
template void l1_loss_forward_backward(const l1_loss_args<float>&, const float*, float*, float*, float*);
template void l1_loss_forward_backward(const l1_loss_args<float>&, const float*, float*, double*, double*);
template void l1_loss_forward_backward(const l1_loss_args<double>&, const double*, double*, double*, double*);

namespace detail {

loss_result l1_loss(const l1_loss_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = broadcast_values<T>(*p.input, p.shape);
    const auto target = broadcast_values<T>(*p.target, p.shape);
    const auto grad_output = grad_output_values<T>(ctx);
    const l1_loss_args<T> args{input.data(), target.data(), checked_numel(p.shape), p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> grad_input(input.size()), grad_target(target.size());
    l1_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data(), grad_target.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = sum_to_shape<T>(ctx.type, grad_input, p.shape, p.input->shape);
    r.grads["target"] = sum_to_shape<T>(ctx.type, grad_target, p.shape, p.target->shape);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
