// l1_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: input and target broadcast first
// (torch.broadcast_tensors), then ATen's l1_loss.

#include <ATen/ops/broadcast_tensors.h>
#include <ATen/ops/l1_loss.h>

#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor l1_loss(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  auto expanded = at::broadcast_tensors({in.at("input"), in.at("target")});
  return at::l1_loss(expanded[0], expanded[1], reduction_enum(red));
}

}  // namespace losscheck::libtorch::detail
