// margin_ranking_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: the legacy flags resolved, its check
// that the three tensors have one number of dimensions (with its message), then ATen's margin_ranking_loss.

#include <ATen/ops/margin_ranking_loss.h>
#include <fmt/format.h>

#include "losscheck/error.h"
#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor margin_ranking_loss(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  const auto enumerated = reduction_enum(red);
  const at::Tensor& input1 = in.at("input1");
  const at::Tensor& input2 = in.at("input2");
  const at::Tensor& target = in.at("target");
  if (input1.dim() != input2.dim() || input1.dim() != target.dim())
    throw loss_error(fmt::format("margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                                 "input1: {}, input2: {}, target: {}",
                                 sizes(input1), sizes(input2), sizes(target)));
  return at::margin_ranking_loss(input1, input2, target, float_option(c, "margin", 0.0), enumerated);
}

}  // namespace losscheck::libtorch::detail
