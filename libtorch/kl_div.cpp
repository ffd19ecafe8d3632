// kl_div in LibTorch, as torch/nn/functional.py (1.13) calls it: legacy flags pick the reduction enum; 'batchmean'
// is computed as 'sum' and divided by input.size(0) -- and that division happens whenever the reduction string is
// 'batchmean', legacy flags or not (docs/torch-quirks.md).

#include <ATen/ops/kl_div.h>

#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor kl_div(const loss_case& c, const tensors& in) {
  const auto red = reduction_string(c);
  const auto& input = in.at("input");
  std::string given = "mean";
  if (auto it = c.options.find("reduction"); it != c.options.end())
    if (const auto* s = std::get_if<std::string>(&it->second)) given = *s;
  const std::int64_t r = has_legacy_flag(c) ? reduction_enum(red)
                                            : given == "batchmean" ? std::int64_t{at::Reduction::Sum} : reduction_enum(given);
  auto reduced = at::kl_div(input, in.at("target"), r, bool_option(c, "log_target", false));
  if (given == "batchmean" && input.dim() != 0) reduced = reduced.div(input.size(0));  // reduced / input.size(0)
  return reduced;
}

}  // namespace losscheck::libtorch::detail
