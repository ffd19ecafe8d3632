// soft_margin_loss: L = log(1 + exp(-y x)), dL/dx = -y σ(-y x) (torch: Loss.cpp soft_margin_loss /
// soft_margin_loss_backward; the target is not differentiated).
#include "losscheck/impl/soft_margin_loss.h"

#include <cmath>
#include <type_traits>

#include "accumulate.h"
#include "case_io.h"
#include "fast_elementwise.h"
#include "losses.h"
#include "reduction.h"

namespace losscheck::impl {
namespace {

/// Loss and derivative of one element with z = -y x (before the incoming gradient).
struct element_value {
  double loss;
  double grad;  ///< dL/dx
};

// With e = e^-|z| (never overflows): sp(z) = log(1 + e^z) = max(z, 0) + log1p(e) and σ(z) = 1 / (1 + e) for z > 0,
// e / (1 + e) otherwise: no cancellation and no overflow, so finite x and y give the value also where torch's
// log(1 + exp(z)) overflows (docs/torch-quirks.md). A z that overflowed (float64 y x beyond the range) still gives
// the limits: L = inf or 0, σ = 1 or 0. Non-finite x or y follow torch's formula instead (reference: the same):
// where z = +inf its gradient is y inf / (1 + inf) = NaN.
element_value element_of(double x, double y) {
  const double z = -(y * x);
  const double e = std::exp(-std::fabs(z));
  const double s = std::log1p(e);
  if (!std::isfinite(x) || !std::isfinite(y)) {
    if (std::isnan(z)) return {z, z};
    if (z > 0) return {z, std::nan("")};       // log(1 + inf) = inf; y inf / inf = NaN
    return {s, -y * e};                        // z = -inf: log(1 + 0) = 0; -y · 0 (NaN for y = ±inf)
  }
  if (z > 0) return {z + s, -y * (1.0 / (1.0 + e))};
  return {s, -y * (e / (1.0 + e))};
}

/// What the fast lanes need (reduction and upstream gradient resolved).
template <class T>
struct fast_args {
  const T* input;
  const T* target;
  const T* grad_output;  ///< per element (none), or nullptr: the scalar g
  double g;              ///< the scalar upstream gradient
  T* output;             ///< per-element losses (none), or nullptr
  T* grad_input;
};

// Fast lanes over finite x, y (and g), the per-element code's forms with the vector exp and log1p (vector_math.h:
// < 1 and < 2 ULP in double, far below float32's ULP; in float64 each value takes about 4 roundings):
//   z = -y x,  e = e^-|z|,  s = log1p(e)
//   L = z + s (z > 0), s (else);   dL/dx = -y (1 / (1 + e)) g (z > 0), -y (e / (1 + e)) g (else)
// float32 in the AVX-512 build (isa.h's dispatch_wide): the same forms 8 lanes at a time (exp_lanes_of and
// log1p_lanes_of on vd8 do each lane's operations of the 4-lane functions), the loss sum given the two halves in
// order (run_blocks_wide): the 4-lane results bit for bit.
template <class Build, class T, class Acc, class Slow>
LOSSCHECK_INLINE void fast_body(Build, const fast_args<T>& a, std::int64_t begin, std::int64_t end, Acc* sum,
                                const Slow& slow) {
  using namespace simd;
  // Elements [i, i + W): W = 4 (vd) or 8 (vd8, the AVX-512 build's float32 steps); the same operations per lane.
  auto lanes_of = [&](auto zero, std::int64_t i, Acc* acc) __attribute__((always_inline)) {
    using VD = decltype(zero);
    auto c = [](double v) __attribute__((always_inline)) { return broadcast<VD>(v); };
    prefetch_ahead(i, a.input, a.target, a.grad_output);
    const VD x = load_lanes<VD>(a.input + i);
    const VD y = load_lanes<VD>(a.target + i);
    VD bad = (x - x) + (y - y);
    const VD z = -(y * x);
    const VD e = exp_lanes_of(-abs(z));
    const auto positive = z > zero;
    if (a.output || acc) {
      const VD s = log1p_lanes_of(e);
      const VD loss = select_lanes(positive, z + s, s);
      if (a.output) store_lanes(a.output + i, loss);
      if (acc) acc->add(loss);  // 8 lanes: lanes 0-3, then 4-7
    }
    if (a.grad_input) {
      VD g = c(a.g);
      if (a.grad_output) {
        g = load_lanes<VD>(a.grad_output + i);
        bad += g - g;
      }
      const VD d = c(1.0) + e;
      const VD sigma = select_lanes(positive, c(1.0) / d, e / d);
      store_lanes(a.grad_input + i, -y * sigma * g);
    }
    if constexpr (sizeof(VD) == 64) return low4(bad) + high4(bad);
    else return bad;
  };
  auto step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) { return lanes_of(vd{}, i, acc); };
  if constexpr (sizeof(T) == 4 && std::is_same_v<Build, avx512_build>) {
    auto wide_step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) { return lanes_of(vd8{}, i, acc); };
    run_blocks_wide(begin, end, sum, wide_step, step, slow);
  } else {
    run_blocks(begin, end, sum, step, slow);
  }
}

}  // namespace

// L = log(1 + exp(-y x))
template <class T>
void soft_margin_loss_forward(const soft_margin_loss_args<T>& args, T* output) {
  soft_margin_loss_forward_backward<T>(args, nullptr, output, nullptr);
}

// L = log(1 + exp(-y x));  dL/dx = -y σ(-y x) g   (g = grad_output, / numel for mean). One fused sweep.
template <class T>
void soft_margin_loss_forward_backward(const soft_margin_loss_args<T>& args, const T* grad_output, T* output,
                                       T* grad_input) {
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.numel));
  // The per-element code: writes element i's outputs, returns its loss term.
  auto element = [&](std::int64_t i) {
    const element_value v = element_of(static_cast<double>(args.input[i]), static_cast<double>(args.target[i]));
    if (output && none) output[i] = static_cast<T>(v.loss);
    if (grad_input) grad_input[i] = static_cast<T>(v.grad * upstream.at(i));
    return v.loss;
  };
  auto finish = [&](double total) {
    if (output && !none)
      output[0] = static_cast<T>(args.red == reduction::sum ? total : total / static_cast<double>(args.numel));
  };
  // the upstream gradient when it is one scalar (a reduced loss, or `none` without grad_output)
  const double g = none && grad_output ? 0.0 : upstream.at(0);
  if (none || std::isfinite(g)) {  // the fast lanes, in chunks (parallel.h)
    const fast_args<T> a{args.input, args.target, none ? grad_output : nullptr, g, none ? output : nullptr,
                         grad_input};
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

template void soft_margin_loss_forward(const soft_margin_loss_args<float>&, float*);
template void soft_margin_loss_forward(const soft_margin_loss_args<double>&, double*);
template void soft_margin_loss_forward_backward(const soft_margin_loss_args<float>&, const float*, float*, float*);
template void soft_margin_loss_forward_backward(const soft_margin_loss_args<double>&, const double*, double*,
                                                double*);

namespace detail {

loss_result soft_margin_loss(const soft_margin_loss_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = typed_values<T>(*p.input);
    const auto target = broadcast_values<T>(*p.target, p.input->shape);
    const auto grad_output = grad_output_values<T>(ctx);
    const soft_margin_loss_args<T> args{input.data(), target.data(), static_cast<std::int64_t>(input.size()), p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<T> grad_input(input.size());
    soft_margin_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = result_tensor(ctx.type, p.input->shape, grad_input);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
