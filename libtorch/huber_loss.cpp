// huber_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: input and target broadcast first
// (torch.broadcast_tensors), then ATen's huber_loss with delta (ATen checks its range).

#include <ATen/ops/broadcast_tensors.h>
#include <ATen/ops/huber_loss.h>

#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor huber_loss(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  const double delta = float_option(c, "delta", 1.0);
  auto expanded = at::broadcast_tensors({in.at("input"), in.at("target")});
  return at::huber_loss(expanded[0], expanded[1], reduction_enum(red), delta);
}

}  // namespace losscheck::libtorch::detail
