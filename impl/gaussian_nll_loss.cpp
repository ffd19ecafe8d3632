// gaussian_nll_loss (torch: torch/nn/functional.py gaussian_nll_loss, a composite of clamp_ under no_grad, log, pow
// and div whose gradients are autograd's).
#include "losscheck/impl/gaussian_nll_loss.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "accumulate.h"
#include "case_io.h"
#include "losscheck/error.h"
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
  double grad_x;  ///< = -dL/dt
  double grad_var;
};

// Every value in double (float inputs are exact there), with d = x - t and v = max(var, eps) (NaN stays NaN, as
// ATen's clamp), in the order autograd forms them so that infinite and NaN operands give torch's pattern:
//   q = d^2 / v;  L = (log v + q) / 2 (+ c);  dL/dx = ((g/2) / v) (2 d);  dL/dvar = (g/2) / v - (g/2) (q / v)
element_value element_of(double x, double t, double var, double g, double eps, double constant) {
  const double v = std::isnan(var) || var >= eps ? var : eps;
  const double d = x - t;
  const double q = d * d / v;
  const double half_g = 0.5 * g;
  return {0.5 * (std::log(v) + q) + constant, half_g / v * (2.0 * d), half_g / v - half_g * (q / v)};
}

}  // namespace

// L = (log v + (x - t)^2 / v) / 2 (+ log(2 pi) / 2)
template <class T>
void gaussian_nll_loss_forward(const gaussian_nll_loss_args<T>& args, T* output) {
  gaussian_nll_loss_forward_backward<T, T>(args, nullptr, output, nullptr, nullptr, nullptr);
}

// One fused sweep, in two chunks on large inputs (parallel.h); sums per chunk (double, compensated for float64).
template <class T, class G>
void gaussian_nll_loss_forward_backward(const gaussian_nll_loss_args<T>& args, const T* grad_output, T* output,
                                        G* grad_input, G* grad_target, G* grad_var) {
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.numel));
  const double eps = scalar_in<T>(args.eps);
  // functional.py's `loss += 0.5 * math.log(2 * math.pi)`: a Python double, converted to T by the in-place add
  const double constant = args.full ? scalar_in<T>(0.5 * std::log(2 * 3.14159265358979323846)) : 0.0;
  // Each chunk sums into a local (kept in registers) and writes it back once, into a cache line of its own (chunk_sum,
  // accumulate.h): adding into one shared line at every element made 2 threads slower than 1.
  chunk_sum<T> sums[2];
  auto work = [&](int chunk) {
    const std::int64_t begin = chunk_start(args.numel, chunk, 64), end = chunk_start(args.numel, chunk + 1, 64);
    sum_accumulator<T> local;
    for (std::int64_t i = begin; i < end; ++i) {
      const element_value v = element_of(static_cast<double>(args.input[i]), static_cast<double>(args.target[i]),
                                         static_cast<double>(args.var[i]), upstream.at(i), eps, constant);
      if (output && none) output[i] = static_cast<T>(v.loss);
      if (grad_input) grad_input[i] = static_cast<G>(v.grad_x);
      if (grad_target) grad_target[i] = static_cast<G>(-v.grad_x);
      if (grad_var) grad_var[i] = static_cast<G>(v.grad_var);
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

template void gaussian_nll_loss_forward(const gaussian_nll_loss_args<float>&, float*);
template void gaussian_nll_loss_forward(const gaussian_nll_loss_args<double>&, double*);
template void gaussian_nll_loss_forward_backward(const gaussian_nll_loss_args<float>&, const float*, float*, float*,
                                                 float*, float*);
template void gaussian_nll_loss_forward_backward(const gaussian_nll_loss_args<float>&, const float*, float*, double*,
                                                 double*, double*);
template void gaussian_nll_loss_forward_backward(const gaussian_nll_loss_args<double>&, const double*, double*,
                                                 double*, double*, double*);

namespace detail {

loss_result gaussian_nll_loss(const gaussian_nll_loss_problem& p, const context& ctx) {
  // functional.py: `if torch.any(var < 0): raise ValueError("var has negative entry/entries")` (-0 and NaN pass)
  const auto& var_values = p.var->values;
  for (std::size_t i = 0; i < var_values.size(); ++i)
    if (var_values[i] < 0)
      throw loss_error(fmt::format("gaussian_nll_loss: var has negative entry/entries (var[{}] = {})", i,
                                   ctx.type == dtype::float32 ? fmt::format("{}", static_cast<float>(var_values[i]))
                                                              : fmt::format("{}", var_values[i])));
  return with_case_type(ctx.type, [&]<class T>() {
    tensor var_view = *p.var;
    var_view.shape = p.var_shape;  // functional.py's unsqueeze(-1) where var lacks the last dimension
    const auto input = broadcast_values<T>(*p.input, p.shape);
    const auto target = broadcast_values<T>(*p.target, p.shape);
    const auto var = broadcast_values<T>(var_view, p.shape);
    const auto grad_output = grad_output_values<T>(ctx);
    const gaussian_nll_loss_args<T> args{input.data(), target.data(), var.data(), checked_numel(p.shape),
                                         p.red,        p.full,        p.eps};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> grad_input(input.size()), grad_target(input.size()), grad_var(input.size());
    gaussian_nll_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data(),
                                       grad_target.data(), grad_var.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = sum_to_shape<T>(ctx.type, grad_input, p.shape, p.input->shape);
    r.grads["target"] = sum_to_shape<T>(ctx.type, grad_target, p.shape, p.target->shape);
    if (p.var_shape == p.shape) {
      r.grads["var"] = sum_to_shape<T>(ctx.type, grad_var, p.shape, p.var_shape);
    } else {
      // var broadcast: log(v) is formed on var's own shape, so its path meets the incoming gradient summed over the
      // copies first, (Σ g/2) / v, while the path through d^2 / v is per copy, Σ -(g/2) (q / v) (v = 0 with eps = 0
      // and g of both signs: torch's (Σ g/2) / 0, not a sum of opposite infinities)
      const std::int64_t numel = checked_numel(p.shape);
      const upstream_gradient<T> upstream(p.red, data_or_null(grad_output), reduction_divisor(p.red, numel));
      const double eps = static_cast<double>(static_cast<T>(p.eps));
      std::vector<sum_accumulator<T>> halves(p.var->values.size()), through_q(p.var->values.size());
      broadcast_walker w(p.var_shape, p.shape);
      for (std::int64_t i = 0; i < numel; ++i, w.next()) {
        const auto j = static_cast<std::size_t>(w.offset());
        const double g = 0.5 * upstream.at(i), vj = p.var->values[j];
        const double v = std::isnan(vj) || vj >= eps ? vj : eps;
        const double d = static_cast<double>(input[static_cast<std::size_t>(i)]) -
                         static_cast<double>(target[static_cast<std::size_t>(i)]);
        halves[j].add(g);
        through_q[j].add(-(g * (d * d / v / v)));
      }
      std::vector<double> gv(p.var->values.size());
      for (std::size_t j = 0; j < gv.size(); ++j) {
        const double vj = p.var->values[j];
        const double v = std::isnan(vj) || vj >= eps ? vj : eps;
        gv[j] = static_cast<double>(static_cast<T>(through_q[j].value() + halves[j].value() / v));
      }
      r.grads["var"] = tensor::floats(ctx.type, p.var_shape, std::move(gv));
    }
    r.grads["var"].shape = p.var->shape;
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
