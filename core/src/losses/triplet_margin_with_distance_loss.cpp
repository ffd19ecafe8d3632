// triplet_margin_with_distance_loss: the record (what torch.nn.functional calls its arguments, their rules, what
// torch differentiates) and the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/triplet_margin_with_distance_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record triplet_margin_with_distance_loss_record() {
  using g = generic_property;
  loss_record record;
  record.name = "triplet_margin_with_distance_loss";
  record.doc = "max(d(a, p) - d(a, n) + margin, 0) per row, d = pairwise_distance (p = 2, eps = 1e-6) or "
               "1 - cosine_similarity; swap: d(a, n) -> min(d(a, n), d(p, n))";
  record.inputs = {
      {"anchor", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank,
       grad_rule::always, "(N, D) or (D)"},
      {"positive", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading_if_full_rank,
       grad_rule::always, "(N, D) or (D); broadcasts with anchor and negative"},
      {"negative", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading_if_full_rank,
       grad_rule::always, "(N, D) or (D); broadcasts with anchor and positive"}};
  // No legacy size_average / reduce: functional.py's signature has only `reduction` (keyword-only, as the rest).
  record.options = {
      {"reduction", option_kind::reduction, "'mean'",
       "'none' | 'mean' | 'sum' ('elementwise_mean' is the deprecated alias of 'mean')"},
      {"distance_function", option_kind::string, "None",
       "null or \"pairwise_distance\": ‖x - y + 1e-6‖_2; \"cosine\": 1 - cosine_similarity(x, y, dim=-1)",
       {},
       false,
       {"None", "pairwise_distance", "cosine"}},
      {"margin", option_kind::number, "1.0", "added to d(a, p) - d(a, n) before the clamp at 0"},
      {"swap", option_kind::boolean, "False", "use min(d(a, n), d(p, n)) as the negative distance"}};
  record.output = output_rule::per_row;
  record.main_input = "anchor";
  record.row_name = "the vector length";
  for (const g p : standard_properties(/*nonnegative=*/true))
    if (p != g::legacy_flags) record.properties.push_back(p);
  return record;
}

triplet_margin_with_distance_loss_problem resolve_triplet_margin_with_distance_loss(const resolve_context& r) {
  const auto* anchor = r.inputs.floating("anchor");
  const auto* positive = r.inputs.floating("positive");
  const auto* negative = r.inputs.floating("negative");
  const auto red = r.options.reduction_mode();
  const auto distance = r.options.string("distance_function");
  const auto margin = r.options.number("margin", 1.0);
  const auto swap = r.options.boolean("swap", false);
  // functional.py checks nothing itself: the distances broadcast their pairs (pairwise_distance: x1 - x2;
  // cosine_similarity: expand_outplace), then d(a, p) - d(a, n) broadcasts.
  const auto ap = broadcast_or_throw(r.loss(), anchor->shape, "anchor", positive->shape, "positive");
  const auto an = broadcast_or_throw(r.loss(), anchor->shape, "anchor", negative->shape, "negative");
  const auto pn = broadcast_or_throw(r.loss(), positive->shape, "positive", negative->shape, "negative");
  const auto pair = broadcast_or_throw(r.loss(), ap, "broadcast(anchor, positive)", negative->shape, "negative");
  shape_t none_shape = pair;
  if (!none_shape.empty()) none_shape.pop_back();
  const auto last = [](const shape_t& s) -> std::int64_t { return s.empty() ? 1 : s.back(); };
  return triplet_margin_with_distance_loss_problem{
      anchor,     positive,
      negative,   pair,
      none_shape, last(ap),
      last(an),   last(pn),
      distance && *distance == "cosine" ? triplet_distance::cosine : triplet_distance::pairwise,
      margin,     swap,
      red};
}

}  // namespace losscheck
