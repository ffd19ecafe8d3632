// multilabel_margin_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: ATen's multilabel_margin_loss. One
// departure, where LibTorch 1.13 has no defined answer (docs/torch-quirks.md): an empty batch's mean or sum, which ATen
// leaves uninitialized, is taken over ATen's (empty) `none` output.

#include <ATen/ops/mean.h>
#include <ATen/ops/multilabel_margin_loss.h>
#include <ATen/ops/sum.h>

#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor multilabel_margin_loss(const loss_case& c, const tensors& in) {
  const auto reduction = reduction_enum(reduction_string(c));
  const auto& input = in.at("input");
  if (input.dim() == 2 && input.size(0) == 0 && reduction != at::Reduction::None) {
    const auto none = at::multilabel_margin_loss(input, in.at("target"), at::Reduction::None);
    return reduction == at::Reduction::Sum ? at::sum(none) : at::mean(none);
  }
  return at::multilabel_margin_loss(input, in.at("target"), reduction);
}

}  // namespace losscheck::libtorch::detail
