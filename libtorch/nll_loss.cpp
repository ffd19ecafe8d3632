// nll_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: ATen's nll_loss_nd (any number of dimensions),
// ignore_index defaulting to -100.

#include <ATen/ops/nll_loss_nd.h>

#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor nll_loss(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  return at::nll_loss_nd(in.at("input"), in.at("target"), in.opt("weight"), reduction_enum(red),
                         int_option(c, "ignore_index", -100));
}

}  // namespace losscheck::libtorch::detail
