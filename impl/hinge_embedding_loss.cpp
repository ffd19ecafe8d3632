// hinge_embedding_loss: L = [y != 1] max(0, margin - x) + [y != -1] x, dL/dx = -[y != 1][margin - x >= 0] +
// [y != -1] (torch: Loss.cpp hinge_embedding_loss, a composite of where and clamp_min).
#include "losscheck/impl/hinge_embedding_loss.h"

#include <cmath>

#include "accumulate.h"
#include "case_io.h"
#include "fast_elementwise.h"
#include "losses.h"
#include "reduction.h"

namespace losscheck::impl {
namespace {

/// What the fast lanes need (reduction and upstream gradient resolved).
template <class T, class G>
struct fast_args {
  const T* input;
  const T* target;
  double margin;
  const T* grad_output;  ///< per element (none), or nullptr: the scalar g
  double g;              ///< the scalar upstream gradient
  T* output;             ///< per-element losses (none), or nullptr
  G* grad_input;
};

// Fast lanes over finite x, y, margin (and g), the per-element code's operations (d = margin - x in double: its sign
// is the exact difference's, so the branch at the kink is the exact one):
//   L = select(y != 1, d < 0 ? 0 : d, 0) + select(y != -1, x, 0)
//   dL/dx = select(y != 1 and d >= 0, -g, 0) + select(y != -1, g, 0)
template <class T, class G, class Acc, class Slow>
LOSSCHECK_INLINE void fast_body(const fast_args<T, G>& a, std::int64_t begin, std::int64_t end, Acc* sum,
                                const Slow& slow) {
  using namespace simd;
  auto step = [&](std::int64_t i, Acc* acc) __attribute__((always_inline)) {
    prefetch_ahead(i, a.input, a.target, a.grad_output);
    const vd x = load(a.input + i);
    const vd y = load(a.target + i);
    vd bad = (x - x) + (y - y);
    const vd zero = splat(0.0);
    const vi hinge = y != splat(1.0), linear = y != splat(-1.0);
    const vd d = splat(a.margin) - x;
    if (a.output || acc) {
      const vd loss = select(hinge, select(d < zero, zero, d), zero) + select(linear, x, zero);
      if (a.output) store(a.output + i, loss);
      if (acc) acc->add(loss);
    }
    if (a.grad_input) {
      vd g = splat(a.g);
      if (a.grad_output) {
        g = load(a.grad_output + i);
        bad += g - g;
      }
      store(a.grad_input + i, select(hinge & (d >= zero), -g, zero) + select(linear, g, zero));
    }
    return bad;
  };
  run_blocks(begin, end, sum, step, slow);
}

}  // namespace

// L = [y != 1] max(0, margin - x) + [y != -1] x
template <class T>
void hinge_embedding_loss_forward(const hinge_embedding_loss_args<T>& args, T* output) {
  hinge_embedding_loss_forward_backward<T, T>(args, nullptr, output, nullptr);
}

// L = [y != 1] max(0, margin - x) + [y != -1] x;  dL/dx = (-[y != 1][margin - x >= 0] + [y != -1]) g
// (g = grad_output, / numel for mean). A NaN or ±inf x follows torch's where/clamp_min: clamp_min keeps a NaN and
// passes no gradient for it; where() takes nothing from the branch not chosen. One fused sweep.
template <class T, class G>
void hinge_embedding_loss_forward_backward(const hinge_embedding_loss_args<T>& args, const T* grad_output, T* output,
                                           G* grad_input) {
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.numel));
  // The per-element code: writes element i's outputs, returns its loss term.
  auto element = [&](std::int64_t i) {
    const double x = static_cast<double>(args.input[i]);
    const double y = static_cast<double>(args.target[i]);
    const bool hinge = y != 1.0, linear = y != -1.0;  // both for a NaN y
    const double d = args.margin - x;
    const double loss = (hinge ? (d < 0 ? 0.0 : d) : 0.0) + (linear ? x : 0.0);
    if (output && none) output[i] = static_cast<T>(loss);
    if (grad_input) {
      const double g = upstream.at(i);
      grad_input[i] = static_cast<G>((hinge && d >= 0 ? -g : 0.0) + (linear ? g : 0.0));
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
    const fast_args<T, G> a{args.input, args.target, args.margin, none ? grad_output : nullptr, g,
                            none ? output : nullptr, grad_input};
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

template void hinge_embedding_loss_forward(const hinge_embedding_loss_args<float>&, float*);
template void hinge_embedding_loss_forward(const hinge_embedding_loss_args<double>&, double*);
template void hinge_embedding_loss_forward_backward(const hinge_embedding_loss_args<float>&, const float*, float*,
                                                    float*);
template void hinge_embedding_loss_forward_backward(const hinge_embedding_loss_args<float>&, const float*, float*,
                                                    double*);
template void hinge_embedding_loss_forward_backward(const hinge_embedding_loss_args<double>&, const double*, double*,
                                                    double*);

namespace {

/// The target's values broadcast to `to`, as T (int64 labels converted: exactly the values equal to ±1 stay ±1).
template <class T>
std::vector<T> hinge_label_values(const tensor& t, const shape_t& to) {
  if (t.is_floating()) return detail::broadcast_values<T>(t, to);
  std::vector<T> out(static_cast<std::size_t>(checked_numel(to)));
  broadcast_walker walk(t.shape, to);
  for (std::size_t i = 0; i < out.size(); ++i, walk.next()) out[i] = static_cast<T>(t.ints[walk.offset()]);
  return out;
}

}  // namespace

namespace detail {

loss_result hinge_embedding_loss(const hinge_embedding_loss_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = broadcast_values<T>(*p.input, p.shape);
    const auto target = hinge_label_values<T>(*p.target, p.shape);
    const auto grad_output = grad_output_values<T>(ctx);
    const hinge_embedding_loss_args<T> args{input.data(), target.data(), checked_numel(p.shape), p.margin, p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> grad_input(input.size());
    hinge_embedding_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = sum_to_shape<T>(ctx.type, grad_input, p.shape, p.input->shape);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
