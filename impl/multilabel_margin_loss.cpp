// multilabel_margin_loss (torch: LossMultiLabelMargin.cpp multilabel_margin_loss_forward_out_frame /
// multilabel_margin_loss_backward_out_frame).
#include "losscheck/impl/multilabel_margin_loss.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "accumulate.h"
#include "case_io.h"
#include "losscheck/error.h"
#include "losses.h"
#include "reduction.h"

namespace losscheck::impl {

// Per row, with T the entries before the first -1 (a list: repeated indices count each time):
//   z_ti = 1 - x[t] + x[i]                  (t in T, i not in T; one compensated sum)
//   L    = Σ_t Σ_i [z_ti > 0] z_ti / C      (a NaN z is not > 0: it adds nothing, as in torch)
//   dL/dx[i] = d · a_i / C,  dL/dx[t] = -d · a_t / C, with a_i, a_t the numbers of active pairs that touch them and d
// the gradient reaching the row (grad_output, / N for mean), multiplied in last (torch: 0 · NaN = NaN).
template <class T>
void multilabel_margin_loss_forward_backward(const multilabel_margin_loss_args<T>& args, const T* grad_output,
                                             T* output, T* grad_input) {
  const std::int64_t C = args.classes;
  const double inv_c = 1.0 / static_cast<double>(C);
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, args.rows));
  sum_accumulator<T> total;
  std::vector<std::int64_t> listed, count(static_cast<std::size_t>(C));
  std::vector<char> is_target(static_cast<std::size_t>(C));
  for (std::int64_t n = 0; n < args.rows; ++n) {
    const T* x = args.input + n * C;
    const std::int64_t* y = args.target + n * C;
    listed.clear();
    std::fill(is_target.begin(), is_target.end(), 0);
    std::fill(count.begin(), count.end(), 0);
    for (std::int64_t k = 0; k < C && y[k] >= 0; ++k) {
      listed.push_back(y[k]);
      is_target[static_cast<std::size_t>(y[k])] = 1;
    }
    sum_accumulator<T> loss;
    for (const std::int64_t t : listed) {
      const double xt = static_cast<double>(x[t]);
      for (std::int64_t i = 0; i < C; ++i) {
        if (is_target[static_cast<std::size_t>(i)]) continue;
        const double z = sum3(1.0, -xt, static_cast<double>(x[i]));
        if (!(z > 0)) continue;
        loss.add(z);
        ++count[static_cast<std::size_t>(i)];
        --count[static_cast<std::size_t>(t)];
      }
    }
    const double row_loss = loss.value() * inv_c;
    if (output) {
      if (none) output[n] = static_cast<T>(row_loss);
      else total.add(row_loss);
    }
    if (grad_input) {
      const double d = upstream.at(n);
      for (std::int64_t i = 0; i < C; ++i)
        grad_input[n * C + i] = static_cast<T>(static_cast<double>(count[static_cast<std::size_t>(i)]) * inv_c * d);
    }
  }
  if (output && !none) output[0] = static_cast<T>(total.value() / reduction_divisor(args.red, args.rows));
}

template void multilabel_margin_loss_forward_backward(const multilabel_margin_loss_args<float>&, const float*, float*,
                                                      float*);
template void multilabel_margin_loss_forward_backward(const multilabel_margin_loss_args<double>&, const double*,
                                                      double*, double*);

namespace detail {

loss_result multilabel_margin_loss(const multilabel_margin_loss_problem& p, const context& ctx) {
  const auto& target = p.target->ints;
  for (const auto t : target)
    if (t < -1 || t >= p.classes)
      throw loss_error(fmt::format(
          "multilabel_margin_loss: target {} is out of range for {} classes (class indices, and -1 ending a row's list)",
          t, p.classes));
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = typed_values<T>(*p.input);
    const auto grad_output = grad_output_values<T>(ctx);
    const multilabel_margin_loss_args<T> args{input.data(), target.data(), p.rows, p.classes, p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<T> grad_input(input.size());
    multilabel_margin_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = result_tensor(ctx.type, p.input->shape, grad_input);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
