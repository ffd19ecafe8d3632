// margin_ranking_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch
// differentiates) and the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/margin_ranking_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record margin_ranking_loss_record() {
  loss_record record;
  record.name = "margin_ranking_loss";
  record.doc = "max(0, -y (x1 - x2) + margin); input1, input2 and target broadcast (same number of dimensions)";
  record.inputs = {
      {"input1", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank,
       grad_rule::always, "any shape"},
      {"input2", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading_if_full_rank,
       grad_rule::always, "as many dimensions as input1; broadcasts with it"},
      // a composite: autograd differentiates a float target (-(x1 - x2) where the hinge is active)
      {"target", input_role::label, true, broadcast_rule::mutual, batch_axis::leading_if_full_rank,
       grad_rule::when_floating, "as many dimensions as input1; 1 / -1 (float or int64; any value is used as is)"}};
  record.options = with_reduction_options({{"margin", option_kind::number, "0", "the margin (any value)"}});
  record.output = output_rule::elementwise;
  record.main_input = "input1";
  record.properties = standard_properties(/*nonnegative=*/true);
  return record;
}

margin_ranking_loss_problem resolve_margin_ranking_loss(const resolve_context& r) {
  const auto* input1 = r.inputs.floating("input1");
  const auto* input2 = r.inputs.floating("input2");
  const auto* target = r.inputs.any("target");
  const auto red = r.options.reduction_mode();
  const auto margin = r.options.number("margin", 0.0);
  if (target->type != dtype::int64 && target->type != r.c.type)
    throw loss_error(fmt::format("margin_ranking_loss: target must be int64 or {}, got {}", to_string(r.c.type),
                                 to_string(target->type)));
  // functional.py, before ATen
  if (input1->dim() != input2->dim() || input1->dim() != target->dim())
    throw loss_error(fmt::format("margin_ranking_loss: All input tensors should have same dimension but got sizes: "
                                 "input1: {}, input2: {}, target: {}",
                                 format_shape(input1->shape), format_shape(input2->shape),
                                 format_shape(target->shape)));
  auto pair = broadcast_or_throw(r.loss(), input1->shape, "input1", input2->shape, "input2");
  auto shape = broadcast_or_throw(r.loss(), pair, "input1 - input2", target->shape, "target");
  return margin_ranking_loss_problem{input1, input2, target, shape, margin, red};
}

}  // namespace losscheck
