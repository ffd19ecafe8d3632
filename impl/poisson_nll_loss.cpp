// poisson_nll_loss (torch: Loss.cpp poisson_nll_loss, a composite of exp/log/mul/masked_fill whose gradients are
// autograd's).
#include "losscheck/impl/poisson_nll_loss.h"

#include <cmath>
#include <vector>

#include "accumulate.h"
#include "case_io.h"
#include "losses.h"
#include "parallel.h"
#include "reduction.h"

namespace losscheck::impl {
namespace {

/// A Python float scalar as ATen applies it to a tensor of T: converted to T first.
template <class T>
double scalar_in(double v) {
  return static_cast<double>(static_cast<T>(v));
}

/// One element: its loss and the derivatives for an incoming gradient g.
struct element_value {
  double loss;
  double grad_x;
  double grad_t;
};

// Every value in double (float inputs are exact there), in the order torch writes the expressions, so that infinite
// and NaN operands give torch's pattern (x = inf with t > 0: inf - inf = NaN; x + eps = 0: log 0 = -inf).
//   log_input:  L = e^x - t x;            dL/dx = g e^x - g t;          dL/dt = -g x
//   otherwise:  L = x - t log(x + eps);   dL/dx = g - (g t) / (x + eps); dL/dt = -g log(x + eps)
//   full, t > 1:  L += t log t - t + log(2 pi t) / 2;  dL/dt += g log t + (g t) / t - g + (g / 2) / t
//   full, t <= 1: L += 0 (masked_fill: a -0 loss becomes +0)
element_value element_of(double x, double t, double g, bool log_input, bool full, double eps, double two_pi) {
  element_value v;
  if (log_input) {
    const double e = std::exp(x);
    v.loss = e - t * x;
    v.grad_x = g * e - g * t;
    v.grad_t = -(g * x);
  } else {
    const double shifted = x + eps;
    const double l = std::log(shifted);
    v.loss = x - t * l;
    v.grad_x = g - g * t / shifted;
    v.grad_t = -(g * l);
  }
  if (full) {
    if (t > 1) {
      const double log_t = std::log(t);
      v.loss += (t * log_t - t) + 0.5 * std::log(two_pi * t);
      v.grad_t += ((g * log_t + g * t / t) - g) + 0.5 * g / t;
    } else {
      v.loss += 0.0;
    }
  }
  return v;
}

}  // namespace

// L = e^x - t x  or  x - t log(x + eps), + the Stirling term where t > 1 with full
template <class T>
void poisson_nll_loss_forward(const poisson_nll_loss_args<T>& args, T* output) {
  poisson_nll_loss_forward_backward<T, T>(args, nullptr, output, nullptr, nullptr);
}

// One fused sweep, in two chunks on large inputs (parallel.h); sums per chunk (double, compensated for float64).
template <class T, class G>
void poisson_nll_loss_forward_backward(const poisson_nll_loss_args<T>& args, const T* grad_output, T* output,
                                       G* grad_input, G* grad_target) {
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.numel));
  const double eps = scalar_in<T>(args.eps);
  const double two_pi = scalar_in<T>(2 * 3.14159265358979323846);  // 2 * c10::pi<double>, a scalar of T
  // Each chunk sums into a local (kept in registers) and writes it back once, into a cache line of its own (chunk_sum,
  // accumulate.h): adding into one shared line at every element made 2 threads slower than 1.
  chunk_sum<T> sums[2];
  auto work = [&](int chunk) {
    const std::int64_t begin = chunk_start(args.numel, chunk, 64), end = chunk_start(args.numel, chunk + 1, 64);
    sum_accumulator<T> local;
    for (std::int64_t i = begin; i < end; ++i) {
      const element_value v = element_of(static_cast<double>(args.input[i]), static_cast<double>(args.target[i]),
                                         upstream.at(i), args.log_input, args.full, eps, two_pi);
      if (output && none) output[i] = static_cast<T>(v.loss);
      if (grad_input) grad_input[i] = static_cast<G>(v.grad_x);
      if (grad_target) grad_target[i] = static_cast<G>(v.grad_t);
      local.add(v.loss);
    }
    sums[chunk].sum = local;
  };
  for_each_chunk(args.numel, work);
  if (output && !none) {
    sums[0].sum.add(sums[1].sum.value());
    const double total = sums[0].sum.value();
    output[0] = static_cast<T>(args.red == reduction::sum ? total : total / static_cast<double>(args.numel));
  }
}

template void poisson_nll_loss_forward(const poisson_nll_loss_args<float>&, float*);
template void poisson_nll_loss_forward(const poisson_nll_loss_args<double>&, double*);
template void poisson_nll_loss_forward_backward(const poisson_nll_loss_args<float>&, const float*, float*, float*,
                                                float*);
template void poisson_nll_loss_forward_backward(const poisson_nll_loss_args<float>&, const float*, float*, double*,
                                                double*);
template void poisson_nll_loss_forward_backward(const poisson_nll_loss_args<double>&, const double*, double*, double*,
                                                double*);

namespace detail {

namespace {

/// The gradients where input or target is broadcast: autograd forms e^x (or log(x + eps)) on the input's own shape
/// and the Stirling term on the target's, so the incoming gradient reaches those terms summed over the broadcast
/// copies first: dL/dx = (Σ g) e^x - Σ g t, or (Σ g) - (Σ g t) / (x + eps); dL/dt = Σ (-g x) [or Σ -g log(x + eps)]
/// + the Stirling part with G = Σ g (x = inf with g of both signs: inf, as torch's, not inf - inf = NaN).
template <class T>
void broadcast_gradients(const poisson_nll_loss_problem& p, const context& ctx, loss_result& r) {
  const auto grad_output = grad_output_values<T>(ctx);
  const std::int64_t numel = checked_numel(p.shape);
  const upstream_gradient<T> upstream(p.red, data_or_null(grad_output), reduction_divisor(p.red, numel));
  const double eps = scalar_in<T>(p.eps);
  const auto& xs = p.input->values;
  const auto& ts = p.target->values;
  std::vector<sum_accumulator<T>> g_x(xs.size()), gt_x(xs.size()), main_t(ts.size()), g_t(ts.size());
  broadcast_walker wx(p.input->shape, p.shape), wt(p.target->shape, p.shape);
  for (std::int64_t i = 0; i < numel; ++i, wx.next(), wt.next()) {
    const auto jx = static_cast<std::size_t>(wx.offset()), jt = static_cast<std::size_t>(wt.offset());
    const double g = upstream.at(i), x = static_cast<double>(static_cast<T>(xs[jx])), t = ts[jt];
    g_x[jx].add(g);
    gt_x[jx].add(g * t);
    main_t[jt].add(p.log_input ? -(g * x) : -(g * std::log(x + eps)));
    g_t[jt].add(g);
  }
  std::vector<double> gx(xs.size()), gt(ts.size());
  for (std::size_t j = 0; j < gx.size(); ++j) {
    const double G = g_x[j].value(), S = gt_x[j].value();
    gx[j] = static_cast<double>(static_cast<T>(p.log_input ? G * std::exp(xs[j]) - S : G - S / (xs[j] + eps)));
  }
  for (std::size_t j = 0; j < gt.size(); ++j) {
    double v = main_t[j].value();
    const double t = ts[j], G = g_t[j].value();
    if (p.full && t > 1) v += ((G * std::log(t) + G * t / t) - G) + 0.5 * G / t;
    gt[j] = static_cast<double>(static_cast<T>(v));
  }
  r.grads["input"] = tensor::floats(ctx.type, p.input->shape, std::move(gx));
  r.grads["target"] = tensor::floats(ctx.type, p.target->shape, std::move(gt));
}

}  // namespace

loss_result poisson_nll_loss(const poisson_nll_loss_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = broadcast_values<T>(*p.input, p.shape);
    const auto target = broadcast_values<T>(*p.target, p.shape);
    const auto grad_output = grad_output_values<T>(ctx);
    const poisson_nll_loss_args<T> args{input.data(), target.data(), checked_numel(p.shape), p.red,
                                        p.log_input,  p.full,        p.eps};
    const auto out_shape = output_shape(problem{p});
    const bool broadcast = p.input->shape != p.shape || p.target->shape != p.shape;
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> grad_input(broadcast ? 0 : input.size()), grad_target(broadcast ? 0 : target.size());
    poisson_nll_loss_forward_backward(args, data_or_null(grad_output), output.data(),
                                      broadcast ? nullptr : grad_input.data(), broadcast ? nullptr : grad_target.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    if (broadcast) {
      broadcast_gradients<T>(p, ctx, r);
    } else {
      r.grads["input"] = sum_to_shape<T>(ctx.type, grad_input, p.shape, p.input->shape);
      r.grads["target"] = sum_to_shape<T>(ctx.type, grad_target, p.shape, p.target->shape);
    }
    // torch quirk (full): the masked Stirling term's gradient 0 still meets its t log t backward, 0 · log t and
    // (0 · t) / t, which are NaN for t <= 0 on the target's own shape, whatever the incoming gradient
    if (p.full) {
      auto& gt = r.grads["target"].values;
      for (std::size_t j = 0; j < gt.size(); ++j)
        if (!(p.target->values[j] > 0)) gt[j] = NAN;
    }
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
