// binary_cross_entropy_with_logits: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates) and the
// resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/binary_cross_entropy_with_logits.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record binary_cross_entropy_with_logits_record() {
  loss_record record;
  record.name = "binary_cross_entropy_with_logits";
  record.doc = "-w [p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]";
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank, grad_rule::always,
       "logits"},
      {"target", input_role::floating, true, broadcast_rule::same_shape, batch_axis::leading, grad_rule::always,
       "same shape as input"},
      {"weight", input_role::floating, false, broadcast_rule::into_target, batch_axis::leading_if_full_rank,
       grad_rule::never, "broadcasts to the target's shape"},
      {"pos_weight", input_role::floating, false, broadcast_rule::last_dim, batch_axis::last_if_one_dim,
       grad_rule::never, "broadcasts to the target's shape (per class: last dimension)"}};
  record.options = with_reduction_options({});
  record.output = output_rule::elementwise;
  record.properties = standard_properties(/*nonnegative=*/true);
  return record;
}

binary_cross_entropy_with_logits_problem resolve_binary_cross_entropy_with_logits(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.floating("target");
  const auto* weight = r.inputs.floating("weight");
  const auto* pos_weight = r.inputs.floating("pos_weight");
  const auto red = r.options.reduction_mode();
  check_same_shape(r.loss(), *input, *target);
  check_weight_broadcasts_to(r.loss(), weight, "weight", target->shape);
  check_weight_broadcasts_to(r.loss(), pos_weight, "pos_weight", target->shape);
  return binary_cross_entropy_with_logits_problem{input, target, weight, pos_weight, red};
}

}  // namespace losscheck
