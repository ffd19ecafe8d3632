// multi_margin_loss (torch: LossMultiMargin.cpp multi_margin_loss_cpu_kernel / multi_margin_loss_backward_cpu_kernel).
#include "losscheck/impl/multi_margin_loss.h"

#include <fmt/format.h>

#include <vector>

#include "accumulate.h"
#include "case_io.h"
#include "losscheck/error.h"
#include "losses.h"
#include "reduction.h"

namespace losscheck::impl {

// Per row with target y and w = w[y] (1 without weights):
//   z_j = margin - x[y] + x[j]                          (one compensated sum: the sign test sees the exact z almost always)
//   L   = Σ_{j≠y, z_j > 0} w z_j^p / C                  (a NaN z_j is not > 0: it adds nothing, as in torch)
//   dL/dx[j] = d · (z_j > 0 ? w (p == 1 ? 1 : 2 z_j) / C : 0),   dL/dx[y] = -d · Σ_j (those slopes)
// with d the gradient reaching the row (grad_output, / N for mean), multiplied in last so that a NaN or infinite
// grad_output reaches the zeros of the row too (torch: 0 · NaN = NaN).
template <class T>
void multi_margin_loss_forward_backward(const multi_margin_loss_args<T>& args, const T* grad_output, T* output,
                                        T* grad_input) {
  const std::int64_t C = args.classes;
  const double inv_c = 1.0 / static_cast<double>(C);
  const double margin = static_cast<double>(args.margin);
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.rows));
  sum_accumulator<T> total;
  std::vector<double> slope(static_cast<std::size_t>(C));
  for (std::int64_t n = 0; n < args.rows; ++n) {
    const T* x = args.input + n * C;
    const std::int64_t y = args.target[n];
    const double w = args.weight ? static_cast<double>(args.weight[y]) : 1.0;
    const double xy = static_cast<double>(x[y]);
    sum_accumulator<T> loss, target_slope;
    for (std::int64_t j = 0; j < C; ++j) {
      slope[static_cast<std::size_t>(j)] = 0.0;
      if (j == y) continue;
      const double z = sum3(margin, -xy, static_cast<double>(x[j]));
      if (!(z > 0)) continue;
      loss.add(w * (args.p == 1 ? z : z * z));
      const double s = w * (args.p == 1 ? 1.0 : 2.0 * z) * inv_c;
      slope[static_cast<std::size_t>(j)] = s;
      target_slope.add(s);
    }
    const double row_loss = loss.value() * inv_c;
    if (output) {
      if (none) output[n] = static_cast<T>(row_loss);
      else total.add(row_loss);
    }
    if (grad_input) {
      const double d = upstream.at(n);
      T* g = grad_input + n * C;
      for (std::int64_t j = 0; j < C; ++j) g[j] = static_cast<T>(slope[static_cast<std::size_t>(j)] * d);
      g[y] = static_cast<T>(-target_slope.value() * d);
    }
  }
  if (output && !none) output[0] = static_cast<T>(total.value() / reduction_divisor(args.red, args.rows));
}

template void multi_margin_loss_forward_backward(const multi_margin_loss_args<float>&, const float*, float*, float*);
template void multi_margin_loss_forward_backward(const multi_margin_loss_args<double>&, const double*, double*,
                                                 double*);

namespace detail {

loss_result multi_margin_loss(const multi_margin_loss_problem& p, const context& ctx) {
  const auto& target = p.target->ints;
  for (const auto y : target)
    if (y < 0 || y >= p.classes)
      throw loss_error(fmt::format("multi_margin_loss: target {} is out of range for {} classes", y, p.classes));
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = typed_values<T>(*p.input);
    const auto weight = p.weight ? typed_values<T>(*p.weight) : std::vector<T>{};
    const auto grad_output = grad_output_values<T>(ctx);
    const multi_margin_loss_args<T> args{input.data(), target.data(), data_or_null(weight), p.rows, p.classes,
                                         static_cast<int>(p.p), static_cast<T>(p.margin), p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<T> grad_input(input.size());
    multi_margin_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = result_tensor(ctx.type, p.input->shape, grad_input);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
