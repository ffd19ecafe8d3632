// binary_cross_entropy in LibTorch, as torch/nn/functional.py (1.13) calls it: the reduction enum first, a target of
// another size than the input is an error (functional.py's own message), the weight is expanded to the target's
// size, then ATen's binary_cross_entropy.

#include <ATen/ExpandUtils.h>
#include <ATen/ops/binary_cross_entropy.h>
#include <fmt/format.h>

#include "losscheck/error.h"
#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor binary_cross_entropy(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  const auto r = reduction_enum(red);
  const auto& input = in.at("input");
  const auto& target = in.at("target");
  if (target.sizes() != input.sizes())
    throw loss_error(fmt::format("Using a target size ({}) that is different to the input size ({}) is deprecated. "
                                 "Please ensure they have the same size.", sizes(target), sizes(input)));
  auto weight = in.opt("weight");
  if (weight) weight = weight->expand(at::infer_size(target.sizes(), weight->sizes()));
  return at::binary_cross_entropy(input, target, weight, r);
}

}  // namespace losscheck::libtorch::detail
