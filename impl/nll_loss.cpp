// nll_loss with class-index targets (torch: LossNLL.cpp nll_loss_forward_out_frame / nll_loss_backward_out_frame and
// LossNLL2d.cpp for inputs with more than two dimensions; the semantics are the same).
#include "losscheck/impl/nll_loss.h"

#include <fmt/format.h>

#include <algorithm>

#include "accumulate.h"
#include "case_io.h"
#include "class_weights.h"
#include "losscheck/error.h"
#include "losses.h"
#include "parallel.h"
#include "reduction.h"

namespace losscheck::impl {

// L_i = -w[y_i] x[n, y_i, k]   (0 where y_i = ignore_index)
template <class T>
void nll_loss_forward(const nll_loss_args<T>& args, T* output) {
  nll_loss_forward_backward<T>(args, nullptr, output, nullptr);
}

// L_i   = -w[y_i] x[n, y_i, k];   mean: sum L_i / W,  W = sum w[y_i] over non-ignored i
// dL/dx = -w[y_i] g at (n, y_i, k) (g / W for mean), 0 elsewhere
template <class T>
void nll_loss_forward_backward(const nll_loss_args<T>& args, const T* grad_output, T* output, T* grad_input) {
  const auto& d = args.dims;
  const std::int64_t positions = d.positions();
  const double total_weight =
      args.red == reduction::mean ? total_class_weight(args.target, positions, args.weight, args.ignore_index) : 1.0;
  const upstream_gradient<T> upstream(args.red, grad_output, total_weight);
  if (grad_input) {  // zeros, in two chunks on large inputs (parallel.h)
    const std::int64_t numel = d.batch * d.classes * d.inner;
    auto zero = [&](int chunk) {
      std::fill(grad_input + chunk_start(numel, chunk, 16), grad_input + chunk_start(numel, chunk + 1, 16), T(0));
    };
    for_each_chunk(numel, zero);
  }
  const bool none = args.red == reduction::none;
  sum_accumulator<T> sum;
  for (std::int64_t n = 0; n < d.batch; ++n) {
    for (std::int64_t k = 0; k < d.inner; ++k) {
      const std::int64_t i = n * d.inner + k;
      const std::int64_t y = args.target[i];
      if (y == args.ignore_index) {
        if (output && none) output[i] = T(0);
        continue;
      }
      const std::int64_t at = (n * d.classes + y) * d.inner + k;
      const double w = args.weight ? static_cast<double>(args.weight[y]) : 1.0;
      if (output) {
        const double loss = -static_cast<double>(args.input[at]) * w;
        if (none)
          output[i] = static_cast<T>(loss);
        else
          sum.add(loss);
      }
      // torch: grad = -(g / W), then w * grad, so W = 0 gives NaN (w = 0) or +-inf here, as torch.
      if (grad_input) grad_input[at] = static_cast<T>(w * -upstream.at(i));
    }
  }
  if (output && !none) output[0] = static_cast<T>(sum.value() / total_weight);  // mean: W = 0 gives NaN
}

template void nll_loss_forward(const nll_loss_args<float>&, float*);
template void nll_loss_forward(const nll_loss_args<double>&, double*);
template void nll_loss_forward_backward(const nll_loss_args<float>&, const float*, float*, float*);
template void nll_loss_forward_backward(const nll_loss_args<double>&, const double*, double*, double*);

namespace detail {

loss_result nll_loss(const nll_loss_problem& p, const context& ctx) {
  const class_dims dims{p.layout.batch, p.layout.classes, p.layout.inner};
  const auto& target = p.target->ints;
  if (const auto bad = find_invalid_class_target(target.data(), dims.positions(), dims.classes, p.ignore_index);
      bad >= 0)
    throw loss_error(fmt::format("nll_loss: target {} is out of bounds for {} classes",
                                 target[static_cast<std::size_t>(bad)], dims.classes));
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = typed_values<T>(*p.input);
    const auto weight = p.weight ? typed_values<T>(*p.weight) : std::vector<T>{};
    const auto grad_output = grad_output_values<T>(ctx);
    const nll_loss_args<T> args{input.data(), target.data(), data_or_null(weight), dims, p.red, p.ignore_index};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<T> grad_input(input.size());
    nll_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = result_tensor(ctx.type, p.input->shape, grad_input);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
