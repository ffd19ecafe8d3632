// triplet_margin_with_distance_loss in LibTorch, as torch/nn/functional.py (1.13) computes it (a Python composite):
// the distance (pairwise_distance(x, y) by default, or 1 - cosine_similarity(x, y, dim=-1) for "cosine"), torch.min
// with swap, torch.clamp(min=0.0), then mean / sum by _Reduction.get_enum. No legacy flags.

#include <ATen/ops/add.h>
#include <ATen/ops/clamp.h>
#include <ATen/ops/cosine_similarity.h>
#include <ATen/ops/mean.h>
#include <ATen/ops/minimum.h>
#include <ATen/ops/pairwise_distance.h>
#include <ATen/ops/rsub.h>
#include <ATen/ops/sub.h>
#include <ATen/ops/sum.h>
#include <fmt/format.h>

#include "losscheck/error.h"
#include "support.h"

namespace losscheck::libtorch::detail {

namespace {
/// The case's `distance_function` as the callable it names (docs/format.md).
at::Tensor triplet_distance_of(const loss_case& c, const at::Tensor& x, const at::Tensor& y) {
  auto it = c.options.find("distance_function");
  if (it != c.options.end())
    if (const auto* s = std::get_if<std::string>(&it->second)) {
      if (*s == "cosine") return at::rsub(at::cosine_similarity(x, y, -1, 1e-8), 1.0);  // 1.0 - cosine_similarity
      // a string that names no callable: there is nothing torch could be given
      if (*s != "pairwise_distance")
        throw loss_error(fmt::format("triplet_margin_with_distance_loss: option 'distance_function' must be one of "
                                     "None, pairwise_distance, cosine, got \"{}\"", *s));
    }
  return at::pairwise_distance(x, y, 2.0, 1e-6, false);
}
}  // namespace

at::Tensor triplet_margin_with_distance_loss(const loss_case& c, const tensors& in) {
  const auto& anchor = in.at("anchor");
  const auto& positive = in.at("positive");
  const auto& negative = in.at("negative");
  const auto positive_dist = triplet_distance_of(c, anchor, positive);
  auto negative_dist = triplet_distance_of(c, anchor, negative);
  if (bool_option(c, "swap", false))
    negative_dist = at::minimum(negative_dist, triplet_distance_of(c, positive, negative));
  const auto output = at::clamp(at::add(at::sub(positive_dist, negative_dist), float_option(c, "margin", 1.0)), 0.0);
  const auto r = reduction_enum(reduction_string(c));
  if (r == at::Reduction::Mean) return at::mean(output);
  if (r == at::Reduction::Sum) return at::sum(output);
  return output;
}

}  // namespace losscheck::libtorch::detail
