// smooth_l1_loss: with d = x - t and b = beta rounded to T (ATen's `scalar_t beta_val(beta)`),
//   L = 0.5 d^2 / b where |d| < b, else |d| - 0.5 b;   dL/dx = s(d), dL/dt = s(-d),
//   s(e) = -1 for e <= -b, 1 for e >= b, e / b between
// (torch: BinaryOpsKernel smooth_l1_kernel, PointwiseOpsKernel smooth_l1_backward; at b = 0 a zero difference gives
// s = -1 to both gradients, docs/torch-quirks.md "smooth_l1_loss").
#include "losscheck/impl/smooth_l1_loss.h"

#include <cmath>

#include "accumulate.h"
#include "case_io.h"
#include "fast_elementwise.h"
#include "losses.h"
#include "reduction.h"

namespace losscheck::impl {
namespace {

// L for |d| = z: (0.5 z)(z / b) in the quadratic part (z / b < 1, so nothing overflows unless L does).
double loss_of(double z, double b) { return z < b ? (0.5 * z) * (z / b) : z - 0.5 * b; }
// s(e); e / b only strictly between -b and b (so never 0 / 0).
double slope(double e, double b) { return e <= -b ? -1.0 : e >= b ? 1.0 : e / b; }

// The mean when the sum of the terms overflows double although the mean may not (float64 only). L is homogeneous of
// degree 1 in (d, b): x, t and b are scaled by 2^-64 (exact but for subnormal parts, far below a sum that
// overflowed), the terms summed, divided by numel and scaled back; inf only when the exact mean overflows. This also
// covers an x - t that overflows although x and t are finite.
template <class T>
double overflow_safe_mean(const smooth_l1_loss_args<T>& args, double b, double plain_mean) {
  constexpr int scale = 64;
  const double bs = std::ldexp(b, -scale);
  sum_accumulator<T> sum;
  for (std::int64_t i = 0; i < args.numel; ++i) {
    const double x = static_cast<double>(args.input[i]), t = static_cast<double>(args.target[i]);
    if (!std::isfinite(x) || !std::isfinite(t) || !std::isfinite(b)) return plain_mean;  // the plain result is exact
    sum.add(loss_of(std::fabs(std::ldexp(x, -scale) - std::ldexp(t, -scale)), bs));
  }
  return std::ldexp(sum.value() / static_cast<double>(args.numel), scale);
}

template <class T>
T reduce_sum(const smooth_l1_loss_args<T>& args, double b, double sum) {
  if (args.red == reduction::sum) return static_cast<T>(sum);
  const double mean = sum / static_cast<double>(args.numel);  // empty: 0 / 0 = NaN, as torch
  if constexpr (std::is_same_v<T, double>)
    if (std::isinf(mean)) return overflow_safe_mean(args, b, mean);
  return static_cast<T>(mean);
}

/// What the fast lanes need (reduction, b and upstream gradient resolved).
template <class T, class G>
struct fast_args {
  const T* input;
  const T* target;
  const T* grad_output;  ///< per element (none), or nullptr: the scalar g
  double divisor;        ///< of the per-element grad_output
  double g;              ///< the scalar upstream gradient
  double b;              ///< beta rounded to T
  T* output;             ///< per-element losses (none), or nullptr
  G* grad_input;
  G* grad_target;
  bool stream;  ///< write the gradients with non-temporal stores (vector_math.h streamable)
};

// Fast lanes over finite x, t (and g), with d = fl(x - t) (exact for float inputs in double) and z = |d|:
//   L = select(z < b, (0.5 z)(z / b), z - 0.5 b)
//   dL/dx = g select(d <= -b, -1, select(d >= b, 1, d / b)),   dL/dt = the same of -d
// the per-element code's values (the unselected lane may be NaN: 0/0 at b = 0, never stored). `slow` handles blocks
// with an inf or NaN.
template <class T, class G, class Acc, class Slow>
LOSSCHECK_INLINE void fast_body(const fast_args<T, G>& a, std::int64_t begin, std::int64_t end, Acc* sum,
                                const Slow& slow) {
  using namespace simd;
  const vd b = splat(a.b), minus_b = splat(-a.b), one = splat(1.0), minus_one = splat(-1.0);
  auto step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
    prefetch_ahead(i, a.input, a.target, a.grad_output);
    const vd x = load(a.input + i);
    const vd t = load(a.target + i);
    const vd d = x - t;
    vd bad = d - d;
    if (a.output || acc) {
      const vd z = abs(d);
      const vd l = select(z < b, (splat(0.5) * z) * (z / b), z - splat(0.5) * b);
      if (a.output) store(a.output + i, l);
      if (acc) acc->add(l);
    }
    if (a.grad_input || a.grad_target) {
      vd g = splat(a.g);
      if (a.grad_output) {
        g = load(a.grad_output + i) / splat(a.divisor);
        bad += g - g;
      }
      const vd q = d / b;
      const vd gx = g * select(d <= minus_b, minus_one, select(d >= b, one, q));
      const vd e = -d;
      const vd gt = g * select(e <= minus_b, minus_one, select(e >= b, one, -q));
      if (a.stream) {
        if (a.grad_input) store_stream(a.grad_input + i, gx);
        if (a.grad_target) store_stream(a.grad_target + i, gt);
      } else {
        if (a.grad_input) store(a.grad_input + i, gx);
        if (a.grad_target) store(a.grad_target + i, gt);
      }
    }
    return bad;
  };
  run_blocks(begin, end, sum, step, slow);
}

}  // namespace

// L = 0.5 d^2 / b where |d| < b, else |d| - 0.5 b
template <class T>
void smooth_l1_loss_forward(const smooth_l1_loss_args<T>& args, T* output) {
  smooth_l1_loss_forward_backward<T, T>(args, nullptr, output, nullptr, nullptr);
}

// L as above;  dL/dx = s(x - t) g;  dL/dt = s(t - x) g   (g = grad_output, / numel for mean). One fused sweep.
template <class T, class G>
void smooth_l1_loss_forward_backward(const smooth_l1_loss_args<T>& args, const T* grad_output, T* output,
                                     G* grad_input, G* grad_target) {
  const bool none = args.red == reduction::none;
  const double b = static_cast<double>(static_cast<T>(args.beta));
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.numel));
  const bool backward = grad_input || grad_target;
  // The per-element code: writes element i's outputs, returns its loss term.
  auto element = [&](std::int64_t i) {
    const double d = static_cast<double>(args.input[i]) - static_cast<double>(args.target[i]);
    const double l = loss_of(std::fabs(d), b);
    if (output && none) output[i] = static_cast<T>(l);
    if (backward) {
      const double g = upstream.at(i);
      if (grad_input) grad_input[i] = static_cast<G>(g * slope(d, b));
      if (grad_target) grad_target[i] = static_cast<G>(g * slope(-d, b));
    }
    return l;
  };
  // the upstream gradient when it is one scalar (a reduced loss, or `none` without grad_output)
  const double g = none && grad_output ? 0.0 : upstream.at(0);
  if ((none || std::isfinite(g)) && std::isfinite(b)) {  // the fast lanes, in chunks (parallel.h)
    const bool stream = backward && (!grad_input || simd::streamable(grad_input, args.numel)) &&
                        (!grad_target || simd::streamable(grad_target, args.numel));
    const fast_args<T, G> a{args.input, args.target, none ? grad_output : nullptr,
                            reduction_divisor(args.red, args.numel), g, b, none ? output : nullptr,
                            grad_input, grad_target, stream};
    simd::lane_accumulator<T> sums[2];
    const bool reduce = output && !none;
    simd::run_fast_path(args.numel, reduce ? sums : nullptr,
                        [&](auto, int, std::int64_t begin, std::int64_t end, auto* sum) __attribute__((always_inline)) {
                          fast_body(a, begin, end, sum, element);
                        });
    if (stream) simd::stream_fence();
    sums[0].merge(sums[1]);
    if (reduce) output[0] = reduce_sum(args, b, sums[0].value());
    return;
  }
  sum_accumulator<T> sum;
  for (std::int64_t i = 0; i < args.numel; ++i) sum.add(element(i));
  if (output && !none) output[0] = reduce_sum(args, b, sum.value());
}

template void smooth_l1_loss_forward(const smooth_l1_loss_args<float>&, float*);
template void smooth_l1_loss_forward(const smooth_l1_loss_args<double>&, double*);
template void smooth_l1_loss_forward_backward(const smooth_l1_loss_args<float>&, const float*, float*, float*,
                                              float*);
template void smooth_l1_loss_forward_backward(const smooth_l1_loss_args<float>&, const float*, float*, double*,
                                              double*);
template void smooth_l1_loss_forward_backward(const smooth_l1_loss_args<double>&, const double*, double*, double*,
                                              double*);

namespace detail {

loss_result smooth_l1_loss(const smooth_l1_loss_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = broadcast_values<T>(*p.input, p.shape);
    const auto target = broadcast_values<T>(*p.target, p.shape);
    const auto grad_output = grad_output_values<T>(ctx);
    const smooth_l1_loss_args<T> args{input.data(), target.data(), checked_numel(p.shape), p.beta, p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> grad_input(input.size()), grad_target(target.size());
    smooth_l1_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data(),
                                    grad_target.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = sum_to_shape<T>(ctx.type, grad_input, p.shape, p.input->shape);
    r.grads["target"] = sum_to_shape<T>(ctx.type, grad_target, p.shape, p.target->shape);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
