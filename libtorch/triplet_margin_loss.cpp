// triplet_margin_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: the legacy flags pick the reduction
// enum, then ATen's triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction).

#include <ATen/ops/triplet_margin_loss.h>

#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor triplet_margin_loss(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  return at::triplet_margin_loss(in.at("anchor"), in.at("positive"), in.at("negative"),
                                 float_option(c, "margin", 1.0), float_option(c, "p", 2.0),
                                 float_option(c, "eps", 1e-6), bool_option(c, "swap", false), reduction_enum(red));
}

}  // namespace losscheck::libtorch::detail
