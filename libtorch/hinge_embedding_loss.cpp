// hinge_embedding_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: ATen's hinge_embedding_loss with margin
// (default 1.0), the legacy size_average / reduce flags resolved first.

#include <ATen/ops/hinge_embedding_loss.h>

#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor hinge_embedding_loss(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  return at::hinge_embedding_loss(in.at("input"), in.at("target"), float_option(c, "margin", 1.0),
                                  reduction_enum(red));
}

}  // namespace losscheck::libtorch::detail
