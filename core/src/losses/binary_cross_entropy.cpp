// binary_cross_entropy: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates) and the
// resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/binary_cross_entropy.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record binary_cross_entropy_record() {
  loss_record record;
  record.name = "binary_cross_entropy";
  record.doc = "-w [y max(log x, -100) + (1 - y) max(log(1 - x), -100)]";
  record.inputs = {
      {"input", input_role::probabilities, true, broadcast_rule::main, batch_axis::leading_if_full_rank, grad_rule::always,
       "probabilities in [0, 1]"},
      {"target", input_role::floating, true, broadcast_rule::same_shape, batch_axis::leading, grad_rule::always,
       "same shape as input (any values)"},
      {"weight", input_role::floating, false, broadcast_rule::into_target, batch_axis::leading_if_full_rank,
       grad_rule::never, "broadcasts to the target's shape"}};
  record.options = with_reduction_options({});
  record.output = output_rule::elementwise;
  record.properties = standard_properties(/*nonnegative=*/true);
  return record;
}

binary_cross_entropy_problem resolve_binary_cross_entropy(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.floating("target");
  const auto* weight = r.inputs.floating("weight");
  const auto red = r.options.reduction_mode();
  check_same_shape(r.loss(), *input, *target);
  check_weight_broadcasts_to(r.loss(), weight, "weight", target->shape);
  return binary_cross_entropy_problem{input, target, weight, red};
}

}  // namespace losscheck
