// multi_margin_loss in LibTorch, as torch/nn/functional.py (1.13) calls it: p must be 1 or 2 and weight 1-D (ValueError
// in functional.py), then ATen's multi_margin_loss with p, margin (default 1) and weight. Two departures, each a case
// where LibTorch 1.13 has no defined answer (docs/torch-quirks.md): a weight without exactly C values is refused
// before ATen reads w[y] past its end (later versions refuse it too), and an empty batch's mean or sum, which ATen
// leaves uninitialized, is taken over ATen's (empty) `none` output.

#include <ATen/ops/mean.h>
#include <ATen/ops/multi_margin_loss.h>
#include <ATen/ops/sum.h>

#include <fmt/format.h>

#include "losscheck/error.h"
#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor multi_margin_loss(const loss_case& c, const tensors& in) {
  const auto reduction = reduction_enum(reduction_string(c));
  const auto p = int_option(c, "p", 1);
  if (p != 1 && p != 2) throw loss_error("multi_margin_loss: only p == 1 and p == 2 supported");
  const auto& input = in.at("input");
  const auto weight = in.opt("weight");
  if (weight && weight->dim() != 1) throw loss_error("multi_margin_loss: weight must be one-dimensional");
  const std::int64_t classes = input.dim() == 0 ? 1 : input.size(-1);
  if (weight && input.dim() <= 2 && weight->size(0) != classes)
    throw loss_error(fmt::format("multi_margin_loss: inconsistent weight size, expected {} but got {}", classes,
                                 sizes(*weight)));
  const auto margin = float_option(c, "margin", 1.0);
  if (input.dim() == 2 && input.size(0) == 0 && reduction != at::Reduction::None) {
    const auto none = at::multi_margin_loss(input, in.at("target"), p, margin, weight, at::Reduction::None);
    return reduction == at::Reduction::Sum ? at::sum(none) : at::mean(none);
  }
  return at::multi_margin_loss(input, in.at("target"), p, margin, weight, reduction);
}

}  // namespace losscheck::libtorch::detail
