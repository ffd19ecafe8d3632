// cosine_embedding_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: ATen's cosine_embedding_loss with
// margin (default 0).

#include <ATen/ops/cosine_embedding_loss.h>

#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor cosine_embedding_loss(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  return at::cosine_embedding_loss(in.at("input1"), in.at("input2"), in.at("target"), float_option(c, "margin", 0.0),
                                   reduction_enum(red));
}

}  // namespace losscheck::libtorch::detail
