// triplet_margin_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch
// differentiates) and the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/triplet_margin_loss.h"

#include <fmt/format.h>

#include <limits>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record triplet_margin_loss_record() {
  loss_record record;
  record.name = "triplet_margin_loss";
  record.doc = "max(d(a, p) - d(a, n) + margin, 0) per row, d(x, y) = ||x - y + eps||_p; swap: d(a, n) -> "
               "min(d(a, n), d(p, n))";
  record.inputs = {
      {"anchor", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank,
       grad_rule::always, "(N, D) or (D); all three inputs have the same number of dimensions"},
      {"positive", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading_if_full_rank,
       grad_rule::always, "(N, D) or (D); broadcasts with anchor and negative"},
      {"negative", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading_if_full_rank,
       grad_rule::always, "(N, D) or (D); broadcasts with anchor and positive"}};
  record.options = with_reduction_options(
      {{"margin", option_kind::number, "1.0", "added to d(a, p) - d(a, n) before the clamp at 0"},
       {"p", option_kind::number, "2", "the order of the norm: positive and finite",
        {.min = 0.0,
         .max = std::numeric_limits<double>::infinity(),
         .min_open = true,
         .max_open = true,
         .message = "p must be positive and finite (torch's p <= 0 and p = inf norms are not modelled), got {}"}},
       {"eps", option_kind::number, "1e-06", "added to each difference x - y before the norm"},
       {"swap", option_kind::boolean, "False", "use min(d(a, n), d(p, n)) as the negative distance"}});
  record.output = output_rule::per_row;
  record.main_input = "anchor";
  record.row_name = "the vector length";
  record.properties = standard_properties(/*nonnegative=*/true);
  return record;
}

triplet_margin_loss_problem resolve_triplet_margin_loss(const resolve_context& r) {
  const auto* anchor = r.inputs.floating("anchor");
  const auto* positive = r.inputs.floating("positive");
  const auto* negative = r.inputs.floating("negative");
  const auto red = r.options.reduction_mode();
  const auto margin = r.options.number("margin", 1.0);
  const auto p = r.options.number("p", 2.0);
  const auto eps = r.options.number("eps", 1e-6);
  const auto swap = r.options.boolean("swap", false);
  // Loss.cpp triplet_margin_loss checks the ranks first (its message), then pairwise_distance broadcasts.
  if (anchor->dim() != positive->dim() || positive->dim() != negative->dim())
    throw loss_error(fmt::format(
        "triplet_margin_loss: All inputs should have same dimension but got {}D, {}D and {}D inputs.", anchor->dim(),
        positive->dim(), negative->dim()));
  const auto ap = broadcast_or_throw(r.loss(), anchor->shape, "anchor", positive->shape, "positive");
  const auto pair = broadcast_or_throw(r.loss(), ap, "broadcast(anchor, positive)", negative->shape, "negative");
  // pairwise_distance's norm runs over the last dimension (a 0-D pair is one row of one element).
  shape_t none_shape = pair;
  if (!none_shape.empty()) none_shape.pop_back();
  const auto last = [](const shape_t& x, const shape_t& y) {
    const std::int64_t a = x.empty() ? 1 : x.back(), b = y.empty() ? 1 : y.back();
    return a == 1 ? b : a;
  };
  return triplet_margin_loss_problem{anchor,
                                     positive,
                                     negative,
                                     pair,
                                     none_shape,
                                     last(anchor->shape, positive->shape),
                                     last(anchor->shape, negative->shape),
                                     last(positive->shape, negative->shape),
                                     margin,
                                     p,
                                     eps,
                                     swap,
                                     red};
}

}  // namespace losscheck
