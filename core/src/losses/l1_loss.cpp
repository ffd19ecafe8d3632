// l1_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates) and the
// resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/l1_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record l1_loss_record() {
  loss_record record;
  record.name = "l1_loss";
  record.doc = "|input - target|; input and target broadcast";
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank, grad_rule::always,
       "any shape"},
      {"target", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading, grad_rule::always,
       "broadcastable with input"}};
  record.options = with_reduction_options({});
  record.output = output_rule::elementwise;
  record.properties = standard_properties(/*nonnegative=*/true);
  return record;
}

l1_loss_problem resolve_l1_loss(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.floating("target");
  auto shape = broadcast_or_throw(r.loss(), input->shape, "input", target->shape, "target");
  return l1_loss_problem{input, target, shape, r.options.reduction_mode()};
}

}  // namespace losscheck
