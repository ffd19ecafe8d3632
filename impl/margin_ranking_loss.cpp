// margin_ranking_loss: L = max(0, z), z = -y (x1 - x2) + margin; with G = g [z >= 0]: dL/dx1 = -y G, dL/dx2 = y G,
// dL/dy = -(x1 - x2) G (torch: Loss.cpp margin_ranking_loss, a composite of mul, add and clamp_min).
#include "losscheck/impl/margin_ranking_loss.h"

#include <cmath>

#include "accumulate.h"
#include "case_io.h"
#include "fast_elementwise.h"
#include "losses.h"
#include "reduction.h"

namespace losscheck::impl {
namespace {

/// What the fast lanes need (reduction and upstream gradient resolved).
template <class T, class Gt>
struct fast_args {
  const T* input1;
  const T* input2;
  const T* target;
  double margin;
  const T* grad_output;  ///< per element (none), or nullptr: the scalar g
  double g;              ///< the scalar upstream gradient
  T* output;             ///< per-element losses (none), or nullptr
  Gt* grad_input1;
  Gt* grad_input2;
  Gt* grad_target;
};

// Fast lanes over finite x1, x2, y (and g), the per-element code's operations in double (float32 inputs: x1 - x2
// and the product are nearly always exact there, so the branch taken is the exact one but within a few 2^-53 of
// the kink):
//   d = x1 - x2,  z = -y d + margin,  L = z < 0 ? 0 : z,  G = z >= 0 ? g : 0
//   dL/dx1 = G (-y),  dL/dx2 = -dL/dx1,  dL/dy = -(G d)
template <class T, class Gt, class Acc, class Slow>
LOSSCHECK_INLINE void fast_body(const fast_args<T, Gt>& a, std::int64_t begin, std::int64_t end, Acc* sum,
                                const Slow& slow) {
  using namespace simd;
  auto step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
    prefetch_ahead(i, a.input1, a.input2, a.target, a.grad_output);
    const vd x1 = load(a.input1 + i);
    const vd x2 = load(a.input2 + i);
    const vd y = load(a.target + i);
    const vd d = x1 - x2;
    const vd z = -y * d + splat(a.margin);
    vd bad = (x1 - x1) + (x2 - x2) + (y - y) + (z - z);
    const vd zero = splat(0.0);
    if (a.output || acc) {
      const vd loss = select(z < zero, zero, z);
      if (a.output) store(a.output + i, loss);
      if (acc) acc->add(loss);
    }
    if (a.grad_input1 || a.grad_input2 || a.grad_target) {
      vd g = splat(a.g);
      if (a.grad_output) {
        g = load(a.grad_output + i);
        bad += g - g;
      }
      const vd masked = select(z >= zero, g, zero);
      const vd g1 = masked * -y;
      if (a.grad_input1) store(a.grad_input1 + i, g1);
      if (a.grad_input2) store(a.grad_input2 + i, -g1);
      if (a.grad_target) store(a.grad_target + i, -(masked * d));
    }
    return bad;
  };
  run_blocks(begin, end, sum, step, slow);
}

}  // namespace

// L = max(0, -y (x1 - x2) + margin)
template <class T>
void margin_ranking_loss_forward(const margin_ranking_loss_args<T>& args, T* output) {
  margin_ranking_loss_forward_backward<T, T>(args, nullptr, output, nullptr, nullptr, nullptr);
}

// L = max(0, z), z = -y (x1 - x2) + margin;  G = g [z >= 0] (g = grad_output, / numel for mean);
// dL/dx1 = G (-y), dL/dx2 = -dL/dx1, dL/dy = -(G (x1 - x2)). Non-finite values take the same operations as torch's
// autograd: a NaN z is kept and masks its gradient to 0, and that 0 times an infinite or NaN factor is NaN.
template <class T, class Gt>
void margin_ranking_loss_forward_backward(const margin_ranking_loss_args<T>& args, const T* grad_output, T* output,
                                          Gt* grad_input1, Gt* grad_input2, Gt* grad_target) {
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.numel));
  const bool backward = grad_input1 || grad_input2 || grad_target;
  // The per-element code: writes element i's outputs, returns its loss term.
  auto element = [&](std::int64_t i) {
    const double d = static_cast<double>(args.input1[i]) - static_cast<double>(args.input2[i]);
    const double y = static_cast<double>(args.target[i]);
    const double z = -y * d + args.margin;
    const double loss = z < 0 ? 0.0 : z;
    if (output && none) output[i] = static_cast<T>(loss);
    if (backward) {
      const double masked = z >= 0 ? upstream.at(i) : 0.0;
      const double g1 = masked * -y;
      if (grad_input1) grad_input1[i] = static_cast<Gt>(g1);
      if (grad_input2) grad_input2[i] = static_cast<Gt>(-g1);
      if (grad_target) grad_target[i] = static_cast<Gt>(-(masked * d));
    }
    return loss;
  };
  auto finish = [&](double total) {
    if (output && !none)
      output[0] = static_cast<T>(args.red == reduction::sum ? total : total / static_cast<double>(args.numel));
  };
  // the upstream gradient when it is one scalar (a reduced loss, or `none` without grad_output)
  const double g = none && grad_output ? 0.0 : upstream.at(0);
  if ((none || std::isfinite(g)) && std::isfinite(args.margin)) {  // the fast lanes, in chunks (parallel.h)
    const fast_args<T, Gt> a{args.input1, args.input2, args.target, args.margin, none ? grad_output : nullptr, g,
                             none ? output : nullptr, grad_input1, grad_input2, grad_target};
    simd::lane_accumulator<T> sums[2];
    const bool reduce = output && !none;
    simd::run_fast_path(args.numel, reduce ? sums : nullptr,
                        [&](auto, int, std::int64_t begin, std::int64_t end, auto* sum) __attribute__((always_inline)) {
                          fast_body(a, begin, end, sum, element);
                        });
    sums[0].merge(sums[1]);
    finish(sums[0].value());
    return;
  }
  sum_accumulator<T> sum;
  for (std::int64_t i = 0; i < args.numel; ++i) sum.add(element(i));
  finish(sum.value());
}

template void margin_ranking_loss_forward(const margin_ranking_loss_args<float>&, float*);
template void margin_ranking_loss_forward(const margin_ranking_loss_args<double>&, double*);
template void margin_ranking_loss_forward_backward(const margin_ranking_loss_args<float>&, const float*, float*, float*,
                                                   float*, float*);
template void margin_ranking_loss_forward_backward(const margin_ranking_loss_args<float>&, const float*, float*,
                                                   double*, double*, double*);
template void margin_ranking_loss_forward_backward(const margin_ranking_loss_args<double>&, const double*, double*,
                                                   double*, double*, double*);

namespace {

/// The target's values broadcast to `to`, as T (int64 labels converted).
template <class T>
std::vector<T> ranking_label_values(const tensor& t, const shape_t& to) {
  if (t.is_floating()) return detail::broadcast_values<T>(t, to);
  std::vector<T> out(static_cast<std::size_t>(checked_numel(to)));
  broadcast_walker walk(t.shape, to);
  for (std::size_t i = 0; i < out.size(); ++i, walk.next()) out[i] = static_cast<T>(t.ints[walk.offset()]);
  return out;
}

}  // namespace

namespace detail {

loss_result margin_ranking_loss(const margin_ranking_loss_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input1 = broadcast_values<T>(*p.input1, p.shape);
    const auto input2 = broadcast_values<T>(*p.input2, p.shape);
    const auto target = ranking_label_values<T>(*p.target, p.shape);
    const auto grad_output = grad_output_values<T>(ctx);
    const margin_ranking_loss_args<T> args{input1.data(), input2.data(), target.data(), checked_numel(p.shape),
                                           p.margin, p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> grad1(input1.size()), grad2(input1.size()), grad_y;
    const bool float_target = p.target->is_floating();
    if (float_target) grad_y.resize(input1.size());
    margin_ranking_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad1.data(), grad2.data(),
                                         float_target ? grad_y.data() : nullptr);
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input1"] = sum_to_shape<T>(ctx.type, grad1, p.shape, p.input1->shape);
    r.grads["input2"] = sum_to_shape<T>(ctx.type, grad2, p.shape, p.input2->shape);
    if (float_target) r.grads["target"] = sum_to_shape<T>(ctx.type, grad_y, p.shape, p.target->shape);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
