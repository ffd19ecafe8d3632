// cross_entropy in LibTorch, as torch/nn/functional.py (1.13) calls it: ATen's cross_entropy_loss, which takes class
// indices or probabilities, ignore_index (default -100) and label_smoothing (default 0).

#include <ATen/ops/cross_entropy_loss.h>

#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor cross_entropy(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  return at::cross_entropy_loss(in.at("input"), in.at("target"), in.opt("weight"), reduction_enum(red),
                                int_option(c, "ignore_index", -100), float_option(c, "label_smoothing", 0.0));
}

}  // namespace losscheck::libtorch::detail
