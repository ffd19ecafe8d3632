// binary_cross_entropy_with_logits (torch: Loss.cpp binary_cross_entropy_with_logits and _backward, and
// binary_cross_entropy_with_logits_target_backward in FunctionsManual.cpp).
#include "losscheck/impl/binary_cross_entropy_with_logits.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "accumulate.h"
#include "case_io.h"
#include "losses.h"
#include "fast_elementwise.h"
#include "vector_math_float.h"
#include "reduction.h"

namespace losscheck::impl {
namespace {

/// The logit's operands: x, y and p (pos_weight; 1 when absent, `has_pos_weight` false), with e = e^-|x| from which
/// softplus and sigmoid of +-x all follow (one exp and one log1p per element).
struct operands {
  double x, y, p;
  bool has_pos_weight;
  double e;        // e^-|x|
  double log1p_e;  // log1p(e^-|x|) = softplus(-|x|)

  operands(double x_, double y_, double p_, bool has_p)
      : x(x_), y(y_), p(p_), has_pos_weight(has_p), e(std::exp(-std::fabs(x_))), log1p_e(std::log1p(e)) {}

  /// Finite operands take the stable forms below; any inf or NaN takes torch's expressions as written, so that its
  /// NaN/inf pattern (e.g. (1 - y) x = 0 * inf for x = inf, y = 1) is reproduced exactly. The input gradient's stable
  /// form has torch's pattern for infinite x as well (sigmoid(+-inf) is exact), so only y and p matter there.
  bool finite() const { return std::isfinite(x) && std::isfinite(y) && std::isfinite(p); }
  bool finite_weights() const { return std::isfinite(y) && std::isfinite(p); }

  double softplus_of_x() const { return x > 0 ? x + log1p_e : log1p_e; }        // log(1 + e^x)
  double softplus_of_minus_x() const { return x > 0 ? log1p_e : log1p_e - x; }  // log(1 + e^-x)
  double sigmoid_of_x() const { return x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e); }
  double sigmoid_of_minus_x() const { return x >= 0 ? e / (1.0 + e) : 1.0 / (1.0 + e); }
};

// torch (Loss.cpp): m = max(-x, 0), lse = log(e^-m + e^(-x-m));
//   without pos_weight: (1 - y) x + m + lse;   with it: (1 - y) x + ((p - 1) y + 1)(lse + m)
double torch_loss(const operands& o) {
  const double m = std::max(-o.x, 0.0);  // NaN stays NaN, as clamp_min
  const double lse = std::log(std::exp(-m) + std::exp(-o.x - m));
  if (!o.has_pos_weight) return (1.0 - o.y) * o.x + m + lse;
  return (1.0 - o.y) * o.x + ((o.p - 1.0) * o.y + 1.0) * (lse + m);
}

// L = (1 - y) x + l softplus(-x) with l = 1 + (p - 1) y; since softplus(-x) = softplus(x) - x this equals
// l softplus(-|x|) + (1 - y) x for x >= 0 and l softplus(-|x|) - p y x for x < 0: for y in [0, 1] and p >= 0 all
// terms are >= 0, so nothing cancels (torch's (1 - y) x + max(-x, 0) + log(...) cancels for x << 0, y = 0, and its
// 1 + e^-x rounds to 1 for x = 20 in float32).
double unweighted_loss(const operands& o) {
  if (!o.finite()) return torch_loss(o);
  const double l = 1.0 + (o.p - 1.0) * o.y;
  const double tail = l * o.log1p_e;
  return o.x >= 0 ? tail + (1.0 - o.y) * o.x : tail - o.p * o.y * o.x;
}

// dL/dx = (p y + 1 - y) sigmoid(x) - p y = (1 - y) sigmoid(x) - p y sigmoid(-x): the second form has no
// 1 - sigmoid(x) cancellation (y = 1, x = 20 gives -2.06e-9, not 0). torch: sigmoid(x) - y without pos_weight,
// (p y + 1 - y) sigmoid(x) - p y with it.
double unweighted_input_gradient(const operands& o) {
  if (!o.finite_weights()) {
    if (!o.has_pos_weight) return o.sigmoid_of_x() - o.y;
    const double t = o.p * o.y;
    return (t + 1.0 - o.y) * o.sigmoid_of_x() - t;
  }
  return (1.0 - o.y) * o.sigmoid_of_x() - o.p * o.y * o.sigmoid_of_minus_x();
}

// dL/dy = -x without pos_weight (torch: -x * grad); with it, log_sigmoid(-x) - p log_sigmoid(x)
// = p softplus(-x) - softplus(x) (torch's expression, with a softplus that neither overflows nor loses digits).
double unweighted_target_gradient(const operands& o) {
  if (!o.has_pos_weight) return -o.x;
  return -o.softplus_of_x() - -o.softplus_of_minus_x() * o.p;
}

/// What the fast lanes need (reduction and upstream gradient resolved).
template <class T>
struct fast_args {
  const T* input;
  const T* target;
  const T* weight;       ///< or nullptr
  const T* pos_weight;   ///< or nullptr
  const T* grad_output;  ///< per element (none), or nullptr: the scalar g
  double g;              ///< the scalar upstream gradient
  T* output;             ///< per-element losses (none), or nullptr
  T* grad_input;
  T* grad_target;
};

// Fast lanes for finite x, y, p, w and g: the per-element code's stable forms with e = e^-|x| and s = log1p(e)
// from the vector exp and log1p (vector_math.h; float32: e from the float exp of vector_math_float.h as head + tail
// added in double, relative error < 2^-26, s = log(1 + e) with its short division-free log (< 2^-30), sigmoid(-|x|) =
// e (1 / (1 + e)). Float32 error: the loss's terms are >= 0 and log1p's condition is <= 1, so it has e's relative
// error plus 2^-30: < 0.5 + 2^-26 2^24 + 2^-6 < 0.77 ULP (|x| > 69, e < 2^-100: 2^-149 absolute more, at most
// half the spacing of a loss >= 2^-126: < 1.3 ULP, and < 1.5 subnormal spacings below); the input gradient where y is
// 0 or 1 likewise (one term): < 0.77 ULP (< 1.3 where e < 2^-100); elsewhere its two terms
// cancel as sigmoid(x) approaches y (ill-conditioned: absolute error < 2^-26 (|(1 - y) sigmoid(x)| + |p y sigmoid(-x)|)
// + the final rounding)):
//   L     = w (l s + (1 - y) x)  (x >= 0),   w (l s - p y x)  (x < 0),        l = 1 + (p - 1) y
//   dL/dx = ((1 - y) sigmoid(x) - p y sigmoid(-x)) g w,  sigmoid(|x|) = 1 / (1 + e), sigmoid(-|x|) = e / (1 + e)
//   dL/dy = -x g w  (no pos_weight),  (p softplus(-x) - softplus(x)) g w  (softplus(|x|) = |x| + s, softplus(-|x|) = s)
// float32 in the AVX-512 build (isa.h's dispatch_wide): each step's 8 elements in one 8-lane vector instead of two
// 4-lane ones, the same operations per lane (so the same bits), the loss sum given the two halves in order.
template <class Build, class T, class Acc, class Slow>
LOSSCHECK_INLINE void fast_body(Build, const fast_args<T>& a, std::int64_t begin, std::int64_t end, Acc* sum,
                                const Slow& slow) {
  using namespace simd;
  // Elements [i, i + W) given x and e = e^-|x| (W = 4: vd; W = 8: vd8, the AVX-512 build's float32 steps);
  // `float32` selects the float32 forms of s and the sigmoids.
  auto lanes_of = [&](std::int64_t i, auto x, auto e, Acc* acc, bool float32) __attribute__((always_inline)) {
    using VD = decltype(x);
    constexpr bool eight = sizeof(VD) == 64;
    auto c = [](double v) __attribute__((always_inline)) { return broadcast<VD>(v); };
    const VD y = load_lanes<VD>(a.target + i);
    VD bad = (x - x) + (y - y);
    const VD p = a.pos_weight ? load_lanes<VD>(a.pos_weight + i) : c(1.0);
    const VD w = a.weight ? load_lanes<VD>(a.weight + i) : c(1.0);
    if (a.pos_weight) bad += p - p;
    if (a.weight) bad += w - w;
    VD s;
    if (float32) {  // log1p(e) = log(u) + c, u = fl(1 + e), c = e - (u - 1) (exact; != 0 only for e < 2^-29, u ~ 1)
      const VD u = c(1.0) + e;
      s = log_float_lanes_of<true>(u) + (e - (u - c(1.0)));
    } else {
      s = log1p_lanes_of(e);
    }
    const auto positive = x >= c(0.0);
    if (a.output || acc) {
      const VD tail = (c(1.0) + (p - c(1.0)) * y) * s;
      const VD loss = select_lanes(positive, tail + (c(1.0) - y) * x, tail - p * y * x) * w;
      if (a.output) store_lanes(a.output + i, loss);
      if (acc) acc->add(loss);  // eight: lanes 0-3, then 4-7
    }
    if (a.grad_input || a.grad_target) {
      VD g = c(a.g);
      if (a.grad_output) {
        g = load_lanes<VD>(a.grad_output + i);
        bad += g - g;
      }
      if (a.grad_input) {
        const VD d = c(1.0) + e;
        const VD big = c(1.0) / d, small = float32 ? e * big : e / d;
        const VD sigmoid_x = select_lanes(positive, big, small), sigmoid_minus_x = select_lanes(positive, small, big);
        store_lanes(a.grad_input + i, ((c(1.0) - y) * sigmoid_x - p * y * sigmoid_minus_x) * g * w);
      }
      if (a.grad_target) {
        VD unweighted = -x;
        if (a.pos_weight) {
          const auto above = x > c(0.0);
          const VD softplus_x = select_lanes(above, x + s, s), softplus_minus_x = select_lanes(above, s, s - x);
          unweighted = -softplus_x - -softplus_minus_x * p;
        }
        store_lanes(a.grad_target + i, unweighted * g * w);
      }
    }
    if constexpr (eight) return low4(bad) + high4(bad);
    else return bad;
  };
  if constexpr (sizeof(T) == 4) {
    // float32: e = e^-|x| for 8 elements at once in float lanes (vector_math_float.h's exp as head + tail, added in
    // double: < 2^-26 relative; -|x| clamped at -104, where e^x rounds to 0 in float anyway), the rest in double
    // lanes as above.
    auto exps = [&](std::int64_t i, vf8& xf, vf8& head, vf8& tail) __attribute__((always_inline)) {
      xf = load_f(a.input + i);
      exp_difference_parts_f(max_f(-as_float8(as_int8(xf) & splat_i8(0x7fffffff)), splat_f(-104.0f)), splat_f(0.0f),
                             head, tail);
    };
    if constexpr (std::is_same_v<Build, avx512_build>) {
      auto step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
        prefetch_ahead(i, a.input, a.target, a.weight, a.pos_weight, a.grad_output);
        vf8 xf, head, tail;  // e = head + tail, added in double (< 2^-26 relative)
        exps(i, xf, head, tail);
        return lanes_of(i, widen8(xf), widen8(head) + widen8(tail), acc, true);
      };
      run_blocks<2 * lanes>(begin, end, sum, step, slow);
    } else {
      auto step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
        prefetch_ahead(i, a.input, a.target, a.weight, a.pos_weight, a.grad_output);
        vf8 xf, head, tail;
        exps(i, xf, head, tail);
        const vd bad = lanes_of(i, low_half(xf), low_half(head) + low_half(tail), acc, true);
        return bad + lanes_of(i + 4, high_half(xf), high_half(head) + high_half(tail), acc, true);
      };
      run_blocks<2 * lanes>(begin, end, sum, step, slow);
    }
  } else {
    auto step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
      prefetch_ahead(i, a.input, a.target, a.weight, a.pos_weight, a.grad_output);
      const vd x = load(a.input + i);
      return lanes_of(i, x, exp_lanes(-abs(x)), acc, false);
    };
    run_blocks(begin, end, sum, step, slow);
  }
}

}  // namespace

// L = w [(1 - y) x + (1 + (p - 1) y) softplus(-x)]
template <class T>
void binary_cross_entropy_with_logits_forward(const binary_cross_entropy_with_logits_args<T>& args, T* output) {
  binary_cross_entropy_with_logits_forward_backward<T>(args, nullptr, output, nullptr, nullptr);
}

// L     = w [(1 - y) x + (1 + (p - 1) y) softplus(-x)]
// dL/dx = g w ((1 - y) sigmoid(x) - p y sigmoid(-x))
// dL/dy = g w (p softplus(-x) - softplus(x))          (-g w x without pos_weight)
// (g = grad_output, / numel for mean; p = pos_weight, 1 when absent.) One fused sweep.
template <class T>
void binary_cross_entropy_with_logits_forward_backward(const binary_cross_entropy_with_logits_args<T>& args,
                                                       const T* grad_output, T* output, T* grad_input, T* grad_target) {
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.numel));
  // The per-element code: writes element i's outputs, returns its loss term.
  auto element = [&](std::int64_t i) {
    const double x = static_cast<double>(args.input[i]);
    const double y = static_cast<double>(args.target[i]);
    const double w = args.weight ? static_cast<double>(args.weight[i]) : 1.0;
    const operands o(x, y, args.pos_weight ? static_cast<double>(args.pos_weight[i]) : 1.0, args.pos_weight != nullptr);
    double loss = 0.0;
    if (output) {
      loss = unweighted_loss(o) * w;
      if (none) output[i] = static_cast<T>(loss);
    }
    const double g = upstream.at(i);
    if (grad_input) grad_input[i] = static_cast<T>(unweighted_input_gradient(o) * g * w);
    if (grad_target) grad_target[i] = static_cast<T>(unweighted_target_gradient(o) * g * w);
    return loss;
  };
  auto finish = [&](double total) {
    if (output && !none)
      output[0] = static_cast<T>(args.red == reduction::sum ? total : total / static_cast<double>(args.numel));
  };
  // the upstream gradient when it is one scalar (a reduced loss, or `none` without grad_output)
  const double g = none && grad_output ? 0.0 : upstream.at(0);
  if (none || std::isfinite(g)) {                 // the fast lanes, in chunks (parallel.h)
    const fast_args<T> a{args.input,
                         args.target,
                         args.weight,
                         args.pos_weight,
                         none ? grad_output : nullptr,
                         g,
                         none ? output : nullptr,
                         grad_input,
                         grad_target};
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

template void binary_cross_entropy_with_logits_forward(const binary_cross_entropy_with_logits_args<float>&, float*);
template void binary_cross_entropy_with_logits_forward(const binary_cross_entropy_with_logits_args<double>&, double*);
template void binary_cross_entropy_with_logits_forward_backward(const binary_cross_entropy_with_logits_args<float>&,
                                                                const float*, float*, float*, float*);
template void binary_cross_entropy_with_logits_forward_backward(const binary_cross_entropy_with_logits_args<double>&,
                                                                const double*, double*, double*, double*);

namespace detail {

loss_result binary_cross_entropy_with_logits(const binary_cross_entropy_with_logits_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = typed_values<T>(*p.input);
    const auto target = typed_values<T>(*p.target);
    const auto weight = p.weight ? broadcast_values<T>(*p.weight, p.target->shape) : std::vector<T>{};
    const auto pos_weight = p.pos_weight ? broadcast_values<T>(*p.pos_weight, p.target->shape) : std::vector<T>{};
    const auto grad_output = grad_output_values<T>(ctx);
    const binary_cross_entropy_with_logits_args<T> args{input.data(),
                                                        target.data(),
                                                        data_or_null(weight),
                                                        data_or_null(pos_weight),
                                                        static_cast<std::int64_t>(input.size()),
                                                        p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<T> grad_input(input.size()), grad_target(input.size());
    binary_cross_entropy_with_logits_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data(),
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
