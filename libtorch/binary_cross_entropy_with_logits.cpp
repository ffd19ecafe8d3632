// binary_cross_entropy_with_logits in LibTorch, as torch/nn/functional.py (1.13) calls it: the reduction enum first,
// a target of another size than the input is an error (functional.py's own message), then ATen's
// binary_cross_entropy_with_logits with weight and pos_weight as given (ATen broadcasts them).

#include <ATen/ops/binary_cross_entropy_with_logits.h>
#include <fmt/format.h>

#include "losscheck/error.h"
#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor binary_cross_entropy_with_logits(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  const auto r = reduction_enum(red);
  const auto& input = in.at("input");
  const auto& target = in.at("target");
  if (target.sizes() != input.sizes())
    throw loss_error(fmt::format("Target size ({}) must be the same as input size ({})", sizes(target), sizes(input)));
  return at::binary_cross_entropy_with_logits(input, target, in.opt("weight"), in.opt("pos_weight"), r);
}

}  // namespace losscheck::libtorch::detail
