// poisson_nll_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: the legacy flags give the reduction
// string, which functional.py compares itself (ValueError "<reduction> is not valid": the deprecated alias
// 'elementwise_mean' is refused), then ATen's composite at::poisson_nll_loss.

#include <ATen/ops/poisson_nll_loss.h>
#include <fmt/format.h>

#include "losscheck/error.h"
#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor poisson_nll_loss(const loss_case& c, const tensors& in) {
  const std::string red = reduction_string(c);
  if (red != "none" && red != "mean" && red != "sum")
    throw loss_error(fmt::format("poisson_nll_loss: {} is not valid", red));
  return at::poisson_nll_loss(in.at("input"), in.at("target"), bool_option(c, "log_input", true),
                              bool_option(c, "full", false), float_option(c, "eps", 1e-8), reduction_enum(red));
}

}  // namespace losscheck::libtorch::detail
