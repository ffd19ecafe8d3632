// soft_margin_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: ATen's soft_margin_loss (the legacy
// size_average / reduce flags resolved first).

#include <ATen/ops/soft_margin_loss.h>

#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor soft_margin_loss(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  return at::soft_margin_loss(in.at("input"), in.at("target"), reduction_enum(red));
}

}  // namespace losscheck::libtorch::detail
